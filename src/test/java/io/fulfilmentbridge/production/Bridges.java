package io.fulfilmentbridge.production;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bridge JVMs the production suite shares: "a" and "b", both on the one PostgreSQL and the one
 * broker, started on first use (together when both are needed) and stopped when the suite ends.
 */
final class Bridges {

    private static BridgeProcess a;
    private static BridgeProcess b;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Bridges::stopAll));
    }

    private Bridges() {
    }

    static synchronized BridgeProcess a() {
        if (a == null) {
            a = new BridgeProcess("bridge-a", environment());
            a.start();
        }
        return a;
    }

    static synchronized BridgeProcess b() {
        if (b == null) {
            b = new BridgeProcess("bridge-b", environment());
            b.start();
        }
        return b;
    }

    /** Both instances, launched together so their start-ups overlap. */
    static synchronized BridgeProcess[] both() {
        if (a == null && b == null) {
            a = new BridgeProcess("bridge-a", environment());
            b = new BridgeProcess("bridge-b", environment());
            a.launch();
            b.launch();
            a.awaitReady();
            b.awaitReady();
        }
        return new BridgeProcess[] {a(), b()};
    }

    /** The instances started so far that are still running. */
    static synchronized java.util.List<BridgeProcess> running() {
        java.util.List<BridgeProcess> running = new java.util.ArrayList<>();
        for (BridgeProcess bridge : new BridgeProcess[] {a, b}) {
            if (bridge != null && bridge.isAlive()) {
                running.add(bridge);
            }
        }
        return running;
    }

    static synchronized void stopAll() {
        for (BridgeProcess bridge : new BridgeProcess[] {a, b}) {
            if (bridge != null) {
                bridge.stop();
            }
        }
    }

    /** What a production deployment sets, and nothing else. */
    static Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPRING_DATASOURCE_URL", ProductionEnv.jdbcUrl());
        env.put("SPRING_DATASOURCE_USERNAME", ProductionEnv.jdbcUser());
        env.put("SPRING_DATASOURCE_PASSWORD", ProductionEnv.jdbcPassword());
        env.put("SPRING_ARTEMIS_MODE", "native");
        env.put("SPRING_ARTEMIS_BROKER_URL", ProductionEnv.brokerUrl());
        env.put("SPRING_ARTEMIS_USER", ProductionEnv.brokerUser());
        env.put("SPRING_ARTEMIS_PASSWORD", ProductionEnv.brokerPassword());
        env.put("BRIDGE_WEBHOOK_SECRET", ProductionSupport.SECRET);
        env.put("BRIDGE_STRIPE_API_KEY", ProductionSupport.STRIPE_KEY);
        env.put("BRIDGE_STRIPE_API_BASE", ProductionSupport.STRIPE.baseUrl());
        env.put("BRIDGE_OPERATOR_PASSWORD", ProductionSupport.OPERATOR_PASSWORD);
        // FirstPromoter's API v1 is a stand-in (its payouts list and payout update), so the key is in use, and
        // reconciliation with it is on (ReconciliationIT): a short interval, since before anything the suite lists,
        // notices looked for every second (a reconciled reward's close is one).
        env.put("BRIDGE_FIRSTPROMOTER_V1_API_KEY", ProductionSupport.FIRSTPROMOTER_V1_KEY);
        env.put("BRIDGE_FIRSTPROMOTER_V1APIBASE", ProductionSupport.FIRSTPROMOTER.baseUrl());
        env.put("BRIDGE_FIRSTPROMOTER_POLLINTERVAL", "1s");
        env.put("BRIDGE_RECONCILIATION_INTERVAL", "2s");
        // A stand-in, not FirstPromoter's 400 a minute: 240 closes must not take the default budget's two and a half minutes.
        env.put("BRIDGE_FIRSTPROMOTER_REQUESTSPERMINUTE", "10000");
        env.put("BRIDGE_RECONCILIATION_SINCE", ProductionSupport.RECONCILIATION_SINCE.toString());
        return env;
    }
}

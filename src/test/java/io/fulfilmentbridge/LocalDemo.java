package io.fulfilmentbridge;

import io.fulfilmentbridge.chargebee.ChargebeeStandIn;
import io.fulfilmentbridge.paddle.PaddleStandIn;
import io.fulfilmentbridge.recurly.RecurlyStandIn;
import org.springframework.boot.SpringApplication;

/**
 * Runs the bridge on its embedded defaults (H2 and Artemis under ./data) with a Stripe stand-in that
 * holds the demo customer of src/test/resources/payloads/free-months.json: `mvn spring-boot:test-run`. With
 * `-Dspring-boot.run.arguments=--bridge.firstpromoter.inbound=v2` it applies webhooks v2 events instead, with a
 * stand-in for FirstPromoter's API. Routes are read from routes/, and a route file's routes are reloaded when
 * it is saved. With `-Dspring-boot.run.arguments=--bridge.billing.system=chargebee` (or recurly, or paddle) free
 * months and discounts go to that billing system's stand-in instead of Stripe's.
 */
public final class LocalDemo {

    static final String DEMO_SECRET = "demo-secret";
    static final String DEMO_OPERATOR_PASSWORD = "demo-operator";
    static final String DEMO_BROKER_PASSWORD = "demo-payout-worker";
    static final int STRIPE_PORT = 12111;
    static final int FIRSTPROMOTER_PORT = 12112;
    static final int BILLING_PORT = 12113;
    /** The commission of src/test/resources/payloads/v2-commission-approved.json, and its promoter. */
    static final long DEMO_COMMISSION = 48213;
    static final long DEMO_PROMOTER = 7101;
    static final long DEMO_REWARD = 301;

    private LocalDemo() {
    }

    public static void main(String[] args) {
        StripeStandIn stripe = new StripeStandIn(STRIPE_PORT);
        stripe.stubGrantableCustomer("cus_Pq7Xb2LrT0aZ1c", "sub_demo");

        System.setProperty("bridge.webhook.secret", DEMO_SECRET);
        System.setProperty("bridge.stripe.api-key", "sk_test_local_demo");
        // The operators' console on the management port: user operator, this password.
        System.setProperty("bridge.operator.password", DEMO_OPERATOR_PASSWORD);
        System.setProperty("bridge.stripe.api-base", stripe.baseUrl());
        // The payout worker's login on the broker's TCP acceptor (user payout-worker).
        System.setProperty("bridge.broker.password", DEMO_BROKER_PASSWORD);
        // Routes from the routes/ folder on disk; a saved file's routes are reloaded. Only those: a file
        // that fails to load then leaves the others running (with all removed, Camel 4.17 can end up
        // with none until restart).
        System.setProperty("bridge.routes", "file:routes");
        System.setProperty("camel.main.routes-reload-enabled", "true");
        System.setProperty("camel.main.routes-reload-directory", "routes");
        System.setProperty("camel.main.routes-reload-pattern", "*.camel.yaml");
        System.setProperty("camel.main.routes-reload-remove-all-routes", "false");
        // Another billing system (--bridge.billing.system=...): its stand-in knows the demo's customer.
        String billing = java.util.Arrays.stream(args).filter(a -> a.startsWith("--bridge.billing.system="))
                .map(a -> a.substring("--bridge.billing.system=".length())).findFirst().orElse("stripe");
        String freeMonthsSample = "free-months.json";
        switch (billing) {
            case "chargebee" -> {
                ChargebeeStandIn.demo(BILLING_PORT);
                System.setProperty("bridge.chargebee.site", "demo-test");
                System.setProperty("bridge.chargebee.api-base", "http://127.0.0.1:" + BILLING_PORT);
                System.setProperty("bridge.chargebee.api-key", "demo_chargebee_key");
            }
            case "recurly" -> {
                RecurlyStandIn.demo(BILLING_PORT);
                System.setProperty("bridge.recurly.api-base", "http://127.0.0.1:" + BILLING_PORT);
                System.setProperty("bridge.recurly.api-key", RecurlyStandIn.DEMO_KEY);
            }
            case "paddle" -> {
                PaddleStandIn.demo(new PaddleStandIn(BILLING_PORT));
                System.setProperty("bridge.paddle.api-base", "http://127.0.0.1:" + BILLING_PORT);
                System.setProperty("bridge.paddle.api-key", "pdl_sdbx_apikey_demo");
                // Paddle's demo customer is a Paddle id (ctm_...), the sample's cust_id is a Stripe one.
                freeMonthsSample = "free-months-paddle.json";
            }
            default -> {
            }
        }
        // Webhooks v2 (--bridge.firstpromoter.inbound=v2): FirstPromoter's API is a stand-in too, knowing
        // the sample's commission (20 credits for promoter 7101) and answering mark_fulfilled.
        boolean v2 = java.util.Arrays.asList(args).contains("--bridge.firstpromoter.inbound=v2");
        if (v2) {
            FirstPromoterStandIn firstPromoter = new FirstPromoterStandIn(FIRSTPROMOTER_PORT);
            firstPromoter.stubCommission(DEMO_COMMISSION, FirstPromoterStandIn.commission(DEMO_COMMISSION, "approved", "credits", 20,
                    DEMO_PROMOTER, "promoter@example.com", 99812L, "customer@example.com", "app-user-552", DEMO_REWARD));
            firstPromoter.stubPromoter(DEMO_PROMOTER, "promoter@example.com", "app-promoter-7101");
            firstPromoter.stubRewards(FirstPromoterStandIn.reward(DEMO_REWARD, true, "credits", null, null, null));
            firstPromoter.stubMarkFulfilled(DEMO_COMMISSION, 200);
            System.setProperty("bridge.firstpromoter.api-base", firstPromoter.baseUrl());
            System.setProperty("bridge.firstpromoter.api-key", "fp_demo_key");
            System.setProperty("bridge.firstpromoter.account-id", "acc_demo");
        }
        SpringApplication.run(FulfilmentBridgeApplication.class, args);

        String url = "http://localhost:8080/webhooks/firstpromoter/fulfilment?token=" + DEMO_SECRET;
        String console = "http://127.0.0.1:8081/actuator/hawtio/";
        String curls = v2 ? """
                webhooks v2 (FirstPromoter's API stand-in on port %d knows commission %d):
                  curl -i -H 'Content-Type: application/json' -H 'Authorization: Bearer %s' --data-binary @src/test/resources/payloads/v2-commission-approved.json 'http://localhost:8080/webhooks/firstpromoter/events'
                """.formatted(FIRSTPROMOTER_PORT, DEMO_COMMISSION, DEMO_SECRET) : """
                  curl -i -H 'Content-Type: application/json' --data-binary @src/test/resources/payloads/%s '%s'
                  curl -i -H 'Content-Type: application/json' --data-binary @src/test/resources/payloads/credits.json '%s'
                  curl -i -H 'Content-Type: application/json' --data-binary @src/test/resources/payloads/cash.json '%s'
                """.formatted(freeMonthsSample, url, url, url);
        System.out.println("""

                fulfilment-bridge demo is up (%s stand-in on port %d). From the project folder:
                %s
                The operators' console: %s (user operator, password %s).
                A payout worker: tcp://127.0.0.1:61616, user payout-worker, password %s; it reads queue payouts
                and answers on payouts.results.
                """.formatted(billing, "stripe".equals(billing) ? STRIPE_PORT : BILLING_PORT, curls.stripTrailing(), console, DEMO_OPERATOR_PASSWORD, DEMO_BROKER_PASSWORD));
    }
}

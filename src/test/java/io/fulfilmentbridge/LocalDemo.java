package io.fulfilmentbridge;

import org.springframework.boot.SpringApplication;

/**
 * Runs the bridge on its embedded defaults (H2 and Artemis under ./data) with a Stripe stand-in that
 * holds the demo customer of src/test/resources/payloads/free-months.json: `mvn spring-boot:test-run`. Routes are
 * read from routes/, and a route file's routes are reloaded when it is saved.
 */
public final class LocalDemo {

    static final String DEMO_SECRET = "demo-secret";
    static final String DEMO_OPERATOR_PASSWORD = "demo-operator";
    static final String DEMO_BROKER_PASSWORD = "demo-payout-worker";
    static final int STRIPE_PORT = 12111;

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
        SpringApplication.run(FulfilmentBridgeApplication.class, args);

        String url = "http://localhost:8080/webhooks/firstpromoter/fulfilment?token=" + DEMO_SECRET;
        String console = "http://127.0.0.1:8081/actuator/hawtio/";
        System.out.println("""

                fulfilment-bridge demo is up (Stripe stand-in on port %d). From the project folder:
                  curl -i -H 'Content-Type: application/json' --data-binary @src/test/resources/payloads/free-months.json '%s'
                  curl -i -H 'Content-Type: application/json' --data-binary @src/test/resources/payloads/credits.json '%s'
                  curl -i -H 'Content-Type: application/json' --data-binary @src/test/resources/payloads/cash.json '%s'
                The operators' console: %s (user operator, password %s).
                A payout worker: tcp://127.0.0.1:61616, user payout-worker, password %s; it reads queue payouts
                and answers on payouts.results.
                """.formatted(STRIPE_PORT, url, url, url, console, DEMO_OPERATOR_PASSWORD, DEMO_BROKER_PASSWORD));
    }
}

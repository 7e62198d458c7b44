package io.fulfilmentbridge.production;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3: Stripe answers 500, then 429, then hangs for 30 s: each delivery is answered 503 within
 * 10 s, and a later delivery grants exactly once.
 */
@Order(3)
class StripeFaultsIT extends ProductionSupport {

    private static ResponseDefinitionBuilder stripeError(int status, String type) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"" + type + "\",\"message\":\"injected " + status + "\"}}");
    }

    @Test
    void stripeFailingThenHangingAnswers503InTimeAndALaterDeliveryGrantsOnce() {
        BridgeProcess bridge = Bridges.a();
        long started = System.nanoTime();
        long id = nextId();
        String body = mixed(id, 2);
        String path = "/v1/subscriptions/" + subscriptionId(id);

        List<String> faults = List.of("500", "429", "hang 30 s");
        List<ResponseDefinitionBuilder> responses = List.of(
                stripeError(500, "api_error"),
                stripeError(429, "rate_limit_error"),
                stripeError(500, "api_error").withFixedDelay(30_000));
        List<Long> times = new ArrayList<>();
        int sent = 0;
        for (int i = 0; i < faults.size(); i++) {
            StubMapping fault = STRIPE.server().stubFor(post(urlPathEqualTo(path)).atPriority(1).willReturn(responses.get(i)));
            Answer answer = deliver(bridge, body);
            sent++;
            STRIPE.server().removeStub(fault);
            assertThat(answer.answered()).as(answer.failure()).isTrue();
            assertThat(answer.status()).as(faults.get(i) + ": " + answer.detail()).isEqualTo(503);
            assertThat(answer.outcome()).isEqualTo("retry");
            assertThat(answer.millis()).as(faults.get(i)).isLessThan(10_000);
            assertThat(ledgerEntries(id)).isZero();
            assertThat(state(id)).isNotEqualTo("GRANTED");
            times.add(answer.millis());
        }

        // Stripe is well again: FirstPromoter's next deliveries (a claim left by the timed-out one
        // may make the first few wait) grant once.
        Answer answer;
        int retries = 0;
        do {
            answer = deliver(bridge, body);
            sent++;
            assertThat(answer.millis()).isLessThan(10_000);
            if (answer.status() == 503) {
                retries++;
                BridgeProcess.sleep(500);
            }
        } while (answer.status() == 503 && retries < 60);
        assertThat(answer.status()).as(answer.detail()).isEqualTo(200);
        assertThat(answer.appliedNow()).isTrue();
        Answer again = deliver(bridge, body);
        sent++;
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.detail()).contains("before");

        List<ServeEvent> posts = stripePosts().getOrDefault(path, List.of());
        long effective = posts.stream().filter(e -> e.getResponse().getStatus() == 200).count();
        assertThat(effective).as("effective Stripe updates").isEqualTo(1);
        assertThat(posts).allSatisfy(e -> assertThat(e.getRequest().getHeader("Idempotency-Key")).isEqualTo("fulfilment-" + id));
        // The customer was read once, with its subscriptions embedded; the faulty grant was then settled by reading
        // the subscription (GET /v1/subscriptions/{id}), never by the list call.
        List<LoggedRequest> customerReads = STRIPE.server().findAll(getRequestedFor(urlPathEqualTo("/v1/customers/" + customerId(id))));
        assertThat(customerReads).hasSize(1);
        assertThat(customerReads.get(0).queryParameter("expand[0]").values()).containsExactly("subscriptions");
        assertThat(STRIPE.server().findAll(getRequestedFor(urlPathEqualTo("/v1/subscriptions"))
                .withQueryParam("customer", equalTo(customerId(id))))).isEmpty();
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(jdbc.queryForObject("SELECT state FROM billing_grants WHERE billing_system = 'stripe' AND fulfilment_id = ?", String.class, id)).isEqualTo("APPLIED");

        long elapsed = (System.nanoTime() - started) / 1_000_000;
        summary(String.format("scenario 3 (Stripe 500, 429, hang 30 s): deliveries sent %d, answers to the faults %s (503 each, ms %s), "
                        + "503 while the hung call's claim was held %d, grants 1, Stripe POSTs %d (effective %d, all with Idempotency-Key fulfilment-%d), "
                        + "duplicates refused 1, elapsed %d ms",
                sent, faults, times, retries, posts.size(), effective, id, elapsed));
    }

    @Test
    void faultsInTheCustomerLookupAre503TooAndNothingIsSent() {
        BridgeProcess bridge = Bridges.a();
        long id = nextId();
        String body = mixed(id, 2);
        StubMapping fault = STRIPE.server().stubFor(com.github.tomakehurst.wiremock.client.WireMock
                .get(urlPathEqualTo("/v1/customers/" + customerId(id))).atPriority(1)
                .willReturn(stripeError(500, "api_error").withFixedDelay(30_000)));
        Answer answer = deliver(bridge, body);
        STRIPE.server().removeStub(fault);
        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.millis()).isLessThan(10_000);
        assertThat(stripePosts().getOrDefault("/v1/subscriptions/" + subscriptionId(id), List.of())).isEmpty();
        Answer later;
        int tries = 0;
        do {
            later = deliver(bridge, body);
            if (later.status() == 503) {
                BridgeProcess.sleep(500);
            }
        } while (later.status() == 503 && ++tries < 60);
        assertThat(later.status()).isEqualTo(200);
        assertThat(stripePosts().getOrDefault("/v1/subscriptions/" + subscriptionId(id), List.of())).hasSize(1);
        summary(String.format("scenario 3b (Stripe customer lookup hangs 30 s): 503 in %d ms, then granted after %d more 503s, Stripe updates 1",
                answer.millis(), tries));
    }
}

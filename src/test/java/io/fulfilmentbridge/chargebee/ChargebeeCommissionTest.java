package io.fulfilmentbridge.chargebee;

import static io.fulfilmentbridge.chargebee.ChargebeeStandIn.changeTermEndPath;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.fulfilment.Recipient;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A v2 commission's rewards in Chargebee: claimed in the records and applied by the real routes, under
 * the commission's own key and marker (commission-&lt;id&gt;), never a legacy fulfilment's of the same number.
 */
class ChargebeeCommissionTest extends ChargebeeBridgeSupport {

    @Autowired
    private FulfilmentClaims claims;

    @Autowired
    private ProducerTemplate producer;

    private Answer applyCommission(long id, String unit, long amount, String route) throws Exception {
        Fulfilment reward = new Fulfilment(new FulfilmentKey(Source.COMMISSION, id), "evt-" + id, unit,
                BigDecimal.valueOf(amount), "approved", 7L, customerId(id), null, Recipient.promoter(7L), null);
        Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));
        Claim claim = claims.claim(reward, deadline);
        assertThat(claim.held()).isTrue();
        Exchange done = producer.send(route, exchange -> {
            exchange.getIn().setBody(reward);
            exchange.setProperty("claim", claim);
            exchange.setProperty("deadline", deadline);
        });
        assertThat(done.getException()).isNull();
        return done.getProperty("answer", Answer.class);
    }

    @Test
    void freeMonthsOfACommissionCarryItsKey() throws Exception {
        long id = nextId();
        ObjectNode subscription = CHARGEBEE.stubGrantableCustomer(customerId(id), subscriptionId(id), null);
        long termEnd = subscription.path("current_term_end").asLong();

        Answer answer = applyCommission(id, "free_months", 1, "direct:free-months");

        assertThat(answer.outcome()).as(answer.detail()).isEqualTo(Outcome.GRANTED);
        var change = posts(changeTermEndPath(subscriptionId(id))).get(0);
        assertWriteHeaders(change, "commission-" + id);
        assertThat(form(change)).containsEntry("term_ends_at",
                Long.toString(Instant.ofEpochSecond(termEnd).atZone(ZoneOffset.UTC).plusMonths(1).toEpochSecond()));
    }

    @Test
    void aFixedDiscountOfACommissionCarriesItsKeyAndMarker() throws Exception {
        long id = nextId();
        CHARGEBEE.stubGrantableCustomer(customerId(id), subscriptionId(id), null);

        Answer answer = applyCommission(id, "mon_discount", 1200, "direct:discounts");

        assertThat(answer.outcome()).as(answer.detail()).isEqualTo(Outcome.GRANTED);
        var credit = posts("/api/v2/promotional_credits/add").get(0);
        assertWriteHeaders(credit, "commission-" + id);
        assertThat(form(credit)).isEqualTo(Map.of("customer_id", customerId(id), "amount", "1200", "currency_code", "USD",
                "description", "FirstPromoter reward: discount (commission-" + id + ")", "credit_type", "referral_rewards",
                "reference", "commission-" + id));
    }
}

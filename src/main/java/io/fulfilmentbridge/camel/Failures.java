package io.fulfilmentbridge.camel;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.language.bean.RuntimeBeanExpressionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The failure an error handler caught (route configuration fulfilment-outcomes), as its answer. A
 * failure that leaves the reward undecided releases the claim, so FirstPromoter's retry applies it at
 * once; a refusal parks it. A bean called from an expression reaches the handler wrapped in Camel's
 * exceptions: the answer and the log name what the bean threw, never the wrapper.
 */
@Component("failures")
public class Failures {

    private static final Logger log = LoggerFactory.getLogger("fulfilment-outcomes");

    private final FulfilmentClaims claims;
    private final FulfilmentLifecycle lifecycle;

    public Failures(FulfilmentClaims claims, FulfilmentLifecycle lifecycle) {
        this.claims = claims;
        this.lifecycle = lifecycle;
    }

    /** Bad input: 400 with what is wrong; nothing was claimed. */
    public Answer rejected(Exchange exchange) {
        return Answer.rejected(reason(exchange));
    }

    /** Not decidable now (an outage, a fence, a lease held elsewhere): 503 with the reason. */
    public Answer retry(Exchange exchange) {
        release(exchange);
        return Answer.retry(reason(exchange));
    }

    /** The billing system refused the reward as it is: parked with its reason. */
    public Answer refused(Exchange exchange) {
        return lifecycle.park(claim(exchange), reason(exchange), deadline(exchange));
    }

    /** The database or its transaction failed: nothing was committed, so a retry is safe. */
    public Answer databaseUnavailable(Exchange exchange) {
        log.warn("fulfilment {}: database unavailable: {}", fulfilmentId(exchange), simpleName(thrown(exchange)));
        release(exchange);
        return Answer.retry("the ledger database is unavailable; retry later");
    }

    /** Anything else: 500, nothing applied; logged with what was thrown. */
    public Answer unexpected(Exchange exchange) {
        Throwable thrown = thrown(exchange);
        log.error("fulfilment {}: unexpected {}: {}", fulfilmentId(exchange),
                thrown == null ? "" : thrown.getClass().getName(), reason(exchange));
        release(exchange);
        return Answer.error();
    }

    /** The message of what was thrown. */
    public String reason(Exchange exchange) {
        Throwable thrown = thrown(exchange);
        return thrown == null ? "" : thrown.getMessage();
    }

    private void release(Exchange exchange) {
        claims.release(claim(exchange), deadline(exchange));
    }

    private static Claim claim(Exchange exchange) {
        return exchange.getProperty("claim", Claim.class);
    }

    private static Deadline deadline(Exchange exchange) {
        return exchange.getProperty("deadline", Deadline.class);
    }

    private static String fulfilmentId(Exchange exchange) {
        DeliveryLabels labels = exchange.getProperty("labels", DeliveryLabels.class);
        return labels == null || labels.fulfilmentId() == null ? "" : labels.fulfilmentId().toString();
    }

    private static String simpleName(Throwable thrown) {
        return thrown == null ? "" : thrown.getClass().getSimpleName();
    }

    static Throwable thrown(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        while (thrown != null && thrown.getCause() != null && (thrown instanceof RuntimeBeanExpressionException
                || thrown instanceof CamelExecutionException || thrown.getClass() == RuntimeCamelException.class)) {
            thrown = thrown.getCause();
        }
        return thrown;
    }
}

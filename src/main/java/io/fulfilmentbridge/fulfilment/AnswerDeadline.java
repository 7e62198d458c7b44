package io.fulfilmentbridge.fulfilment;

import java.time.Duration;
import org.apache.camel.Exchange;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/** Every delivery is answered within bridge.answer-within of its arrival; waits are cut to what is left. */
@Component
public class AnswerDeadline {

    private final long budgetMillis;

    public AnswerDeadline(@Value("${bridge.answer-within:9s}") Duration answerWithin) {
        this.budgetMillis = answerWithin.toMillis();
    }

    public long remainingMillis(Exchange exchange) {
        return exchange.getClock().getCreated() + budgetMillis - System.currentTimeMillis();
    }
}

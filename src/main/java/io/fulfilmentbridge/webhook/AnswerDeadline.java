package io.fulfilmentbridge.webhook;

import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.RetryLater;
import java.time.Duration;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.springframework.stereotype.Component;

/**
 * Every delivery is answered within bridge.answer-within of its arrival: this starts its
 * {@link Deadline}. The clock starts when the webhook's servlet filter first sees the request, not when
 * a thread gets to run its route: in a burst a delivery can wait for a thread.
 */
@Component("answerDeadline")
public class AnswerDeadline {

    /** Request attribute set by the webhook filter: System.nanoTime() at arrival. */
    public static final String ARRIVED_AT = "io.fulfilmentbridge.arrivedAtNanos";
    /** Below this a delivery that waited for a thread is not started at all. */
    private static final long TOO_LATE_TO_START_MILLIS = 500;

    private final Duration answerWithin;

    public AnswerDeadline(FulfilmentSettings settings) {
        this.answerWithin = settings.answerWithin();
    }

    /**
     * The webhook route's second step, after removing the request's headers: the delivery's deadline, counted from the request's arrival (a
     * request attribute, so no sender can set it). A delivery that waited nearly all its time is answered 503.
     */
    public Deadline countFromArrival(Exchange exchange) {
        long arrivedAt = exchange.getIn() instanceof PlatformHttpMessage http
                && http.getRequest().getAttribute(ARRIVED_AT) instanceof Long at ? at : System.nanoTime();
        Deadline deadline = Deadline.from(arrivedAt, answerWithin);
        if (deadline.remainingMillis() < TOO_LATE_TO_START_MILLIS) {
            throw new RetryLater("the bridge is busy: this delivery waited too long to be started; retry later");
        }
        return deadline;
    }

    /** An operator's replay gets the same time as a delivery, from now. */
    public Deadline startNow() {
        return Deadline.from(System.nanoTime(), answerWithin);
    }
}

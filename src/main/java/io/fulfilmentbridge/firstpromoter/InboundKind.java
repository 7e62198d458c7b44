package io.fulfilmentbridge.firstpromoter;

import io.fulfilmentbridge.fulfilment.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * One inbound kind per bridge (docs/promises.md, Webhooks v2 events; bridge.firstpromoter.inbound): FirstPromoter's docs give no
 * link between a legacy payout id and a v2 commission id, so a bridge taking both could apply one
 * reward twice. Deliveries of the other kind are answered 202 ignored (routes fulfilment-webhook and
 * firstpromoter-events); this counts them, warns at most once a minute, and shows them on health, so a
 * team that subscribed the wrong kind finds out.
 */
@Component("firstpromoterInbound")
public class InboundKind implements HealthIndicator {

    private static final Logger LOG = LoggerFactory.getLogger(InboundKind.class);
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private final String inbound;
    private final AtomicLong otherKind = new AtomicLong();
    private final AtomicReference<Instant> lastOtherKind = new AtomicReference<>();
    private final AtomicReference<Instant> lastWarning = new AtomicReference<>(Instant.EPOCH);

    public InboundKind(FirstPromoterSettings settings) {
        this.inbound = settings.inbound();
    }

    /** True when this bridge applies webhooks v2 events; the legacy webhook's deliveries are then the other kind. */
    public boolean appliesEvents() {
        return FirstPromoterSettings.V2.equals(inbound);
    }

    /** Why a delivery of the other kind is answered 202 ignored, naming the setting. */
    public Answer otherKindAnswer() {
        return Answer.ignored(appliesEvents()
                ? "fulfilment_pending deliveries are not applied: this bridge applies webhooks v2 events, as bridge.firstpromoter.inbound is v2"
                : "webhooks v2 events are not applied: this bridge applies the legacy fulfilment_pending webhook, as bridge.firstpromoter.inbound is legacy");
    }

    /** A delivery of the kind this bridge does not apply: counted, warned of now and then, and its answer. */
    public Answer otherKindReceived() {
        long count = otherKind.incrementAndGet();
        Instant now = Instant.now();
        lastOtherKind.set(now);
        Instant warned = lastWarning.get();
        if (now.isAfter(warned.plus(WARN_EVERY)) && lastWarning.compareAndSet(warned, now)) {
            if (appliesEvents()) {
                LOG.warn("a FirstPromoter fulfilment_pending delivery was answered 202 ignored ({} so far): this bridge applies "
                        + "webhooks v2 commission events (bridge.firstpromoter.inbound={}); remove the legacy fulfilment webhook "
                        + "from FirstPromoter's campaign settings", count, inbound);
            } else {
                LOG.warn("a FirstPromoter webhooks v2 event was answered 202 ignored ({} so far): this bridge applies the "
                        + "legacy fulfilment_pending webhook (bridge.firstpromoter.inbound={}); point FirstPromoter's "
                        + "fulfilment webhook at it instead", count, inbound);
            }
        }
        return otherKindAnswer();
    }

    @Override
    public Health health() {
        Health.Builder health = Health.up().withDetail("inbound", inbound).withDetail("otherKindIgnored", otherKind.get());
        Instant last = lastOtherKind.get();
        return (last == null ? health : health.withDetail("lastOtherKindAt", last.toString())).build();
    }
}

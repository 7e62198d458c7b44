package io.fulfilmentbridge.camel;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.impl.engine.MDCUnitOfWork;
import org.apache.camel.spi.InflightRepository;
import org.apache.camel.spi.UnitOfWork;
import org.apache.camel.spi.UnitOfWorkFactory;
import org.slf4j.MDC;
import org.springframework.stereotype.Component;

/**
 * Every log line of a delivery names its fulfilment (docs/operations.md, Structured logs): source (v1 or
 * v2), id, event id, unit and, once decided, outcome, as MDC keys fulfilment.*, beside Camel's own
 * camel.* keys. Camel's MDC unit of work carries them to every thread the exchange runs on and
 * clears them when it is done. Only the labels are read: never a body, so never a secret.
 */
@Component
public class DeliveryMdc implements UnitOfWorkFactory {

    static final String KEYS = "fulfilment.*";

    private InflightRepository inflight;
    private boolean allowUseOriginalMessage;
    private boolean useBreadcrumb;

    @Override
    public void afterPropertiesConfigured(CamelContext camel) {
        inflight = camel.getInflightRepository();
        allowUseOriginalMessage = Boolean.TRUE.equals(camel.isAllowUseOriginalMessage());
        useBreadcrumb = Boolean.TRUE.equals(camel.isUseBreadcrumb());
    }

    @Override
    public UnitOfWork createUnitOfWork(Exchange exchange) {
        return new Labelled(exchange, inflight, allowUseOriginalMessage, useBreadcrumb);
    }

    private static final class Labelled extends MDCUnitOfWork {

        private volatile boolean done;

        Labelled(Exchange exchange, InflightRepository inflight, boolean allowUseOriginalMessage, boolean useBreadcrumb) {
            super(exchange, inflight, KEYS, allowUseOriginalMessage, useBreadcrumb);
        }

        @Override
        public UnitOfWork newInstance(Exchange exchange) {
            return new Labelled(exchange, exchange.getContext().getInflightRepository(),
                    Boolean.TRUE.equals(exchange.getContext().isAllowUseOriginalMessage()),
                    Boolean.TRUE.equals(exchange.getContext().isUseBreadcrumb()));
        }

        @Override
        public AsyncCallback beforeProcess(Processor processor, Exchange exchange, AsyncCallback callback) {
            label(exchange);
            return super.beforeProcess(processor, exchange, callback);
        }

        @Override
        public void afterProcess(Processor processor, Exchange exchange, AsyncCallback callback, boolean doneSync) {
            // The step may have decided the outcome: the log lines after it (the delivery's own) carry it.
            // Camel calls this after done too, for the route's first step, and on a thread the exchange
            // left (it goes on elsewhere): labelling there would leave the keys for whatever it serves next.
            if (!done && doneSync) {
                label(exchange);
            } else {
                unlabel();
            }
            super.afterProcess(processor, exchange, callback, doneSync);
        }

        @Override
        public void done(Exchange exchange) {
            done = true;
            super.done(exchange);
            // Also for an exchange Camel's own clean-up skips (one correlated to another).
            unlabel();
        }
    }

    static void unlabel() {
        for (String key : new String[] {"fulfilment.id", "fulfilment.eventId", "fulfilment.unit", "fulfilment.source", "fulfilment.outcome"}) {
            MDC.remove(key);
        }
    }

    /** Each key from this exchange alone: one it has not set yet is absent, never an earlier exchange's. */
    static void label(Exchange exchange) {
        DeliveryLabels labels = exchange.getProperty("labels") instanceof DeliveryLabels set ? set : null;
        put("fulfilment.id", labels == null ? null : labels.fulfilmentId());
        put("fulfilment.eventId", labels == null ? null : labels.eventId());
        put("fulfilment.unit", labels == null ? null : labels.unitLabel());
        put("fulfilment.source", source(exchange));
        put("fulfilment.outcome", exchange.getProperty("answer") instanceof Answer answer ? answer.outcome().label() : null);
    }

    private static String source(Exchange exchange) {
        if (exchange.getProperty("claim") instanceof Claim claim) {
            return claim.key().source().ledgerSource();
        }
        if (exchange.getProperty("commissionEvent") instanceof CommissionEvent) {
            return "v2";
        }
        String door = exchange.getFromRouteId();
        return "fulfilment-webhook".equals(door) ? "v1" : "firstpromoter-events".equals(door) ? "v2" : null;
    }

    private static void put(String key, Object value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value.toString());
        }
    }
}

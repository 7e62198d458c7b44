package io.fulfilmentbridge.webhook;

import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.RouteEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;

/**
 * docs/operations.md, What happens when: until every route has started, and from the moment shutdown begins, a delivery
 * is answered 503 rather than Spring's 404 (Tomcat takes requests seconds before Camel registers the
 * webhook route, and Camel removes it while Tomcat still serves). Open once Camel has started all its
 * routes; closed again by Spring's close event (the first step of shutdown, before anything stops), by
 * Camel stopping, or by the webhook route stopping.
 */
public class WebhookDoor extends EventNotifierSupport implements ApplicationListener<ContextClosedEvent>, Ordered {

    /** Why the door is shut, or null while it is open. */
    private volatile String closedBecause = "the bridge is starting; try again shortly";
    private volatile boolean shuttingDown;
    private final String webhookRouteId;

    public WebhookDoor(String webhookRouteId) {
        this.webhookRouteId = webhookRouteId;
        // Only lifecycle events: no cost per exchange.
        setIgnoreExchangeEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreCamelContextInitEvents(true);
        setIgnoreServiceEvents(true);
    }

    public boolean open() {
        return closedBecause == null;
    }

    /** What the 503's detail says while the door is shut. */
    public String closedBecause() {
        String reason = closedBecause;
        return reason == null ? "the bridge is not taking deliveries; try again shortly" : reason;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return switch (event.getType()) {
            case CamelContextStarted, CamelContextResumed, CamelContextStopping, CamelContextSuspending, RouteStarted,
                 RouteStopping -> true;
            default -> false;
        };
    }

    @Override
    public void notify(CamelEvent event) {
        switch (event.getType()) {
            case CamelContextStarted, CamelContextResumed -> opened();
            case CamelContextStopping -> closed("the bridge is shutting down; try again shortly");
            case CamelContextSuspending -> closed("the bridge's routes are suspended; try again shortly");
            case RouteStarted -> {
                if (isWebhookRoute(event) && ((RouteEvent) event).getRoute().getCamelContext().isStarted()) {
                    opened();
                }
            }
            case RouteStopping -> {
                if (isWebhookRoute(event)) {
                    closed("the webhook route is stopped; try again shortly");
                }
            }
            default -> { }
        }
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        shuttingDown = true;
        closed("the bridge is shutting down; try again shortly");
    }

    /** Before Camel's own listener stops the routes. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    private boolean isWebhookRoute(CamelEvent event) {
        return event instanceof RouteEvent routeEvent && webhookRouteId.equals(routeEvent.getRoute().getRouteId());
    }

    private void opened() {
        // Once shutdown has begun nothing reopens the door.
        if (!shuttingDown) {
            closedBecause = null;
        }
    }

    private void closed(String reason) {
        closedBecause = reason;
    }
}

package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.impl.event.CamelContextStartedEvent;
import org.apache.camel.impl.event.CamelContextStoppingEvent;
import org.apache.camel.impl.event.RouteStartedEvent;
import org.apache.camel.impl.event.RouteStoppingEvent;
import org.junit.jupiter.api.Test;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.support.GenericApplicationContext;

/** Contract section 8: when the webhook's door lets deliveries in, event by event. */
class WebhookDoorTest {

    private final CamelContext camel = mock(CamelContext.class);
    private final WebhookDoor door = new WebhookDoor("fulfilment-webhook");

    @Test
    void shutUntilCamelHasStartedEveryRoute() {
        assertThat(door.open()).isFalse();
        assertThat(door.closedBecause()).contains("starting");
        // The webhook route starting on its own is not enough: other routes may still be starting.
        notifyDoor(new RouteStartedEvent(route("fulfilment-webhook", false)));
        assertThat(door.open()).isFalse();

        notifyDoor(new CamelContextStartedEvent(camel));
        assertThat(door.open()).isTrue();
    }

    @Test
    void shutWhileTheWebhookRouteIsStoppedAndOpenAgainWhenItRestarts() {
        notifyDoor(new CamelContextStartedEvent(camel));
        notifyDoor(new RouteStoppingEvent(route("credits", true)));
        assertThat(door.open()).as("another route").isTrue();

        notifyDoor(new RouteStoppingEvent(route("fulfilment-webhook", true)));
        assertThat(door.open()).isFalse();
        notifyDoor(new RouteStartedEvent(route("fulfilment-webhook", true)));
        assertThat(door.open()).isTrue();
    }

    @Test
    void shutFromTheMomentShutdownBeginsAndNeverReopened() {
        notifyDoor(new CamelContextStartedEvent(camel));
        door.onApplicationEvent(new ContextClosedEvent(new GenericApplicationContext()));
        assertThat(door.open()).isFalse();
        assertThat(door.closedBecause()).contains("shutting down");

        notifyDoor(new RouteStartedEvent(route("fulfilment-webhook", true)));
        notifyDoor(new CamelContextStartedEvent(camel));
        assertThat(door.open()).isFalse();
    }

    @Test
    void shutWhenCamelStops() {
        notifyDoor(new CamelContextStartedEvent(camel));
        notifyDoor(new CamelContextStoppingEvent(camel));
        assertThat(door.open()).isFalse();
    }

    private void notifyDoor(org.apache.camel.spi.CamelEvent event) {
        if (door.isEnabled(event)) {
            door.notify(event);
        }
    }

    private Route route(String id, boolean contextStarted) {
        CamelContext context = mock(CamelContext.class);
        when(context.isStarted()).thenReturn(contextStarted);
        Route route = mock(Route.class);
        when(route.getRouteId()).thenReturn(id);
        when(route.getCamelContext()).thenReturn(context);
        return route;
    }
}

package io.fulfilmentbridge.camel;

import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.spi.RouteController;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * UP while Camel runs and every route is started: what the readiness probe holds besides the database
 * (docs/operations.md, Probes). A route an operator or a shutdown stopped takes the instance out of
 * service; an outage of the broker or a billing system does not (its routes stay started).
 */
@Component("routes")
public class RoutesHealth implements HealthIndicator {

    private final CamelContext camel;

    public RoutesHealth(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    public Health health() {
        if (!camel.isStarted()) {
            return Health.down().withDetail("camel", camel.getStatus().name()).build();
        }
        RouteController routes = camel.getRouteController();
        List<String> notStarted = camel.getRoutes().stream()
                .map(route -> route.getRouteId())
                .filter(id -> routes.getRouteStatus(id) != ServiceStatus.Started)
                .sorted()
                .toList();
        Health.Builder health = notStarted.isEmpty() ? Health.up() : Health.down().withDetail("notStarted", notStarted);
        return health.withDetail("routes", camel.getRoutes().size()).build();
    }
}

package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Route split-on-unit: each unit reaches exactly its route; an unknown one is parked. */
class SplitOnUnitRouteTest extends RouteTestSupport {

    private static final List<String> UNIT_ROUTES = List.of("free-months", "credits", "cash-payout", "discounts");

    @Override
    protected List<String> routeFiles() {
        return List.of("split-on-unit.camel.yaml", "error-handling.camel.yaml");
    }

    @BeforeEach
    void mockTheUnitRoutes() throws Exception {
        // Sent to mock:direct:free-months (and so on) instead; the unit routes are not loaded.
        advise("split-on-unit", route -> route.mockEndpointsAndSkip("direct:free-months", "direct:credits", "direct:cash-payout",
                "direct:discounts"));
        context.start();
    }

    @ParameterizedTest
    @CsvSource({"free_months, free-months", "credits, credits", "points, credits", "cash, cash-payout",
            "mon_discount, discounts", "discount_per, discounts", "discount_mon, discounts"})
    void eachUnitGoesToItsRouteOnly(String unit, String route) throws Exception {
        for (String each : UNIT_ROUTES) {
            getMockEndpoint("mock:direct:" + each).expectedMessageCount(each.equals(route) ? 1 : 0);
        }
        Fulfilment reward = fulfilment(92, unit, "3");
        getMockEndpoint("mock:direct:" + route).expectedBodiesReceived(reward);

        template.send("direct:split-on-unit", delivery(reward, held(reward)));

        MockEndpoint.assertIsSatisfied(context);
        verifyNoInteractions(lifecycle, claims, decisions, reversals);
    }

    @Test
    void anUnknownUnitIsParkedWithItsName() throws Exception {
        for (String each : UNIT_ROUTES) {
            getMockEndpoint("mock:direct:" + each).expectedMessageCount(0);
        }
        Fulfilment reward = fulfilment(93, "stars", "3");
        Claim claim = held(reward);
        Answer parked = Answer.parked("unknown unit: stars");
        when(lifecycle.park(any(), any(), any())).thenReturn(parked);

        Exchange done = template.send("direct:split-on-unit", delivery(reward, claim));

        verify(lifecycle).park(claim, "unknown unit: stars", deadline);
        assertSame(parked, done.getProperty("answer"));
        MockEndpoint.assertIsSatisfied(context);
    }
}

package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.billing.BillingRewards;
import io.fulfilmentbridge.billing.GrantResult;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Route template billing-grant and its two routes, free-months and discounts: granted, or parked with the reason. */
class BillingGrantRouteTest extends RouteTestSupport {

    private final BillingRewards billingRewards = mock(BillingRewards.class);

    @Override
    protected List<String> routeFiles() {
        return List.of("billing-grant.camel.yaml", "error-handling.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("billingRewards", billingRewards);
    }

    @BeforeEach
    void start() {
        context.start();
    }

    @ParameterizedTest
    @CsvSource({"free-months, free_months", "discounts, mon_discount", "discounts, discount_per"})
    void grantedIsAnsweredGrantedWithTheSystemsDetail(String route, String unit) throws Exception {
        Fulfilment reward = fulfilment(201, unit, "2");
        Claim claim = held(reward);
        when(billingRewards.grant(reward, claim, deadline)).thenReturn(GrantResult.applied("2 months on sub_1"));

        Exchange done = template.send("direct:" + route, delivery(reward, claim));

        assertEquals(Answer.granted("2 months on sub_1"), done.getProperty("answer"));
        verifyNoInteractions(lifecycle);
    }

    @ParameterizedTest
    @CsvSource({"free-months, free_months", "discounts, discount_per"})
    void notGrantedIsParkedWithTheReason(String route, String unit) throws Exception {
        Fulfilment reward = fulfilment(202, unit, "2");
        Claim claim = held(reward);
        when(billingRewards.grant(reward, claim, deadline)).thenReturn(GrantResult.parked("no customer cus_202"));
        Answer parked = Answer.parked("no customer cus_202");
        when(lifecycle.park(claim, "no customer cus_202", deadline)).thenReturn(parked);

        Exchange done = template.send("direct:" + route, delivery(reward, claim));

        verify(lifecycle).park(claim, "no customer cus_202", deadline);
        assertSame(parked, done.getProperty("answer"));
        assertEquals(route, context.getRoute(route).getRouteId());
    }
}

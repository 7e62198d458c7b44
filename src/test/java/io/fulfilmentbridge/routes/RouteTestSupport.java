package io.fulfilmentbridge.routes;

import static org.mockito.Mockito.mock;

import io.fulfilmentbridge.camel.Failures;
import io.fulfilmentbridge.fulfilment.AnswerStatuses;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.DeliveryLabels;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentMetrics;
import io.fulfilmentbridge.fulfilment.CommissionDecisions;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.FulfilmentReversals;
import io.fulfilmentbridge.fulfilment.OperatorQueries;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.RewardLimits;
import io.fulfilmentbridge.payout.CashSettings;
import io.fulfilmentbridge.payout.PayoutMessages;
import io.fulfilmentbridge.webhook.WebhookAnswer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.apache.camel.test.junit5.TestExecutionConfiguration;
import org.apache.camel.util.function.ThrowingConsumer;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Route tests with Camel's test kit, no Spring Boot: a test names the files of routes/ it needs, the
 * real beans that need no database are bound here under the names the routes use, and the fulfilments'
 * record keepers (fulfilmentLifecycle, fulfilmentClaims, ...) are Mockito mocks unless a test binds real ones. Each test advises the
 * routes it needs (mocks in place of what they send to), then starts the context.
 */
abstract class RouteTestSupport extends CamelTestSupport {

    /** The settings' defaults (FulfilmentSettings, CashSettings), as the routes' placeholders and the beans read them. */
    static final FulfilmentSettings SETTINGS = new FulfilmentSettings(Duration.ofSeconds(9), Duration.ofSeconds(15),
            Duration.ofHours(1), new FulfilmentSettings.Limits(24, new BigDecimal("100000"), 1_000_000, 100_000, 100),
            new FulfilmentSettings.GroupCommit(100, 2), "classpath:routes", Duration.ofDays(30));
    static final CashSettings CASH = new CashSettings("payouts", "payouts.results", "DLQ", "usd", 202,
            Duration.ofMillis(250), Duration.ofMinutes(3));

    protected final FulfilmentLifecycle lifecycle = mock(FulfilmentLifecycle.class);
    protected final FulfilmentClaims claims = mock(FulfilmentClaims.class);
    protected final CommissionDecisions decisions = mock(CommissionDecisions.class);
    protected final FulfilmentReversals reversals = mock(FulfilmentReversals.class);
    protected final OperatorQueries queries = mock(OperatorQueries.class);
    protected final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /**
     * The answer's deadline the routes' beans are given. Longer than the webhook's 9 s: it runs from the
     * test's construction, and a loaded build machine's first test (class loading, migrations) took longer.
     */
    protected final Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(60));

    /** The files of routes/ the test loads, e.g. "split-on-unit.camel.yaml". */
    protected abstract List<String> routeFiles();

    /** Routes of the test's own (Java DSL), beside the route files. */
    protected List<RoutesBuilder> testRoutes() {
        return List.of();
    }

    @Override
    public void configureTest(TestExecutionConfiguration test) {
        super.configureTest(test);
        // The test advises the routes, then starts the context itself.
        test.withUseAdviceWith(true);
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        Properties placeholders = new Properties();
        placeholders.setProperty("bridge.cash.queue", CASH.queue());
        placeholders.setProperty("bridge.cash.results-queue", CASH.resultsQueue());
        placeholders.setProperty("bridge.cash.dead-letter-queue", CASH.deadLetterQueue());
        placeholders.setProperty("bridge.cash.queued-status", String.valueOf(CASH.queuedStatus()));
        context.getPropertiesComponent().setInitialProperties(placeholders);
        return context;
    }

    @Override
    protected RoutesBuilder[] createRouteBuilders() throws Exception {
        List<Resource> files = new ArrayList<>();
        for (String file : routeFiles()) {
            files.add(ResourceHelper.resolveMandatoryResource(context, "file:routes/" + file));
        }
        List<RoutesBuilder> builders = new ArrayList<>(PluginHelper.getRoutesLoader(context).findRoutesBuilders(files));
        builders.addAll(testRoutes());
        return builders.toArray(RoutesBuilder[]::new);
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        registry.bind("fulfilmentLifecycle", lifecycle);
        registry.bind("fulfilmentClaims", claims);
        registry.bind("commissionDecisions", decisions);
        registry.bind("fulfilmentReversals", reversals);
        registry.bind("rewardLimits", new RewardLimits(SETTINGS));
        registry.bind("answerStatuses", new AnswerStatuses(CASH.queuedStatus()));
        registry.bind("webhookAnswer", new WebhookAnswer());
        registry.bind("failures", new Failures(claims, lifecycle));
        registry.bind("payoutMessages", new PayoutMessages(CASH));
        // Its gauges read the database only when scraped, which no route test does.
        registry.bind("fulfilmentMetrics", new FulfilmentMetrics(meters, new JdbcTemplate(), queries));
    }

    /** Advises a route (AdviceWith), e.g. to put mocks in place of the endpoints it sends to. */
    protected void advise(String routeId, ThrowingConsumer<AdviceWithRouteBuilder, Exception> advice) throws Exception {
        AdviceWith.adviceWith(context, routeId, advice);
    }

    /** A fulfilment_pending reward. */
    protected static Fulfilment fulfilment(long id, String unit, String amount) {
        return new Fulfilment(FulfilmentKey.pending(id), "evt-" + id, unit, new BigDecimal(amount), "pending", 7L,
                "cus_" + id, "promoter" + id + "@example.com");
    }

    /** A claim this delivery holds, for attempt 1. */
    protected static Claim held(Fulfilment f) {
        return new Claim(f.key(), "lease-of-this-delivery", 1, null);
    }

    /** The exchange a unit route gets: the fulfilment as body, and the properties the webhook route set. */
    protected Exchange delivery(Fulfilment f, Claim claim) {
        Exchange exchange = createExchangeWithBody(f);
        exchange.setProperty("labels", new DeliveryLabels(f.id(), f.eventId(), f.unitLabel()));
        exchange.setProperty("deadline", deadline);
        exchange.setProperty("claim", claim);
        return exchange;
    }

    /** The one exchange direct:answer got, where a test mocked it (mockEndpointsAndSkip). */
    protected Exchange answered() throws Exception {
        MockEndpoint answer = getMockEndpoint("mock:direct:answer");
        answer.expectedMessageCount(1);
        answer.assertIsSatisfied();
        return answer.getExchanges().get(0);
    }
}

package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.fulfilmentbridge.billing.BillingRefused;
import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.Outcome;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.webhook.RejectedDelivery;
import java.sql.SQLException;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * Route configurations fulfilment-outcomes and unit-routes (error-handling.camel.yaml): each failure
 * becomes its answer, once, whether a step threw it or a bean called in an expression (which Camel
 * wraps in RuntimeBeanExpressionException), and even when it passes through a unit route.
 */
class ErrorHandlingRouteTest extends RouteTestSupport {

    /** Where the failure is thrown. */
    enum Where {
        /** A processor step of a route under fulfilment-outcomes. */
        STEP("direct:step"),
        /** A bean called by a setProperty method expression (Camel wraps its exception in RuntimeBeanExpressionException). */
        BEAN_IN_EXPRESSION("direct:bean-in-expression"),
        /** A unit route (under unit-routes, no error handler of its own) called from one under fulfilment-outcomes. */
        UNIT_ROUTE("direct:through-unit-route");

        final String uri;

        Where(String uri) {
            this.uri = uri;
        }
    }

    /** What the failing step throws. */
    public static class Step {
        Exception failure;

        public String run(Claim claim) throws Exception {
            throw failure;
        }
    }

    private final Step step = new Step();
    private final Fulfilment reward = fulfilment(92, "credits", "10");
    private final Claim claim = held(reward);

    @Override
    protected List<String> routeFiles() {
        return List.of("error-handling.camel.yaml", "fulfilment-answer.camel.yaml");
    }

    @Override
    protected List<RoutesBuilder> testRoutes() {
        return List.of(new RouteBuilder() {
            @Override
            public void configure() {
                from(Where.STEP.uri).routeConfigurationId("fulfilment-outcomes")
                        .process(exchange -> step.run(null))
                        .to("direct:answer");
                from(Where.BEAN_IN_EXPRESSION.uri).routeConfigurationId("fulfilment-outcomes")
                        // With parameters, as the routes call beans: Camel wraps what it throws.
                        .setProperty("result", method("step", "run(${exchangeProperty.claim})"))
                        .to("direct:answer");
                from(Where.UNIT_ROUTE.uri).routeConfigurationId("fulfilment-outcomes")
                        .to("direct:unit-route")
                        .to("direct:answer");
                from("direct:unit-route").routeConfigurationId("unit-routes")
                        .setProperty("result", method("step", "run(${exchangeProperty.claim})"));
            }
        });
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        super.bindToRegistry(registry);
        registry.bind("step", step);
    }

    @BeforeEach
    void recordTheAnswers() throws Exception {
        advise("fulfilment-answer", route -> route.weaveAddLast().to("mock:answered"));
        context.start();
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void aRejectedDeliveryIsAnswered400WithItsOwnMessage(Where where) throws Exception {
        Exchange answered = answerTo(new RejectedDelivery("data.id is missing"), where);

        assertAnswer(answered, Outcome.REJECTED, 400, "data.id is missing");
        verify(claims, never()).release(any(), any());
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void retryLaterIsAnswered503AndReleasesTheClaim(Where where) throws Exception {
        Exchange answered = answerTo(new RetryLater("Stripe timed out; retry later"), where);

        assertAnswer(answered, Outcome.RETRY, 503, "Stripe timed out; retry later");
        verify(claims).release(claim, deadline);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void aRefusalOfTheBillingSystemIsParkedWithItsMessage(Where where) throws Exception {
        when(lifecycle.park(any(), any(), any())).thenAnswer(call -> Answer.parked(call.getArgument(1)));

        Exchange answered = answerTo(new BillingRefused("no subscription for cus_92"), where);

        verify(lifecycle).park(claim, "no subscription for cus_92", deadline);
        assertAnswer(answered, Outcome.PARKED, 202, "no subscription for cus_92");
        verify(claims, never()).release(any(), any());
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void aDatabaseFailureIsAnswered503AndReleasesTheClaim(Where where) throws Exception {
        for (Exception failure : List.of(new DataAccessResourceFailureException("connection refused"),
                new CannotCreateTransactionException("no connection"), new SQLException("connection reset"))) {
            MockEndpoint.resetMocks(context);
            Exchange answered = answerTo(failure, where);

            assertAnswer(answered, Outcome.RETRY, 503, "the ledger database is unavailable; retry later");
        }
        verify(claims, times(3)).release(claim, deadline);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void anyOtherFailureIsAnswered500AndReleasesTheClaim(Where where) throws Exception {
        Exchange answered = answerTo(new IllegalStateException("a bug"), where);

        assertAnswer(answered, Outcome.ERROR, 500, "internal error; nothing was applied");
        verify(claims).release(claim, deadline);
    }

    /** Throws the failure where said and returns the one answer it got. */
    private Exchange answerTo(Exception failure, Where where) throws Exception {
        step.failure = failure;
        MockEndpoint answers = getMockEndpoint("mock:answered");
        answers.expectedMessageCount(1);

        Exchange sent = template.send(where.uri, delivery(reward, claim));

        assertNull(sent.getException(), "handled, not thrown to the caller");
        answers.assertIsSatisfied();
        return answers.getExchanges().get(0);
    }

    private static void assertAnswer(Exchange answered, Outcome outcome, int status, String detail) {
        assertEquals(new Answer(outcome, detail), answered.getProperty("answer"));
        assertEquals(status, answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
    }
}

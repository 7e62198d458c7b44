package io.fulfilmentbridge.camel;

import io.fulfilmentbridge.fulfilment.Answer;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.language.bean.RuntimeBeanExpressionException;
import org.springframework.stereotype.Component;

/**
 * The failure an error handler caught, as route error-handling answers it. A bean called from an
 * expression (setProperty with a method) reaches the handler wrapped in Camel's exceptions; the
 * answer and the log name what the bean threw, never the wrapper.
 */
@Component("failures")
public class Failures {

    public Answer rejected(Exchange exchange) {
        return Answer.rejected(reason(exchange));
    }

    public Answer retry(Exchange exchange) {
        return Answer.retry(reason(exchange));
    }

    /** The message of what was thrown. */
    public String reason(Exchange exchange) {
        Throwable thrown = thrown(exchange);
        return thrown == null ? "" : thrown.getMessage();
    }

    /** The class of what was thrown, for the log. */
    public String kind(Exchange exchange) {
        Throwable thrown = thrown(exchange);
        return thrown == null ? "" : thrown.getClass().getName();
    }

    /** The class's simple name, for the log line of a database outage. */
    public String simpleKind(Exchange exchange) {
        Throwable thrown = thrown(exchange);
        return thrown == null ? "" : thrown.getClass().getSimpleName();
    }

    static Throwable thrown(Exchange exchange) {
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        while (thrown != null && thrown.getCause() != null && (thrown instanceof RuntimeBeanExpressionException
                || thrown instanceof CamelExecutionException || thrown.getClass() == RuntimeCamelException.class)) {
            thrown = thrown.getCause();
        }
        return thrown;
    }
}

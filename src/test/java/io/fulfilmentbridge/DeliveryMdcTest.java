package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import java.util.Map;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The fulfilment.* MDC keys of a delivery end with its exchange (docs/operations.md, Structured logs):
 * the thread that ran it (a Tomcat or JMX thread, serving the next request next) carries none of them
 * afterwards, so no later line is labelled with a fulfilment it is not about.
 */
class DeliveryMdcTest extends BridgeTest {

    @Autowired
    private ProducerTemplate producer;

    @Test
    void aReplaysLabelsAreGoneFromItsThreadOnceItIsAnswered() {
        MDC.clear();
        long id = nextId();
        producer.send("direct:replay", ExchangePattern.InOut, exchange -> exchange.getIn().setBody(FulfilmentKey.pending(id)));

        Map<String, String> left = MDC.getCopyOfContextMap();
        assertThat(left == null ? Map.<String, String>of() : left).as("MDC on the thread after the replay was answered")
                .doesNotContainKeys("fulfilment.id", "fulfilment.source", "fulfilment.outcome");
    }
}

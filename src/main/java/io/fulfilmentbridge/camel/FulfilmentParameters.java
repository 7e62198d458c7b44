package io.fulfilmentbridge.camel;

import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.util.HashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.TypeConverterSupport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A fulfilment as the sql component's named parameters. Before each {@code :#...} parameter the sql
 * component asks for the body as a Map; for a fulfilment that conversion used to miss, and each
 * miss searched every registered converter: a quarter of the bridge's CPU per credits webhook.
 */
@Configuration(proxyBeanMethods = false)
public class FulfilmentParameters {

    @Bean
    CamelContextConfiguration fulfilmentAsParameters() {
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext context) {
                context.getTypeConverterRegistry().addTypeConverter(Map.class, Fulfilment.class, new TypeConverterSupport() {
                    @Override
                    public <T> T convertTo(Class<T> type, Exchange exchange, Object value) {
                        return type.cast(asParameters((Fulfilment) value));
                    }
                });
            }

            @Override
            public void afterApplicationStart(CamelContext context) {
            }
        };
    }

    static Map<String, Object> asParameters(Fulfilment f) {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("id", f.id());
        parameters.put("eventId", f.eventId());
        parameters.put("unit", f.unit());
        parameters.put("amount", f.amount());
        parameters.put("promoterId", f.promoterId());
        parameters.put("ledgerAccount", f.ledgerAccount());
        return parameters;
    }
}

package io.fulfilmentbridge.webhook;

import io.fulfilmentbridge.fulfilment.AnswerStatuses;
import io.fulfilmentbridge.fulfilment.FulfilmentMetrics;
import io.fulfilmentbridge.tracing.Spans;
import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

@Configuration(proxyBeanMethods = false)
public class WebhookConfiguration {

    /** The route that takes deliveries (routes/fulfilment-webhook.camel.yaml). */
    static final String WEBHOOK_ROUTE_ID = "fulfilment-webhook";

    @Bean
    WebhookDoor webhookDoor() {
        return new WebhookDoor(WEBHOOK_ROUTE_ID);
    }

    /** Camel does not pick up notifier beans by itself here: added before it starts, so it sees its own start. */
    @Bean
    CamelContextConfiguration webhookDoorSeesCamel(WebhookDoor door) {
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext camelContext) {
                camelContext.getManagementStrategy().addEventNotifier(door);
            }

            @Override
            public void afterApplicationStart(CamelContext camelContext) {
            }
        };
    }

    @Bean
    FilterRegistrationBean<WebhookGuardFilter> webhookGuard(WebhookSecrets secrets, FulfilmentMetrics metrics, WebhookDoor door,
            AnswerStatuses statuses, WebhookSettings settings) {
        return guard(new WebhookGuardFilter(secrets, metrics, door, statuses, false, settings.maxBodyBytes(),
                settings.maxDrainBytes()), settings.path());
    }

    /** The same checks in front of the webhooks v2 endpoint, whose subscriptions may send the secret as a Bearer token. */
    @Bean
    FilterRegistrationBean<WebhookGuardFilter> eventsGuard(WebhookSecrets secrets, FulfilmentMetrics metrics, WebhookDoor door,
            AnswerStatuses statuses, WebhookSettings settings) {
        return guard(new WebhookGuardFilter(secrets, metrics, door, statuses, true, settings.maxBodyBytes(),
                settings.maxDrainBytes()), settings.eventsPath());
    }

    /**
     * With traces on, after Spring's own HTTP observation filter (order HIGHEST_PRECEDENCE + 1), whose span
     * it hands on to Camel; not registered with traces off.
     */
    @Bean
    FilterRegistrationBean<WebhookTraceFilter> webhookTrace(Spans spans, WebhookSettings settings) {
        FilterRegistrationBean<WebhookTraceFilter> registration = new FilterRegistrationBean<>(new WebhookTraceFilter(spans));
        registration.addUrlPatterns(settings.path(), settings.eventsPath());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 2);
        registration.setEnabled(spans.on());
        return registration;
    }

    /** First of all filters, on its path only. */
    private static FilterRegistrationBean<WebhookGuardFilter> guard(WebhookGuardFilter filter, String path) {
        FilterRegistrationBean<WebhookGuardFilter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns(path);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }
}

package io.fulfilmentbridge.webhook;

import io.fulfilmentbridge.fulfilment.FulfilmentMetrics;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

@Configuration(proxyBeanMethods = false)
public class WebhookConfiguration {

    @Bean
    FilterRegistrationBean<WebhookGuardFilter> webhookGuard(WebhookSecrets secrets, FulfilmentMetrics metrics,
            @Value("${bridge.webhook.path}") String path,
            @Value("${bridge.webhook.max-body-bytes:65536}") int maxBodyBytes,
            @Value("${bridge.webhook.max-drain-bytes:16777216}") long maxDrainBytes) {
        FilterRegistrationBean<WebhookGuardFilter> registration =
                new FilterRegistrationBean<>(new WebhookGuardFilter(secrets, metrics, maxBodyBytes, maxDrainBytes));
        registration.addUrlPatterns(path);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }
}

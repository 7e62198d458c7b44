package io.fulfilmentbridge.payout;

import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jms.artemis.ArtemisConfigurationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The embedded broker (the default): persistent, with a loopback TCP acceptor so a payout worker can
 * consume the payout queue, and a dead-letter queue for results that cannot be read.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.artemis.mode", havingValue = "embedded")
public class EmbeddedBrokerConfiguration {

    @Bean
    ArtemisConfigurationCustomizer payoutBroker(@Value("${bridge.broker.tcp-port:61616}") int tcpPort,
                                                @Value("${bridge.cash.dead-letter-queue:DLQ}") String deadLetterQueue) {
        return configuration -> {
            try {
                configuration.addAcceptorConfiguration("payout-worker", "tcp://127.0.0.1:" + tcpPort);
            } catch (Exception e) {
                throw new IllegalStateException("cannot add the broker's TCP acceptor", e);
            }
            configuration.addAddressSetting("#", new AddressSettings()
                    .setDeadLetterAddress(org.apache.activemq.artemis.api.core.SimpleString.of(deadLetterQueue))
                    .setMaxDeliveryAttempts(5));
        };
    }
}

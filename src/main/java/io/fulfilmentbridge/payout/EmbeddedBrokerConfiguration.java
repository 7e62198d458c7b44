package io.fulfilmentbridge.payout;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import jakarta.jms.ConnectionFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jms.artemis.ArtemisConfigurationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * The embedded broker (the default): persistent, with a loopback TCP acceptor so a payout worker can
 * consume the payout queue, and a dead-letter queue for results that cannot be read. Security is on:
 * the TCP acceptor takes only the payout worker's login ({@link BrokerLogin}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.artemis.mode", havingValue = "embedded")
public class EmbeddedBrokerConfiguration {

    @Bean
    BrokerLogin brokerLogin(BrokerSettings settings) throws IOException {
        return new BrokerLogin(settings);
    }

    @Bean
    ArtemisConfigurationCustomizer payoutBroker(BrokerSettings broker, CashSettings cash) {
        int tcpPort = broker.tcpPort();
        String deadLetterQueue = cash.deadLetterQueue();
        String resultsQueue = cash.resultsQueue();
        return configuration -> {
            try {
                configuration.addAcceptorConfiguration("payout-worker", "tcp://127.0.0.1:" + tcpPort);
            } catch (Exception e) {
                throw new IllegalStateException("cannot add the broker's TCP acceptor", e);
            }
            configuration.setSecurityEnabled(true);
            // Artemis lets its cluster user in with the cluster password, "CHANGE ME!!" unless set: a
            // random one nobody knows closes that door (this broker has no cluster).
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            configuration.setClusterPassword(HexFormat.of().formatHex(random));
            SimpleString deadLetters = SimpleString.of(deadLetterQueue);
            configuration.addAddressSetting("#", new AddressSettings()
                    .setDeadLetterAddress(deadLetters)
                    .setMaxDeliveryAttempts(5));
            // A result the bridge could not record is tried again with growing pauses, not at once.
            configuration.addAddressSetting(resultsQueue, new AddressSettings()
                    .setDeadLetterAddress(deadLetters)
                    .setMaxDeliveryAttempts(10)
                    .setRedeliveryDelay(1000)
                    .setRedeliveryMultiplier(2)
                    .setMaxRedeliveryDelay(60_000));
        };
    }

    /**
     * Gives the embedded broker its login before it starts, and the bridge's own in-VM connection
     * factory the same login (Spring Boot sets spring.artemis.user only on a native broker's factory).
     */
    @Bean
    static BeanPostProcessor brokerSecurity(ObjectProvider<BrokerLogin> login) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if (bean instanceof EmbeddedActiveMQ broker) {
                    broker.setSecurityManager(new BrokerSecurityManager(login.getObject()));
                }
                ConnectionFactory target = bean instanceof CachingConnectionFactory caching
                        ? caching.getTargetConnectionFactory() : bean instanceof ConnectionFactory factory ? factory : null;
                if (target instanceof ActiveMQConnectionFactory artemis) {
                    login.getObject().logIn(artemis);
                }
                return bean;
            }
        };
    }
}

package io.fulfilmentbridge.camel;

import jakarta.jms.JMSException;
import org.apache.camel.Message;
import org.apache.camel.component.jms.JmsMessage;
import org.springframework.stereotype.Component;

/**
 * The JMS message id of the message a route consumes, for route payout-results (docs/operations.md,
 * Dead-lettered payout results): the broker keeps it on every redelivery. Read from the JMS message
 * itself, never from the header Camel maps, which a message property of the same name would replace.
 */
@Component("jmsMessageIds")
public class JmsMessageIds {

    /** Null when the message came from no JMS queue or was sent without an id. */
    public String of(Message message) throws JMSException {
        return message instanceof JmsMessage jms && jms.getJmsMessage() != null ? jms.getJmsMessage().getJMSMessageID() : null;
    }
}

package io.fulfilmentbridge.payout;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQIOErrorException;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.core.server.RoutingContext;
import org.apache.activemq.artemis.core.server.plugin.ActiveMQServerMessagePlugin;
import org.apache.activemq.artemis.reader.TextMessageUtil;

/**
 * A plugin of the embedded broker that fails the first send of one body to the dead-letter queue as a
 * journal error would: the broker marks the transaction rollback-only, so the commit of the transaction that
 * consumed the result fails after the bridge listed and counted it as a dead letter, and the broker delivers
 * the result again. Later sends of the body go through.
 */
class RefuseDeadLetterOnce implements ActiveMQServerMessagePlugin {

    private final String deadLetterQueue;
    private final String body;
    private final AtomicInteger sends = new AtomicInteger();

    RefuseDeadLetterOnce(String deadLetterQueue, String body) {
        this.deadLetterQueue = deadLetterQueue;
        this.body = body;
    }

    @Override
    public void beforeMessageRoute(Message message, RoutingContext context, boolean direct, boolean rejectDuplicates)
            throws ActiveMQException {
        if (deadLetterQueue.equals(message.getAddress())
                && body.equals(String.valueOf(TextMessageUtil.readBodyText(message.toCore().getReadOnlyBodyBuffer())))
                && sends.incrementAndGet() == 1) {
            // Only an I/O error while a message is routed makes Artemis roll the session's transaction back.
            throw new ActiveMQIOErrorException("injected failure storing the dead letter");
        }
    }

    /** Sends of the body to the dead-letter queue so far, the refused one included. */
    int sends() {
        return sends.get();
    }
}

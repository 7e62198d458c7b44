package io.fulfilmentbridge.camel;

import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.Policy;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A route policy whose steps commit together: a fulfilment's new state and its effect (ledger
 * entries, payout outbox row). Unlike Camel's transacted(), a failure is rolled back and handed on
 * to the webhook route's error handling as it is, so it is answered 503 there rather than being
 * consumed by a transaction error handler. The exchange is marked transacted meanwhile, as Camel's own
 * policy does: the sql component's batch mode otherwise commits on its own.
 */
@Component("fulfilmentTransaction")
public class FulfilmentTransaction implements Policy {

    private final TransactionTemplate transaction;

    public FulfilmentTransaction(TransactionTemplate transaction) {
        this.transaction = transaction;
    }

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
    }

    @Override
    public Processor wrap(Route route, Processor processor) {
        return exchange -> transaction.executeWithoutResult(status -> {
            boolean transacted = exchange.isTransacted();
            exchange.getExchangeExtension().setTransacted(true);
            try {
                processor.process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            } finally {
                exchange.getExchangeExtension().setTransacted(transacted);
            }
            if (exchange.getException() != null) {
                status.setRollbackOnly();
            }
        });
    }
}

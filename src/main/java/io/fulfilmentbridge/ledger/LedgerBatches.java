package io.fulfilmentbridge.ledger;

import io.fulfilmentbridge.fulfilment.Answer;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.FulfilmentSettings;
import io.fulfilmentbridge.fulfilment.GroupCommit;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.TypeConverterSupport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.stereotype.Component;

/**
 * Credits and points in groups: the grants of deliveries that arrive together are booked in one
 * transaction (route ledger-batch). A batch that fails, maybe for one grant's sake (its lease lost, a
 * row refused), is booked again one grant at a time by each delivery, so the others still commit.
 */
@Component("ledgerBatches")
public class LedgerBatches {

    private final ProducerTemplate producer;
    private final FulfilmentLifecycle lifecycle;
    private final GroupCommit<LedgerGrant, Void> grants;
    private final GroupCommit<LedgerGrant, Boolean> firstGrants;

    public LedgerBatches(ProducerTemplate producer, FulfilmentLifecycle lifecycle, MeterRegistry meters, FulfilmentSettings settings) {
        this.producer = producer;
        this.lifecycle = lifecycle;
        this.grants = new GroupCommit<>("ledger", settings.groupCommit().batchSize(), settings.groupCommit().committers(),
                meters, this::bookTogether);
        this.firstGrants = new GroupCommit<>("first-grants", settings.groupCommit().batchSize(), settings.groupCommit().committers(),
                meters, this::bookFirstTogether);
    }

    /**
     * Credits or points of a fulfilment never seen before: its GRANTED record and its two ledger entries
     * in one transaction (route ledger-first-grants), group-committed with those of deliveries arriving
     * together; answered once committed. Null when the fulfilment is known already: the caller claims it
     * and goes the usual way (which answers granted before, waits, or evaluates a parked one afresh).
     * The amount is within bounds (route credits checks them first).
     */
    public Answer creditFirst(Fulfilment fulfilment, Deadline deadline) throws Exception {
        LedgerGrant grant = LedgerGrant.of(fulfilment, null);
        boolean inserted;
        try {
            inserted = firstGrants.commit(grant, deadline.remainingMillis());
        } catch (GroupCommit.NotCommitted alone) {
            inserted = bookFirstTogether(List.of(grant)).get(0);
        }
        return inserted ? Answer.credited(fulfilment) : null;
    }

    /** Route ledger-first-grants' first step: the batch's lifecycle inserted GRANTED; answers the grants that were new. */
    public List<LedgerGrant> recordFirst(List<LedgerGrant> batch) {
        List<Boolean> inserted = lifecycle.insertGranted(batch.stream().map(LedgerGrant::fulfilment).toList());
        List<LedgerGrant> fresh = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            if (inserted.get(i)) {
                fresh.add(batch.get(i));
            }
        }
        return fresh;
    }

    private List<Boolean> bookFirstTogether(List<LedgerGrant> batch) throws Exception {
        Exchange done = producer.send("direct:ledger-first-grants", ExchangePattern.InOut, exchange -> exchange.getIn().setBody(batch));
        if (done.getException() != null) {
            throw done.getException();
        }
        @SuppressWarnings("unchecked")
        List<LedgerGrant> fresh = done.getProperty("freshGrants", List.class);
        // Identity, not equality: two deliveries of one fulfilment in one batch are two grants, one of them new.
        Set<LedgerGrant> booked = Collections.newSetFromMap(new IdentityHashMap<>());
        booked.addAll(fresh);
        return batch.stream().map(booked::contains).toList();
    }

    /** Books the claimed fulfilment's two ledger entries and its GRANTED state; returns once they are committed. */
    public void book(Fulfilment fulfilment, Claim claim, Deadline deadline) throws Exception {
        LedgerGrant grant = LedgerGrant.of(fulfilment, claim);
        try {
            grants.commit(grant, deadline.remainingMillis());
        } catch (GroupCommit.NotCommitted alone) {
            bookTogether(List.of(grant));
        }
    }

    /** Route ledger-batch's first step: the batch's fulfilments granted, each under its claim. */
    public void markGranted(List<LedgerGrant> batch) {
        lifecycle.markAllGranted(batch.stream().map(LedgerGrant::claim).toList());
    }

    private List<Void> bookTogether(List<LedgerGrant> batch) throws Exception {
        Exchange done = producer.send("direct:ledger-batch", ExchangePattern.InOnly, exchange -> exchange.getIn().setBody(batch));
        if (done.getException() != null) {
            throw done.getException();
        }
        return Collections.nCopies(batch.size(), null);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        grants.stop();
        firstGrants.stop();
    }

    /**
     * Each grant of a batch as the sql component's named parameters (batch mode asks every item for a
     * Map); without a converter each lookup would search every registered one.
     */
    @Configuration(proxyBeanMethods = false)
    static class GrantParameters {
        @Bean
        CamelContextConfiguration ledgerGrantAsParameters() {
            return new CamelContextConfiguration() {
                @Override
                public void beforeApplicationStart(CamelContext context) {
                    context.getTypeConverterRegistry().addTypeConverter(Map.class, LedgerGrant.class, new TypeConverterSupport() {
                        @Override
                        public <T> T convertTo(Class<T> type, Exchange exchange, Object value) {
                            return type.cast(((LedgerGrant) value).parameters());
                        }
                    });
                }

                @Override
                public void afterApplicationStart(CamelContext context) {
                }
            };
        }
    }
}

package io.fulfilmentbridge.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The order contract 12 holds every billing system but Stripe to, with a scripted system: a grant is
 * stored before it is sent, applied with its fulfilment, and one whose answer was lost is settled
 * before anything else touches that customer.
 */
class CustomerGrantsTest extends BridgeTest {

    private static final String SYSTEM = "scripted";

    @Autowired
    private CustomerGrants customerGrants;

    @Autowired
    private FulfilmentClaims claims;

    /** A billing system that does what each test scripts, and says what it was asked, in order. */
    private static final class ScriptedSystem implements GrantSteps {
        final String name;
        final List<String> calls = new ArrayList<>();
        final List<BillingGrant> sent = new ArrayList<>();
        RuntimeException sendFails;
        Settled settled = Settled.TOOK_EFFECT;

        ScriptedSystem(String name) {
            this.name = name;
        }

        ScriptedSystem() {
            this(SYSTEM);
        }

        @Override
        public CustomerFound customer(Fulfilment f, Deadline deadline) {
            calls.add("customer " + f.custId());
            return f.custId().startsWith("none") ? CustomerFound.none("no customer " + f.custId())
                    : CustomerFound.found(f.custId());
        }

        @Override
        public Plan plan(Fulfilment f, String customerId, Deadline deadline) {
            calls.add("plan " + f.key().id());
            Instant base = Instant.parse("2027-01-15T00:00:00Z");
            return Plan.send(BillingGrant.toSend(f.key(), name, customerId, "sub-" + customerId,
                    BillingGrant.FREE_MONTHS, f.amount().intValueExact(), base, base.plus(Duration.ofDays(31)), null,
                    null), "1 free month for " + customerId);
        }

        @Override
        public void send(BillingGrant grant, Deadline deadline) {
            calls.add("send " + grant.key().id() + " " + grant.idempotencyKey());
            sent.add(grant);
            if (sendFails != null) {
                RuntimeException failure = sendFails;
                sendFails = null;
                throw failure;
            }
        }

        @Override
        public Settled settle(BillingGrant grant, Deadline deadline) {
            calls.add("settle " + grant.key().id());
            return settled;
        }
    }

    private static Fulfilment freeMonth(long id, String custId) {
        return new Fulfilment(FulfilmentKey.pending(id), "evt-" + id, "free_months", BigDecimal.ONE, "pending", 7L,
                custId, "promoter@example.com");
    }

    private static Deadline deadline() {
        return Deadline.from(System.nanoTime(), Duration.ofSeconds(8));
    }

    /** As the routes do: the claim released when the answer is 503, so the next delivery takes it. */
    private GrantResult grant(String billingSystem, Fulfilment f, GrantSteps system) throws Exception {
        Deadline deadline = deadline();
        Claim claim = claims.claim(f, deadline);
        try {
            return customerGrants.grantOnce(billingSystem, f, claim, deadline, system);
        } catch (RetryLater transientFailure) {
            claims.release(claim, deadline);
            throw transientFailure;
        }
    }

    private GrantResult grant(Fulfilment f, ScriptedSystem system) throws Exception {
        return grant(SYSTEM, f, system);
    }

    private Map<String, Object> grantRow(long id) {
        return jdbc.queryForMap("SELECT billing_system, customer_id, kind, months, state, key_generation, base_at, target_at "
                + "FROM billing_grants WHERE source = 'v1' AND fulfilment_id = ?", id);
    }

    private int grantRows(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM billing_grants WHERE fulfilment_id = ?", Integer.class, id);
    }

    @Test
    void aGrantIsStoredSentUnderItsKeyAndAppliedWithItsFulfilment() throws Exception {
        long id = nextId();
        String customer = "cust-" + id;
        ScriptedSystem system = new ScriptedSystem();

        GrantResult result = grant(freeMonth(id, customer), system);

        assertThat(result).isEqualTo(GrantResult.applied("1 free month for " + customer));
        assertThat(system.calls).containsExactly("customer " + customer, "plan " + id, "send " + id + " fulfilment-" + id);
        assertThat(grantRow(id)).containsEntry("billing_system", SYSTEM).containsEntry("customer_id", customer)
                .containsEntry("kind", "free-months").containsEntry("months", 1).containsEntry("state", "APPLIED")
                .containsEntry("key_generation", 1);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(count("billing_customer_locks")).isZero();
    }

    @Test
    void aGrantWhoseAnswerWasLostIsSettledBeforeTheNextGrantToThatCustomerAndNotSentAgain() throws Exception {
        long lost = nextId();
        long next = nextId();
        String customer = "cust-" + lost;
        ScriptedSystem system = new ScriptedSystem();
        system.sendFails = new RetryLater("scripted did not answer POST /terms in time");

        assertThatThrownBy(() -> grant(freeMonth(lost, customer), system)).isInstanceOf(RetryLater.class);
        assertThat(grantRow(lost)).containsEntry("state", "SENT");
        assertThat(state(lost)).isEqualTo("RECEIVED");

        system.calls.clear();
        GrantResult result = grant(freeMonth(next, customer), system);

        assertThat(result.granted()).isTrue();
        assertThat(system.calls).containsExactly("customer " + customer, "settle " + lost, "plan " + next,
                "send " + next + " fulfilment-" + next);
        assertThat(grantRow(lost)).containsEntry("state", "APPLIED");
        assertThat(state(lost)).isEqualTo("GRANTED");
        assertThat(state(next)).isEqualTo("GRANTED");
    }

    @Test
    void theSameFulfilmentDeliveredAgainAfterALostAnswerIsSettledNotPlannedAgain() throws Exception {
        long id = nextId();
        String customer = "cust-" + id;
        ScriptedSystem system = new ScriptedSystem();
        system.sendFails = new RetryLater("scripted answered 503 to POST /terms");
        assertThatThrownBy(() -> grant(freeMonth(id, customer), system)).isInstanceOf(RetryLater.class);
        system.calls.clear();

        GrantResult result = grant(freeMonth(id, customer), system);

        assertThat(result.granted()).isTrue();
        assertThat(result.detail()).contains("the earlier request, whose answer was lost");
        // The stored grant's customer is used: the system is not asked to find it again.
        assertThat(system.calls).containsExactly("settle " + id);
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aLostGrantTheSystemShowsDidNotTakeEffectAndCannotBeSentAgainParksItsOwnFulfilment() throws Exception {
        long lost = nextId();
        long next = nextId();
        String customer = "cust-" + lost;
        ScriptedSystem system = new ScriptedSystem();
        system.sendFails = new RetryLater("scripted did not answer in time");
        assertThatThrownBy(() -> grant(freeMonth(lost, customer), system)).isInstanceOf(RetryLater.class);
        system.settled = GrantSteps.Settled.park("the term end moved to 2027-03-01 since; replay to grant from there");

        GrantResult result = grant(freeMonth(next, customer), system);

        assertThat(result.granted()).isTrue();
        assertThat(state(lost)).isEqualTo("PARKED");
        assertThat(jdbc.queryForObject("SELECT reason FROM fulfilments WHERE source = 'v1' AND fulfilment_id = ?",
                String.class, lost)).isEqualTo("the term end moved to 2027-03-01 since; replay to grant from there");
        assertThat(grantRows(lost)).isZero();
    }

    @Test
    void aGrantTheSystemRefusesIsForgottenAndParkedWithItsMessage() throws Exception {
        long id = nextId();
        ScriptedSystem system = new ScriptedSystem();
        system.sendFails = new BillingRefused("scripted refused: subscription is cancelled");

        GrantResult result = grant(freeMonth(id, "cust-" + id), system);

        assertThat(result).isEqualTo(GrantResult.parked("scripted refused: subscription is cancelled"));
        assertThat(grantRows(id)).isZero();
        assertThat(count("billing_customer_locks")).isZero();
    }

    @Test
    void noCustomerIsAReasonToParkAndNothingIsStored() throws Exception {
        long id = nextId();
        ScriptedSystem system = new ScriptedSystem();

        GrantResult result = grant(freeMonth(id, "none-" + id), system);

        assertThat(result).isEqualTo(GrantResult.parked("no customer none-" + id));
        assertThat(system.calls).containsExactly("customer none-" + id);
        assertThat(grantRows(id)).isZero();
    }

    @Test
    void aGrantStoredForAnotherBillingSystemIsParkedNotSentAgain() throws Exception {
        long id = nextId();
        ScriptedSystem earlier = new ScriptedSystem("recurly");
        earlier.sendFails = new RetryLater("no answer");
        Fulfilment f = freeMonth(id, "cust-" + id);
        assertThatThrownBy(() -> grant("recurly", f, earlier)).isInstanceOf(RetryLater.class);
        ScriptedSystem now = new ScriptedSystem();

        GrantResult result = grant(f, now);

        assertThat(result.granted()).isFalse();
        assertThat(result.detail()).isEqualTo("sent to recurly before bridge.billing.system became scripted (state SENT): check it there");
        assertThat(now.calls).isEmpty();
    }

    @Test
    void theMarkerAndTheIdempotencyKeyTellLegacyFulfilmentsFromCommissionsAndKeyGenerations() {
        BillingGrant legacy = BillingGrant.toSend(FulfilmentKey.pending(42), SYSTEM, "c", "s", BillingGrant.FREE_MONTHS,
                1, null, null, null, null);
        BillingGrant commission = BillingGrant.toSend(new FulfilmentKey(Source.COMMISSION, 42), SYSTEM, "c", "s",
                BillingGrant.FREE_MONTHS, 1, null, null, null, null);
        BillingGrant third = new BillingGrant(legacy.key(), SYSTEM, "c", "s", BillingGrant.FREE_MONTHS, 1, null, null,
                null, null, null, "SENT", 3, Instant.now(), Instant.now());

        assertThat(legacy.marker()).isEqualTo("fulfilment-42");
        assertThat(legacy.idempotencyKey()).isEqualTo("fulfilment-42");
        assertThat(commission.marker()).isEqualTo("commission-42");
        assertThat(commission.idempotencyKey()).isEqualTo("commission-42");
        assertThat(third.marker()).isEqualTo("fulfilment-42");
        assertThat(third.idempotencyKey()).isEqualTo("fulfilment-42-3");
    }
}

package io.fulfilmentbridge.fulfilment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What a commission's record decides for its webhooks v2 events (contract 9), on H2 with the bridge's
 * migrations and the real record keepers (RealRecords) and CommissionEventLog: a denial newer than an approval
 * wins, in both orders of arrival; an approval newer than a denial applies; an applied commission's
 * denial is to be reversed; a re-sent event is answered from the log, a 503 never kept; the recipient
 * and discount terms survive a replay.
 */
class CommissionRecordsTest {

    private static final FulfilmentSettings SETTINGS = new FulfilmentSettings(Duration.ofSeconds(9), Duration.ofSeconds(15),
            Duration.ofHours(1), new FulfilmentSettings.Limits(24, new BigDecimal("100000"), 1_000_000, 100_000, 100),
            new FulfilmentSettings.GroupCommit(100, 2), "classpath:routes", Duration.ofDays(30));
    private static final Instant APPROVED_AT = Instant.parse("2026-11-30T10:00:00Z");
    private static final Instant LATER = APPROVED_AT.plusSeconds(60);
    private static final Instant EARLIER = APPROVED_AT.minusSeconds(60);

    private final DriverManagerDataSource database = new DriverManagerDataSource("jdbc:h2:mem:commissions-" + UUID.randomUUID()
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
    private final JdbcTemplate jdbc = new JdbcTemplate(database);
    private final TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(database));
    private final RealRecords records = RealRecords.on(jdbc, transaction, new SimpleMeterRegistry(), SETTINGS);
    private final CommissionEventLog log = new CommissionEventLog(jdbc, SETTINGS, new DatabaseClock(jdbc));
    private final Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));

    @BeforeEach
    void migrate() {
        Flyway.configure().dataSource(database).locations("classpath:db/migration").load().migrate();
    }

    private static CommissionEvent event(long id, CommissionEvent.Kind kind, Instant at) {
        return new CommissionEvent(UUID.randomUUID().toString(), kind == CommissionEvent.Kind.DENIAL ? "commission.denied" : "commission.approved",
                id, at, kind, "credits", new BigDecimal("20"), "approved", 7101L, "promoter@example.com", 99812L, "customer@example.com",
                "app-user-552");
    }

    private static Fulfilment credits(long id) {
        return new Fulfilment(new FulfilmentKey(Source.COMMISSION, id), "evt", "credits", new BigDecimal("20"), "approved", 7101L,
                "app-user-552", "customer@example.com", Recipient.referral(99812), null);
    }

    private Map<String, Object> row(long id) {
        return jdbc.queryForMap("SELECT state, reason, event_at, recipient_kind, recipient_id FROM fulfilments WHERE source = 'v2' AND fulfilment_id = ?", id);
    }

    private Claim grant(long id, Instant approvedAt) throws Exception {
        Claim claim = records.claims().claim(credits(id), approvedAt, deadline);
        assertThat(claim.held()).isTrue();
        records.lifecycle().markGranted(claim);
        return claim;
    }

    @Test
    void aDenialBeforeTheApprovalKeepsAnOlderApprovalFromApplying() throws Exception {
        Denial denial = records.decisions().takeDenial(event(501, CommissionEvent.Kind.DENIAL, LATER));

        assertThat(denial.reverse()).isFalse();
        assertThat(denial.answer().outcome()).isEqualTo(Outcome.REVERSED);
        assertThat(denial.answer().detail()).contains("denial recorded");
        assertThat(row(501)).containsEntry("state", "DENIED");

        // The approval (older) arrives late, as FirstPromoter's retry of it would.
        Answer settled = records.decisions().settledBefore(event(501, CommissionEvent.Kind.APPROVAL, APPROVED_AT));
        assertThat(settled.outcome()).isEqualTo(Outcome.IGNORED);
        assertThat(settled.detail()).contains("was denied by FirstPromoter at " + LATER).contains("nothing applied");
        Claim claim = records.claims().claim(credits(501), APPROVED_AT, deadline);
        assertThat(claim.held()).isFalse();
        assertThat(claim.answer().outcome()).isEqualTo(Outcome.IGNORED);
        assertThat(row(501)).containsEntry("state", "DENIED");
    }

    @Test
    void anApprovalWithoutATimestampCannotBeOrderedSoTheDenialStands() throws Exception {
        records.decisions().takeDenial(event(502, CommissionEvent.Kind.DENIAL, LATER));
        assertThat(records.claims().claim(credits(502), null, deadline).held()).isFalse();
        assertThat(row(502)).containsEntry("state", "DENIED");
    }

    @Test
    void anApprovalNewerThanTheDenialIsApplied() throws Exception {
        records.decisions().takeDenial(event(503, CommissionEvent.Kind.DENIAL, EARLIER));
        assertThat(records.decisions().settledBefore(event(503, CommissionEvent.Kind.APPROVAL, APPROVED_AT))).isNull();

        Claim claim = records.claims().claim(credits(503), APPROVED_AT, deadline);

        assertThat(claim.held()).isTrue();
        assertThat(row(503)).containsEntry("state", "RECEIVED").containsEntry("recipient_kind", "REFERRAL").containsEntry("recipient_id", 99812L);
    }

    @Test
    void aDenialNewerThanTheAppliedApprovalIsToBeReversedAndAnOlderOneChangesNothing() throws Exception {
        grant(504, APPROVED_AT);
        assertThat(records.decisions().settledBefore(event(504, CommissionEvent.Kind.APPROVAL, APPROVED_AT)))
                .isEqualTo(Answer.granted("granted before: nothing applied again"));

        Denial older = records.decisions().takeDenial(event(504, CommissionEvent.Kind.DENIAL, EARLIER));
        assertThat(older.reverse()).isFalse();
        assertThat(older.answer().outcome()).isEqualTo(Outcome.IGNORED);
        assertThat(older.answer().detail()).contains("is older than the newest decision");
        assertThat(row(504)).containsEntry("state", "GRANTED");

        Denial newer = records.decisions().takeDenial(event(504, CommissionEvent.Kind.DENIAL, LATER));
        assertThat(newer.reverse()).isTrue();
        assertThat(newer.key()).isEqualTo(new FulfilmentKey(Source.COMMISSION, 504));
        // A denial with no timestamp cannot be older: it reverses too.
        assertThat(records.decisions().takeDenial(event(504, CommissionEvent.Kind.DENIAL, null)).reverse()).isTrue();
    }

    @Test
    void aDenialWhileTheApprovalIsBeingAppliedIsSentBackFor503() throws Exception {
        records.claims().claim(credits(505), APPROVED_AT, deadline);
        assertThatThrownBy(() -> records.decisions().takeDenial(event(505, CommissionEvent.Kind.DENIAL, LATER)))
                .isInstanceOf(RetryLater.class).hasMessageContaining("is being applied");
        assertThat(row(505)).containsEntry("state", "RECEIVED");
    }

    @Test
    void aParkedCommissionDeniedIsNoLongerListed() throws Exception {
        Claim claim = records.claims().claim(credits(506), APPROVED_AT, deadline);
        records.lifecycle().park(claim, "no Stripe customer", deadline);
        assertThat(records.queries().parked()).anySatisfy(r -> assertThat(r).containsEntry("fulfilment_id", 506L));

        records.decisions().takeDenial(event(506, CommissionEvent.Kind.DENIAL, LATER));

        assertThat(row(506)).containsEntry("state", "DENIED").containsEntry("reason", null);
        assertThat(records.queries().parked()).noneSatisfy(r -> assertThat(r).containsEntry("fulfilment_id", 506L));
        assertThat(records.claims().claimForReplay(new FulfilmentKey(Source.COMMISSION, 506)).claim().held()).isFalse();
    }

    @Test
    void aReversedCommissionApprovedAgainIsListedNotApplied() throws Exception {
        grant(507, APPROVED_AT);
        transaction.executeWithoutResult(tx -> records.reversals().reverseRecord(new FulfilmentKey(Source.COMMISSION, 507), "commission.denied by FirstPromoter"));

        Answer again = records.decisions().settledBefore(event(507, CommissionEvent.Kind.APPROVAL, LATER));

        assertThat(again.outcome()).isEqualTo(Outcome.PARKED);
        assertThat(row(507)).containsEntry("state", "REVERSED");
        assertThat((String) row(507).get("reason")).contains(CommissionDecisions.REDELIVERED_AFTER_REVERSAL);
        assertThat(records.decisions().takeDenial(event(507, CommissionEvent.Kind.DENIAL, LATER)).answer().detail()).contains("reversed before");
    }

    @Test
    void aGrantedCommissionIsDueToBeMarkedFulfilledAndALegacyOneOfTheSameNumberIsNot() throws Exception {
        grant(508, APPROVED_AT);
        Claim legacy = records.claims().claim(new Fulfilment(FulfilmentKey.pending(508), "evt", "credits", BigDecimal.TEN, "pending", 7L, null, null),
                deadline);
        records.lifecycle().markGranted(legacy);

        assertThat(jdbc.queryForList("SELECT source, COALESCE(firstpromoter_notice, 'none') AS notice FROM fulfilments "
                + "WHERE fulfilment_id = 508 ORDER BY source"))
                .containsExactly(Map.of("source", "v1", "notice", "none"), Map.of("source", "v2", "notice", "DUE"));
    }

    @Test
    void theRecipientAndDiscountTermsAreReplayedAsReceived() throws Exception {
        FulfilmentKey key = new FulfilmentKey(Source.COMMISSION, 509);
        Fulfilment discount = new Fulfilment(key, "evt", "discount_per", new BigDecimal("15"), "approved", 7101L, null,
                "customer@example.com", Recipient.referral(99812), new DiscountTerms("promo_fp_15", "repeating", 3));
        Claim claim = records.claims().claim(discount, APPROVED_AT, deadline);
        records.lifecycle().park(claim, "no Stripe customer", deadline);

        FulfilmentClaims.Replay replay = records.claims().claimForReplay(key);

        assertThat(replay.claim().held()).isTrue();
        assertThat(replay.fulfilment()).isEqualTo(discount);
        assertThat(replay.fulfilment().ledgerAccount()).isEqualTo("fp-referral:99812");
    }

    @Test
    void aReSentEventIsAnsweredFromTheLogAndA503IsNeverKept() {
        CommissionEvent event = event(510, CommissionEvent.Kind.APPROVAL, APPROVED_AT);
        log.answered(event, Answer.retry("the ledger database is unavailable; retry later"));
        assertThat(log.answeredBefore(event)).isNull();

        log.answered(event, Answer.granted("credited 20 credits to app-user-552"));
        log.answered(event, Answer.parked("a second copy's answer"));

        Answer again = log.answeredBefore(event);
        assertThat(again.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(again.detail()).isEqualTo("event " + event.eventId() + " was answered before: credited 20 credits to app-user-552");
    }

    @Test
    void eventsOlderThanTheRetentionAreForgotten() {
        CommissionEvent old = event(511, CommissionEvent.Kind.APPROVAL, APPROVED_AT);
        CommissionEvent recent = event(512, CommissionEvent.Kind.APPROVAL, APPROVED_AT);
        log.answered(old, Answer.granted("x"));
        log.answered(recent, Answer.granted("y"));
        jdbc.update("UPDATE commission_events SET answered_at = ? WHERE event_id = ?",
                Timestamp.from(Instant.now().minus(Duration.ofDays(31))), old.eventId());

        assertThat(log.forgetOld()).isEqualTo(1);
        assertThat(log.answeredBefore(old)).isNull();
        assertThat(log.answeredBefore(recent)).isNotNull();
    }
}

package io.fulfilmentbridge.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.fulfilmentbridge.BridgeTest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * What every billing system's adapter promises for free months (docs/promises.md, Exactly once), end
 * to end: a delivery in, the answer, the rows, and the exact requests the system's stand-in received.
 * Each system runs it with a {@link Fixture} that tells its stand-in what to answer and reads its requests.
 */
@ExtendWith(OutputCaptureExtension.class)
public abstract class BillingPortContract extends BridgeTest {

    /** How the delivery names the customer: the billing system's own id, the app's id, or only the promoter's email. */
    public enum Lookup { SYSTEM_ID, APP_ID, EMAIL }

    /** One billing system's stand-in, as the contract needs it. Every id is a fulfilment id; each names its own customer. */
    public interface Fixture {

        /** The customer's id in the billing system. */
        String systemId(long id);

        /** The app's own id for the customer, as the system keeps it. */
        String appId(long id);

        /** The promoter's email, sent with every delivery. */
        String email(long id);

        /** The customer, findable this way (and only as needed for it). */
        void stubCustomer(Lookup how, long id);

        /** This many customers (0 or several) with the promoter's email. */
        void stubCustomersWithEmail(long id, int count);

        /** The customer's one grantable subscription, paid until paidUntil, in trial until trialEnd (or none), taking writes. */
        void stubSubscription(long id, Instant paidUntil, Instant trialEnd);

        /** The subscription (paid until paidUntil); its first write answers 503 and changes nothing, the next moves it to target. */
        void stubWriteFailsOnce(long id, Instant paidUntil, Instant target);

        /** The subscription (paid until paidUntil); its first write moves it to target, and its answer never reaches the bridge. */
        void stubWriteAnswerLost(long id, Instant paidUntil, Instant target);

        /** The subscription's write refused by the system with this message. */
        void stubWriteRefused(long id, String message);

        /** Every request the stand-in received since the test began, in order, as method and path (and query, where it tells). */
        List<String> calls();

        /** The requests a grant to a customer found this way makes, in order, as {@link #calls()} shows them. */
        List<String> expectedCalls(Lookup how, long id);

        /** Every request the stand-in received since the test began, in order. */
        List<LoggedRequest> requests();

        /** What every request to the system carries: the key as the system takes it (and its API version, where it has one). */
        void assertCredentials(LoggedRequest request);

        /** Every request that wrote something, to any subscription. */
        List<LoggedRequest> writes();

        /** The requests that wrote a grant to this customer's subscription. */
        List<LoggedRequest> grantWrites(long id);

        /** A grant's write as the system documents it: the date set to target, its headers, nothing else touched. */
        void assertGrantWrite(LoggedRequest write, long id, Instant target);

        /** The proof a write carries that it is this grant's: its idempotency key or its marker. */
        String proof(LoggedRequest write);

        /** The answer's detail when the system refused the grant's write with this message. */
        String refusal(String message);

        /** The answer's detail when no customer has the promoter's email. */
        String noCustomerWithEmail();

        /** The answer's detail when several customers have it. */
        String severalCustomersWithEmail();

        /** The API key and every form in which it travels (e.g. Basic credentials). */
        List<String> secrets();

        /** Writes sent until a lost answer is settled: one, unless the system settles it by the same key sent again. */
        default int writesToSettleALostAnswer() {
            return 1;
        }

        /** Where the stand-in counts the changes it made (a system that replays by key), that it made one; else nothing to add. */
        default void assertChangedOnce(long id) {
        }
    }

    /** This system's fixture. */
    protected abstract Fixture port();

    /** The grant row's state, or null when there is none. */
    protected String grantState(long id) {
        return jdbc.query("SELECT state FROM billing_grants WHERE fulfilment_id = ?", rs -> rs.next() ? rs.getString(1) : null, id);
    }

    /** The date the grant row says the grant sets. */
    protected Instant grantTarget(long id) {
        return jdbc.queryForObject("SELECT target_at FROM billing_grants WHERE fulfilment_id = ?", Timestamp.class, id).toInstant();
    }

    protected static Instant in(Duration fromNow) {
        return Instant.now().plus(fromNow).truncatedTo(ChronoUnit.SECONDS);
    }

    protected static Instant plusMonths(Instant at, int months) {
        return at.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
    }

    private String custId(Lookup how, long id) {
        return switch (how) {
            case SYSTEM_ID -> port().systemId(id);
            case APP_ID -> port().appId(id);
            case EMAIL -> null;
        };
    }

    /** A free-months delivery naming the customer this way (no cust_id for EMAIL), with the promoter's email. */
    private HttpResponse<String> deliver(long id, Lookup how, int months) {
        return post(body(id, how, months));
    }

    private String body(long id, Lookup how, int months) {
        Map<String, Object> data = new HashMap<>();
        data.put("promoter.cust_id", custId(how, id));
        data.put("promoter.email", port().email(id));
        data.put("amount", months);
        return delivery("free-months.json", id, data);
    }

    private String proofOf(long id) {
        return "fulfilment-" + id;
    }

    /** Exactly one write reached the system, the grant's, and the fulfilment and its grant are recorded as done. */
    private void assertGrantedOnce(long id, Instant target) {
        assertThat(port().writes()).hasSize(1);
        assertThat(port().grantWrites(id)).hasSize(1);
        port().assertGrantWrite(port().grantWrites(id).get(0), id, target);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(grantTarget(id)).isEqualTo(target);
    }

    /** These many writes reached the system, each the grant's with its proof, one change made, and the grant recorded as done. */
    private void assertGrantedBy(long id, Instant target, int writes) {
        assertThat(port().writes()).hasSize(writes);
        assertThat(port().grantWrites(id)).hasSize(writes).allSatisfy(write -> {
            port().assertGrantWrite(write, id, target);
            assertThat(port().proof(write)).isEqualTo(proofOf(id));
        });
        port().assertChangedOnce(id);
        assertThat(state(id)).isEqualTo("GRANTED");
        assertThat(grantState(id)).isEqualTo("APPLIED");
        assertThat(grantTarget(id)).isEqualTo(target);
    }

    private void assertParkedWithoutGrant(long id) {
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
        assertThat(port().writes()).isEmpty();
    }

    // The customer

    @ParameterizedTest(name = "by {0}")
    @EnumSource(Lookup.class)
    protected void theCustomerIsFoundAndItsSubscriptionMovedOnce(Lookup how) {
        long id = nextId();
        Instant paidUntil = in(Duration.ofDays(20));
        port().stubCustomer(how, id);
        port().stubSubscription(id, paidUntil, null);

        assertAnswer(deliver(id, how, 2), 200, "granted");

        assertThat(port().calls()).isEqualTo(port().expectedCalls(how, id));
        assertThat(port().requests()).allSatisfy(port()::assertCredentials);
        assertGrantedOnce(id, plusMonths(paidUntil, 2));
    }

    @ParameterizedTest(name = "{0} customers with the email")
    @ValueSource(ints = {0, 2})
    protected void noneOrSeveralCustomersWithTheEmailAreParked(int matches) {
        long id = nextId();
        port().stubCustomersWithEmail(id, matches);

        String detail = assertAnswer(deliver(id, Lookup.EMAIL, 1), 202, "parked");

        assertThat(detail).isEqualTo(matches == 0 ? port().noCustomerWithEmail() : port().severalCustomersWithEmail());
        assertParkedWithoutGrant(id);
    }

    // The target: calendar months stacked on the later of the paid period and the trial

    @Test
    protected void monthsStackOnATrialThatEndsAfterThePaidPeriod() {
        long id = nextId();
        Instant trialEnd = in(Duration.ofDays(45));
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubSubscription(id, in(Duration.ofDays(10)), trialEnd);

        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 3), 200, "granted");

        assertGrantedOnce(id, plusMonths(trialEnd, 3));
    }

    @Test
    protected void monthsStackOnAPaidPeriodThatEndsAfterTheTrial() {
        long id = nextId();
        Instant paidUntil = in(Duration.ofDays(25));
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubSubscription(id, paidUntil, in(Duration.ofDays(5)));

        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 1), 200, "granted");

        assertGrantedOnce(id, plusMonths(paidUntil, 1));
    }

    @Test
    protected void aDateOnThe31stMovesToTheNextMonthsLastDay() {
        long id = nextId();
        ZonedDateTime end = ZonedDateTime.now(ZoneOffset.UTC).plusDays(2).withHour(7).withMinute(30).withSecond(0).withNano(0);
        while (end.getDayOfMonth() != 31 || YearMonth.from(end).plusMonths(1).lengthOfMonth() == 31) {
            end = end.plusDays(1);
        }
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubSubscription(id, end.toInstant(), null);

        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 1), 200, "granted");

        assertGrantedOnce(id, YearMonth.from(end).plusMonths(1).atEndOfMonth().atTime(7, 30).toInstant(ZoneOffset.UTC));
    }

    // Once

    @Test
    protected void aRepeatedDeliveryIsAnsweredFromTheRecordWithoutASecondWrite() {
        long id = nextId();
        Instant paidUntil = in(Duration.ofDays(20));
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubSubscription(id, paidUntil, null);
        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 2), 200, "granted");

        assertThat(assertAnswer(deliver(id, Lookup.SYSTEM_ID, 2), 200, "granted")).contains("granted before");
        assertThat(assertAnswer(deliver(id, Lookup.SYSTEM_ID, 2), 200, "granted")).contains("granted before");

        assertGrantedOnce(id, plusMonths(paidUntil, 2));
    }

    @Test
    protected void twentyConcurrentDeliveriesGrantOnce() throws Exception {
        long id = nextId();
        Instant paidUntil = in(Duration.ofDays(20));
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubSubscription(id, paidUntil, null);

        List<Integer> statuses = postAtOnce(body(id, Lookup.SYSTEM_ID, 1), 20, HttpResponse::statusCode);

        assertThat(statuses).allMatch(s -> s == 200 || s == 503).contains(200);
        assertGrantedOnce(id, plusMonths(paidUntil, 1));
    }

    // The system failing, losing an answer, refusing

    @Test
    protected void aTransientErrorIsAnswered503AndTheNextDeliveryGrantsOnce() {
        long id = nextId();
        Instant paidUntil = in(Duration.ofDays(20));
        Instant target = plusMonths(paidUntil, 1);
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubWriteFailsOnce(id, paidUntil, target);

        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 1), 503, "retry");
        assertThat(state(id)).isNotEqualTo("GRANTED");
        fenceOver();
        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 1), 200, "granted");
        assertThat(assertAnswer(deliver(id, Lookup.SYSTEM_ID, 1), 200, "granted")).contains("granted before");

        // The failed write changed nothing: the same write, once more, and no other.
        assertGrantedBy(id, target, 2);
    }

    @Test
    protected void aLostAnswerIsSettledByTheGrantsProofWithoutASecondChange() {
        long id = nextId();
        Instant paidUntil = in(Duration.ofDays(20));
        Instant target = plusMonths(paidUntil, 2);
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubWriteAnswerLost(id, paidUntil, target);

        long started = System.nanoTime();
        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 2), 503, "retry");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(grantState(id)).isEqualTo("SENT");
        assertThat(state(id)).isNotEqualTo("GRANTED");
        fenceOver();

        assertAnswer(deliver(id, Lookup.SYSTEM_ID, 2), 200, "granted");

        assertGrantedBy(id, target, port().writesToSettleALostAnswer());
    }

    @Test
    protected void aRefusalIsParkedWithTheSystemsMessage() {
        long id = nextId();
        String message = "Refused for test " + id;
        port().stubCustomer(Lookup.SYSTEM_ID, id);
        port().stubSubscription(id, in(Duration.ofDays(20)), null);
        port().stubWriteRefused(id, message);

        String detail = assertAnswer(deliver(id, Lookup.SYSTEM_ID, 1), 202, "parked");

        assertThat(detail).isEqualTo(port().refusal(message));
        assertThat(port().grantWrites(id)).hasSize(1);
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(grantState(id)).isNull();
    }

    @Test
    protected void theKeyIsNeverInALogOrAnAnswer(CapturedOutput output) {
        long granted = nextId();
        port().stubCustomer(Lookup.SYSTEM_ID, granted);
        port().stubSubscription(granted, in(Duration.ofDays(20)), null);
        long refused = nextId();
        port().stubCustomer(Lookup.SYSTEM_ID, refused);
        port().stubSubscription(refused, in(Duration.ofDays(20)), null);
        port().stubWriteRefused(refused, "Refused for test " + refused);
        List<String> answers = new ArrayList<>();

        answers.add(deliver(granted, Lookup.SYSTEM_ID, 1).body());
        answers.add(deliver(refused, Lookup.SYSTEM_ID, 1).body());

        assertThat(state(granted)).isEqualTo("GRANTED");
        assertThat(state(refused)).isEqualTo("PARKED");
        assertThat(port().secrets()).isNotEmpty().allSatisfy(secret -> {
            assertThat(output.getAll()).doesNotContain(secret);
            assertThat(answers).noneMatch(answer -> answer.contains(secret));
        });
    }
}

package io.fulfilmentbridge.payout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import io.fulfilmentbridge.BridgeTest;
import io.fulfilmentbridge.console.ParkedFulfilments;
import javax.management.openmbean.CompositeData;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.TextMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.jms.core.JmsTemplate;

/** Contract sections 2, 6 and 7 for cash: the payout queue, the results queue and the records. */
@ExtendWith(OutputCaptureExtension.class)
class CashPayoutTest extends BridgeTest {

    private static final String PAYOUTS = "payouts";
    private static final String RESULTS = "payouts.results";
    private static final String DLQ = "DLQ";

    @Autowired
    private JmsTemplate jms;

    @Autowired
    private ParkedFulfilments operators;

    @Autowired
    private EmbeddedActiveMQ broker;

    @Autowired
    private DataSource dataSource;

    @LocalManagementPort
    private int managementPort;

    @Test
    void cashSampleIsQueuedAsOnePersistentPayoutMessage() throws Exception {
        long id = nextId();
        Instant before = Instant.now();
        HttpResponse<String> response = post(delivery("cash.json", id, Map.of()));

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = json(response);
        assertThat(answer.get("outcome").asText()).isEqualTo("queued");
        assertThat(answer.get("fulfilment_id").isIntegralNumber()).isTrue();
        assertThat(answer.get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(row(id)).containsEntry("state", "QUEUED").containsEntry("attempt", 1);

        List<Received> payouts = payoutsFor(id);
        assertThat(payouts).hasSize(1);
        Received payout = payouts.get(0);
        assertThat(payout.text()).isTrue();
        assertThat(payout.deliveryMode()).isEqualTo(DeliveryMode.PERSISTENT);
        assertThat(payout.duplicateId()).isEqualTo("fulfilment-" + id + "-1");

        JsonNode body = JSON.readTree(payout.body());
        assertThat(fieldNames(body)).containsExactlyInAnyOrder(
                "fulfilment_id", "attempt", "promoter_id", "cust_id", "email", "amount_cents", "currency", "created_at");
        assertThat(body.get("fulfilment_id").isIntegralNumber()).isTrue();
        assertThat(body.get("fulfilment_id").asLong()).isEqualTo(id);
        assertThat(body.get("attempt").isIntegralNumber()).isTrue();
        assertThat(body.get("attempt").asInt()).isEqualTo(1);
        assertThat(body.get("promoter_id").isIntegralNumber()).isTrue();
        assertThat(body.get("promoter_id").asLong()).isEqualTo(236);
        assertThat(body.get("cust_id").isNull()).isTrue();
        assertThat(body.get("email").asText()).isEqualTo("lee@example.org");
        assertThat(body.get("amount_cents").isIntegralNumber()).isTrue();
        assertThat(body.get("amount_cents").asLong()).isEqualTo(2000);
        assertThat(body.get("currency").asText()).isEqualTo("usd");
        String createdAt = body.get("created_at").asText();
        assertThat(createdAt).endsWith("Z");
        assertThat(Instant.parse(createdAt)).isBetween(before.minusSeconds(1), Instant.now());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(count("payout_outbox")).isZero());
    }

    @Test
    void aFirstDeliveryRecordsItsQueuedStateOnlyWithItsOutboxRowAndTheRetryQueuesOnce() {
        long id = nextId();
        String delivery = delivery("cash.json", id, Map.of());
        failOutboxRowOf(id);
        try {
            HttpResponse<String> failed = post(delivery);
            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(json(failed).get("outcome").asText()).isEqualTo("retry");
            // No claim first: the QUEUED record rolled back with the outbox row, nothing is left half written.
            assertThat(rowCount(id)).isZero();
        } finally {
            stopFailingOutboxRows();
        }
        assertThat(payoutsFor(id)).isEmpty();

        HttpResponse<String> retried = post(delivery);

        assertThat(retried.statusCode()).isEqualTo(202);
        assertThat(row(id)).containsEntry("state", "QUEUED").containsEntry("attempt", 1);
        assertThat(payoutsFor(id)).extracting(Received::duplicateId).containsExactly("fulfilment-" + id + "-1");
    }

    private void failOutboxRowOf(long id) {
        if (isPostgres()) {
            jdbc.execute("CREATE FUNCTION fail_outbox_row() RETURNS trigger AS $$ BEGIN IF NEW.fulfilment_id = " + id
                    + " THEN RAISE EXCEPTION 'injected failure writing the outbox row'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
            jdbc.execute("CREATE TRIGGER fail_outbox_row BEFORE INSERT ON payout_outbox FOR EACH ROW EXECUTE FUNCTION fail_outbox_row()");
        } else {
            FailOutboxRow.failingFulfilmentId = id;
            jdbc.execute("CREATE TRIGGER fail_outbox_row BEFORE INSERT ON payout_outbox FOR EACH ROW CALL \"" + FailOutboxRow.class.getName() + "\"");
        }
    }

    private void stopFailingOutboxRows() {
        if (isPostgres()) {
            jdbc.execute("DROP TRIGGER fail_outbox_row ON payout_outbox");
            jdbc.execute("DROP FUNCTION fail_outbox_row()");
        } else {
            jdbc.execute("DROP TRIGGER fail_outbox_row");
        }
    }

    @Test
    void sameDeliveryFiveTimesQueuesOnePayout() {
        long id = nextId();
        String delivery = delivery("cash.json", id, Map.of());
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = post(delivery);
            assertThat(response.statusCode()).as("delivery %d", i + 1).isEqualTo(202);
            assertThat(json(response).get("outcome").asText()).as("delivery %d", i + 1).isEqualTo("queued");
        }
        assertThat(payoutsFor(id)).hasSize(1);
        assertThat(rowCount(id)).isEqualTo(1);
    }

    @Test
    void sameDeliveryFiveTimesAtOnceQueuesOnePayout() throws Exception {
        long id = nextId();
        String delivery = delivery("cash.json", id, Map.of());
        List<HttpResponse<String>> answers = postAtOnce(delivery, 5, response -> response);
        assertThat(answers).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(202);
            assertThat(json(response).get("outcome").asText()).isEqualTo("queued");
        });
        assertThat(payoutsFor(id)).hasSize(1);
        assertThat(row(id)).containsEntry("state", "QUEUED").containsEntry("attempt", 1);
    }

    @Test
    void paidResultMarksPaidAndLaterDeliveriesAnswerGranted() {
        long id = queuedPayout();
        sendResult(result(id, 1, "paid", "po_123"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(row(id)).containsEntry("state", "PAID").containsEntry("payout_reference", "po_123"));

        HttpResponse<String> response = post(delivery("cash.json", id, Map.of()));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("outcome").asText()).isEqualTo("granted");

        Map<String, Object> paid = row(id);
        String repeated = result(id, 1, "paid", "po_123");
        sendResult(repeated);
        assertThat(deadLettersUntilResultsAreProcessed()).doesNotContain(repeated);
        assertThat(row(id)).isEqualTo(paid);
        assertThat(payoutsFor(id)).isEmpty();
    }

    @Test
    void failedResultParksAndSendsNoNewPayout() {
        long id = queuedPayout();
        sendResult(result(id, 1, "failed", "account closed"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state(id)).isEqualTo("FAILED"));

        HttpResponse<String> response = post(delivery("cash.json", id, Map.of()));
        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = json(response);
        assertThat(answer.get("outcome").asText()).isEqualTo("parked");
        assertThat(answer.get("detail").asText()).contains("payout failed");

        assertThat(payoutsFor(id)).isEmpty();
        assertThat(outboxRows(id)).isZero();
        assertThat(row(id)).containsEntry("state", "FAILED").containsEntry("attempt", 1);
    }

    @Test
    void resultsForAnotherAttemptChangeNothing() {
        long id = queuedPayout();
        Map<String, Object> queued = row(id);
        sendResult(result(id, 2, "paid", "po_future"));
        sendResult(result(id, 2, "failed", "po_future"));
        sendResult(result(id, 0, "paid", "po_zero"));
        deadLettersUntilResultsAreProcessed();
        assertThat(row(id)).isEqualTo(queued);
    }

    @Test
    void resultsForAnAlreadyPaidFulfilmentChangeNothing() {
        long id = queuedPayout();
        sendResult(result(id, 1, "paid", "po_first"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state(id)).isEqualTo("PAID"));
        Map<String, Object> paid = row(id);

        sendResult(result(id, 1, "paid", "po_second"));
        sendResult(result(id, 1, "failed", "too late"));
        deadLettersUntilResultsAreProcessed();
        assertThat(row(id)).isEqualTo(paid).containsEntry("payout_reference", "po_first");
    }

    @Test
    void unreadableResultsGoToTheDeadLetterQueue() {
        long id = queuedPayout();
        Map<String, Object> queued = row(id);
        List<String> unreadable = List.of(
                "not json " + id,
                "{\"fulfilment_id\":" + id + "}",
                "{\"fulfilment_id\":" + id + ",\"attempt\":1,\"reference\":\"po_1\"}",
                result(id, 1, "maybe", "po_1"),
                "[" + result(id, 1, "paid", "po_1") + "]",
                // Fractional numbers are no ids, however close to one.
                "{\"fulfilment_id\":" + id + ".7,\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_1\"}",
                "{\"fulfilment_id\":" + id + ".0,\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_1\"}",
                "{\"fulfilment_id\":" + id + ",\"attempt\":1.5,\"status\":\"paid\",\"reference\":\"po_1\"}",
                "{\"fulfilment_id\":\"" + id + "\",\"attempt\":1,\"status\":\"paid\",\"reference\":\"po_1\"}");
        unreadable.forEach(this::sendResult);

        List<String> deadLetters = deadLettersUntilResultsAreProcessed();
        for (String result : unreadable) {
            assertThat(Collections.frequency(deadLetters, result)).as(result).isEqualTo(1);
        }
        assertThat(row(id)).isEqualTo(queued);
        // The console lists each with its reason (and the marker after them), newest first, without Artemis's console.
        List<String> listed = List.of(operators.getDeadLetteredPayoutResults());
        assertThat(listed.subList(0, unreadable.size() + 1)).allSatisfy(line -> assertThat(line).contains(": unreadable payout result: "));
        assertThat(String.join("\n", listed.subList(1, unreadable.size() + 1)))
                .contains("unreadable payout result: not JSON", "unreadable payout result: status must be paid or failed",
                        "unreadable payout result: fulfilment_id and attempt must be positive integers");
    }

    @Test
    void resultsAboutNoQueuedCashFulfilmentGoToTheDeadLetterQueue() {
        long unknown = nextId();
        long credits = nextId();
        long parkedCash = nextId();
        assertThat(post(delivery("credits.json", credits, Map.of())).statusCode()).isEqualTo(200);
        assertThat(json(post(delivery("cash.json", parkedCash, Map.of("amount", 0)))).get("outcome").asText())
                .isEqualTo("parked");
        Map<String, Object> granted = row(credits);
        Map<String, Object> parked = row(parkedCash);

        List<String> strays = List.of(
                result(unknown, 1, "paid", "po_unknown"),
                result(credits, 1, "paid", "po_credits"),
                result(parkedCash, 1, "paid", "po_parked"));
        strays.forEach(this::sendResult);

        List<String> deadLetters = deadLettersUntilResultsAreProcessed();
        for (String result : strays) {
            assertThat(Collections.frequency(deadLetters, result)).as(result).isEqualTo(1);
        }
        assertThat(rowCount(unknown)).isZero();
        assertThat(row(credits)).isEqualTo(granted);
        assertThat(row(parkedCash)).isEqualTo(parked);
    }

    @Test
    void aDeadLetterDeliveredAgainAfterItsTransactionFailedIsListedAndCountedOnce() {
        long unknown = nextId();
        String stray = result(unknown, 1, "paid", "po_delivered_again");
        // The first delivery's transaction fails after its dead letter was listed and counted: the broker fails
        // its send to the dead-letter queue as a journal error would, so the commit fails (the listener container
        // logs "Could not commit JMS transaction"), and the broker delivers the same message again.
        RefuseDeadLetterOnce refuse = new RefuseDeadLetterOnce(DLQ, stray);
        broker.getActiveMQServer().registerBrokerPlugin(refuse);
        double before = payoutResults("dead_lettered");
        String messageId;
        List<String> deadLetters = new ArrayList<>();
        try {
            messageId = sendResultGivingItsId(stray, Map.of());
            // Delivered again after the results queue's redelivery delay (1 s).
            deadLetters.addAll(received(DLQ, Duration.ofSeconds(15), got -> got.stream().anyMatch(m -> stray.equals(m.body())))
                    .stream().map(Received::body).toList());
        } finally {
            broker.getActiveMQServer().unRegisterBrokerPlugin(refuse);
        }
        assertThat(refuse.sends()).as("sends to the dead-letter queue: the refused one, then the redelivery's").isEqualTo(2);
        // Read before the marker below, itself a dead letter: the counter went up once, on the first delivery.
        assertThat(payoutResults("dead_lettered") - before).isEqualTo(1);
        deadLetters.addAll(deadLettersUntilResultsAreProcessed());

        assertThat(Collections.frequency(deadLetters, stray)).isEqualTo(1);
        assertThat(jdbc.queryForList("SELECT message_id, reason FROM payout_dead_letters WHERE reason LIKE ?",
                "%fulfilment " + unknown + ",%")).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("message_id", messageId)
                        .containsEntry("reason", "payout result for fulfilment " + unknown + ", which the bridge does not know"));
        assertThat(List.of(operators.getDeadLetteredPayoutResults()))
                .filteredOn(line -> line.contains("fulfilment " + unknown + ",")).hasSize(1);
    }

    @Test
    void twoMessagesOfTheSameBadResultAreTwoDeadLetters() {
        long unknown = nextId();
        String stray = result(unknown, 1, "paid", "po_sent_twice");
        double before = payoutResults("dead_lettered");
        // A property named like the JMS message id, the same on both, makes them no redelivery of one message.
        Map<String, String> forgedId = Map.of("JMSMessageID", "ID:the-same-for-both-" + unknown);

        Set<String> messageIds = Set.of(sendResultGivingItsId(stray, forgedId), sendResultGivingItsId(stray, forgedId));

        await().atMost(Duration.ofSeconds(10)).until(() -> payoutResults("dead_lettered") - before >= 2);
        assertThat(payoutResults("dead_lettered") - before).isEqualTo(2);
        assertThat(messageIds).hasSize(2);
        assertThat(Collections.frequency(deadLettersUntilResultsAreProcessed(), stray)).isEqualTo(2);
        assertThat(jdbc.queryForList("SELECT message_id FROM payout_dead_letters WHERE reason LIKE ?", String.class,
                "%fulfilment " + unknown + ",%")).containsExactlyInAnyOrderElementsOf(messageIds);
        assertThat(List.of(operators.getDeadLetteredPayoutResults()))
                .filteredOn(line -> line.contains("fulfilment " + unknown + ",")).hasSize(2);
    }

    @Test
    void amountsOutOfBoundsAreParkedAndNothingIsQueued() {
        List<Object> amounts = List.of(0, -5, 12.5, 1_000_001);
        List<Long> ids = new ArrayList<>();
        for (Object amount : amounts) {
            long id = nextId();
            ids.add(id);
            HttpResponse<String> response = post(delivery("cash.json", id, Map.of("amount", amount)));
            assertThat(response.statusCode()).as("amount %s", amount).isEqualTo(202);
            JsonNode answer = json(response);
            assertThat(answer.get("outcome").asText()).as("amount %s", amount).isEqualTo("parked");
            assertThat(answer.get("detail").asText()).as("amount %s", amount).contains("amount out of bounds");
            assertThat(row(id)).as("amount %s", amount).containsEntry("state", "PARKED").containsEntry("attempt", 0);
        }
        for (long id : ids) {
            assertThat(outboxRows(id)).isZero();
        }
        // Parked with no outbox row: nothing can be sent for them (payoutsFor), so what is queued now is all there is.
        assertThat(queued(PAYOUTS))
                .extracting(CashPayoutTest::fulfilmentIdOf)
                .doesNotContainAnyElementsOf(ids);
    }

    @Test
    void parkedCashRedeliveredWithValidAmountIsQueuedAsAttemptOne() throws Exception {
        long id = nextId();
        assertThat(json(post(delivery("cash.json", id, Map.of("amount", 12.5)))).get("outcome").asText())
                .isEqualTo("parked");

        HttpResponse<String> response = post(delivery("cash.json", id, Map.of("amount", 1_000_000)));
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response).get("outcome").asText()).isEqualTo("queued");
        assertThat(row(id)).containsEntry("state", "QUEUED").containsEntry("attempt", 1);

        List<Received> payouts = payoutsFor(id);
        assertThat(payouts).hasSize(1);
        JsonNode body = JSON.readTree(payouts.get(0).body());
        assertThat(body.get("attempt").asInt()).isEqualTo(1);
        assertThat(body.get("amount_cents").asLong()).isEqualTo(1_000_000);
        assertThat(payouts.get(0).duplicateId()).isEqualTo("fulfilment-" + id + "-1");
    }

    @Test
    void resultPropertiesNamedLikeCamelHeadersSteerNothing() {
        long id = queuedPayout();
        long bystander = queuedPayout();
        long credits = nextId();
        assertThat(post(delivery("credits.json", credits, Map.of())).statusCode()).isEqualTo(200);
        int ledgerEntries = count("ledger_entries");
        Map<String, Object> bystanderRow = row(bystander);

        sendResult(result(id, 1, "paid", "po_own"), Map.of(
                "CAMELSqlQuery", "UPDATE fulfilments SET state = 'PAID', payout_reference = 'forged'",
                "CAMELJmsDestinationName", "payouts.stolen"));
        sendResult(result(id, 1, "paid", "po_own"), Map.of("camelsqlquery", "DELETE FROM ledger_entries"));
        sendResult(result(id, 1, "failed", "po_own"), Map.of("cAMELsQLqUERY", "UPDATE fulfilments SET state = 'FAILED'"));
        // Bound for the dead-letter queue, with a property that would send it elsewhere: to the payout queue.
        long unknown = nextId();
        String stray = result(unknown, 1, "paid", "po_stray");
        sendResult(stray, Map.of("CAMELJmsDestinationName", PAYOUTS, "CamelJmsDestinationName", PAYOUTS));
        String unreadable = "not json, with a destination " + id;
        sendResult(unreadable, Map.of("camelJmsDestinationName", "payouts.stolen"));

        List<String> deadLetters = deadLettersUntilResultsAreProcessed();
        assertThat(row(id)).containsEntry("state", "PAID").containsEntry("payout_reference", "po_own");
        assertThat(row(bystander)).isEqualTo(bystanderRow);
        assertThat(count("ledger_entries")).isEqualTo(ledgerEntries);
        assertThat(state(credits)).isEqualTo("GRANTED");
        assertThat(deadLetters).contains(stray, unreadable);
        // The marker came out after every result sent before it was handled, sends included: whatever they
        // sent anywhere is on the broker by now.
        assertThat(queued("payouts.stolen")).isEmpty();
        assertThat(payoutsFor(unknown)).isEmpty();
    }

    @Test
    void paidForAnOlderAttemptAfterAReplayIsListedAndCountedAndSoIsTheSecondPayment() {
        long id = failedPayoutReplayedAsAttemptTwo();
        double olderBefore = anomalies("older_attempt");
        double secondBefore = anomalies("second_payment");
        Map<String, Object> queued = fullRow(id);

        sendResult(result(id, 1, "paid", "po_1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> anomalyRows(id).size() == 1);
        Map<String, Object> afterAnomaly = fullRow(id);
        assertThat(afterAnomaly).containsEntry("state", "QUEUED").containsEntry("attempt", 2).containsEntry("payout_reference", "po_1");
        // FirstPromoter is told nothing by it: its notice is as the replay left it.
        for (String column : List.of("state", "attempt", "reason", "updated_at", "firstpromoter_notice", "firstpromoter_attempts",
                "firstpromoter_next_at")) {
            assertThat(afterAnomaly.get(column)).as(column).isEqualTo(queued.get(column));
        }
        String reason = "attempt 1 was paid after attempt 2 was queued: check for a double payout";
        assertThat(anomalyRows(id)).singleElement().satisfies(a -> assertThat(a)
                .containsEntry("attempt", 1).containsEntry("kind", "older_attempt").containsEntry("reason", reason)
                .containsEntry("reference", "po_1"));
        assertThat(operators.getParked()).anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " cash ").contains(reason).contains("po_1"));
        assertThat(anomalies("older_attempt")).isEqualTo(olderBefore + 1);

        // Repeated, or reported failed after all: nothing changes, nothing more is counted.
        sendResult(result(id, 1, "paid", "po_1"));
        sendResult(result(id, 1, "failed", "po_1"));
        assertThat(deadLettersUntilResultsAreProcessed()).noneMatch(body -> body.contains("\"fulfilment_id\":" + id + ","));
        assertThat(fullRow(id)).isEqualTo(afterAnomaly);
        assertThat(anomalyRows(id)).hasSize(1);
        assertThat(anomalies("older_attempt")).isEqualTo(olderBefore + 1);

        // The replayed attempt is paid too: a double payout, listed; the fulfilment is paid.
        sendResult(result(id, 2, "paid", "po_2"));
        await().atMost(Duration.ofSeconds(5)).until(() -> anomalyRows(id).size() == 2);
        assertThat(fullRow(id)).containsEntry("state", "PAID").containsEntry("payout_reference", "po_2")
                .containsEntry("firstpromoter_notice", queued.get("firstpromoter_notice"));
        String second = "attempt 2 was paid after attempt 1 was paid (reference po_1): a double payout";
        assertThat(anomalyRows(id).get(1)).containsEntry("attempt", 2).containsEntry("kind", "second_payment")
                .containsEntry("reason", second).containsEntry("reference", "po_2");
        assertThat(anomalies("second_payment")).isEqualTo(secondBefore + 1);
        assertThat(operators.getParked()).anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " cash ").contains(second));
        // The console's table has one row for the fulfilment's anomalies, both reasons in it.
        CompositeData tableRow = operators.getParkedTable().get(new Object[] {"v1", "PAYOUT_ANOMALY", id});
        assertThat(tableRow).isNotNull();
        assertThat(tableRow.get("unit")).isEqualTo("cash");
        assertThat((String) tableRow.get("reason")).contains(reason).contains(second).contains("po_1").contains("po_2");

        // An operator checks and dismisses both: no longer listed, still kept.
        assertThat(operators.dismissAnomaly(id, 1)).startsWith("dismissed");
        assertThat(operators.dismissAnomaly(id, 2)).startsWith("dismissed");
        assertThat(operators.dismissAnomaly(id, 2)).startsWith("no open payout anomaly");
        assertThat(operators.getParked()).noneMatch(line -> line.startsWith("v1 " + id + " "));
        assertThat(operators.getParkedTable().get(new Object[] {"v1", "PAYOUT_ANOMALY", id})).isNull();
        assertThat(anomalyRows(id)).hasSize(2).allSatisfy(a -> assertThat(a.get("dismissed_at")).isNotNull());
    }

    @Test
    void paidForTheFailedAttemptWhileItsReplayIsAppliedIsListed() throws Exception {
        long id = queuedPayout();
        sendResult(result(id, 1, "failed", "account closed"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state(id)).isEqualTo("FAILED"));

        ExecutorService operator = Executors.newSingleThreadExecutor();
        Runnable letGo = holdReplayClaim(id);
        try {
            Future<String> replay = operator.submit(() -> operators.replay(id));
            awaitReplayHeld();
            // Attempt 1 was paid after all, reported while the replay holds the row on its way to attempt 2.
            sendResult(result(id, 1, "paid", "po_1"));
            Thread.sleep(700);
            letGo.run();
            assertThat(replay.get(30, TimeUnit.SECONDS)).contains("\"outcome\":\"queued\"");
        } finally {
            letGo.run();
            operator.shutdownNow();
            dropReplayHold();
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> anomalyRows(id).size() == 1);
        // Seen while the replay was applied, or just after it queued attempt 2: which depends on who got the row first.
        assertThat(anomalyRows(id).get(0)).containsEntry("attempt", 1).containsEntry("kind", "older_attempt")
                .containsEntry("reference", "po_1").extractingByKey("reason").asString()
                .matches("attempt 1 was paid (while a replay was being applied|after attempt 2 was queued): check for a double payout");
        assertThat(row(id)).containsEntry("state", "QUEUED").containsEntry("attempt", 2).containsEntry("payout_reference", "po_1");
        assertThat(payoutsFor(id)).extracting(Received::duplicateId).containsExactly("fulfilment-" + id + "-2");
        assertThat(operators.getParked()).anySatisfy(line -> assertThat(line).startsWith("v1 " + id + " cash ").contains("check for a double payout"));
    }

    /** Holds the replay of this fulfilment in its claim (the row locked, RECEIVED not yet committed); answers what lets go. */
    private Runnable holdReplayClaim(long id) {
        if (isPostgres()) {
            jdbc.execute("CREATE FUNCTION hold_replay_claim() RETURNS trigger AS $$ BEGIN IF NEW.fulfilment_id = " + id
                    + " AND NEW.state = 'RECEIVED' AND OLD.state = 'FAILED' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
            jdbc.execute("CREATE TRIGGER hold_replay_claim BEFORE UPDATE ON fulfilments FOR EACH ROW EXECUTE FUNCTION hold_replay_claim()");
            return () -> { };
        }
        CountDownLatch release = new CountDownLatch(1);
        HoldReplayClaim.fulfilmentId = id;
        HoldReplayClaim.entered = new CountDownLatch(1);
        HoldReplayClaim.release = release;
        jdbc.execute("CREATE TRIGGER hold_replay_claim BEFORE UPDATE ON fulfilments FOR EACH ROW CALL \"" + HoldReplayClaim.class.getName() + "\"");
        return release::countDown;
    }

    private void awaitReplayHeld() throws InterruptedException {
        if (isPostgres()) {
            Thread.sleep(500);
        } else {
            assertThat(HoldReplayClaim.entered.await(10, TimeUnit.SECONDS)).as("the replay reached its claim").isTrue();
        }
    }

    private void dropReplayHold() {
        if (isPostgres()) {
            jdbc.execute("DROP TRIGGER hold_replay_claim ON fulfilments");
            jdbc.execute("DROP FUNCTION hold_replay_claim()");
        } else {
            jdbc.execute("DROP TRIGGER hold_replay_claim");
        }
    }

    private boolean isPostgres() {
        return Boolean.TRUE.equals(jdbc.execute((java.sql.Connection c) -> c.getMetaData().getDatabaseProductName().equals("PostgreSQL")));
    }

    @Test
    void paidForAnOlderAttemptAfterTheLatestWasPaidIsASecondPayment() {
        long id = failedPayoutReplayedAsAttemptTwo();
        double before = anomalies("second_payment");
        sendResult(result(id, 2, "paid", "po_2"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state(id)).isEqualTo("PAID"));
        assertThat(anomalyRows(id)).isEmpty();
        Map<String, Object> paid = fullRow(id);

        sendResult(result(id, 1, "paid", "po_1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> anomalyRows(id).size() == 1);
        assertThat(anomalyRows(id).get(0)).containsEntry("kind", "second_payment")
                .containsEntry("reason", "attempt 1 was paid after attempt 2 was paid (reference po_2): a double payout")
                .containsEntry("reference", "po_1");
        assertThat(fullRow(id)).isEqualTo(paid);
        assertThat(anomalies("second_payment")).isEqualTo(before + 1);

        // Either result repeated: nothing more listed or counted.
        sendResult(result(id, 2, "paid", "po_2"));
        sendResult(result(id, 1, "paid", "po_1"));
        deadLettersUntilResultsAreProcessed();
        assertThat(anomalyRows(id)).hasSize(1);
        assertThat(fullRow(id)).isEqualTo(paid);
        assertThat(anomalies("second_payment")).isEqualTo(before + 1);
    }

    @Test
    void failedForAnOlderAttemptIsLoggedWithItsReferenceAndChangesNothing(CapturedOutput output) {
        long id = failedPayoutReplayedAsAttemptTwo();
        Map<String, Object> queued = fullRow(id);
        sendResult(result(id, 1, "failed", "po_late_failure"));
        List<String> deadLetters = deadLettersUntilResultsAreProcessed();

        assertThat(fullRow(id)).isEqualTo(queued);
        assertThat(anomalyRows(id)).isEmpty();
        assertThat(deadLetters).noneMatch(body -> body.contains("\"fulfilment_id\":" + id + ","));
        assertThat(output.getAll()).containsPattern("fulfilment " + id + " attempt 1 failed \\(reference po_late_failure\\)");
    }

    @Test
    void aPaidResultWaitsThroughADatabaseOutageAndIsRecordedAfterIt(CapturedOutput output) throws Exception {
        long id = queuedPayout();
        HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
        String user = pool.getUsername();
        // The outage: every new connection is refused, and the pool's connections are closed as they come back.
        pool.getHikariConfigMXBean().setUsername("no_such_user_during_outage");
        pool.getHikariPoolMXBean().softEvictConnections();
        try {
            sendResult(result(id, 1, "paid", "po_after_outage"));
            // Proof that the result met the outage: PayoutResults says it waits for the database (and keeps it
            // for bridge.cash.results-outage-wait, 3 minutes); no dead letter meanwhile, nor later (below).
            await().atMost(Duration.ofSeconds(15)).until(() ->
                    output.getAll().contains("payout result for fulfilment " + id + " waits for the database"));
            assertThat(queued(DLQ)).extracting(Received::body).noneMatch(body -> body.contains("\"fulfilment_id\":" + id + ","));
        } finally {
            pool.getHikariConfigMXBean().setUsername(user);
        }
        // The pool takes a moment to connect again.
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() ->
                assertThat(row(id)).containsEntry("state", "PAID").containsEntry("payout_reference", "po_after_outage"));
        assertThat(deadLettersUntilResultsAreProcessed()).noneMatch(body -> body.contains("\"fulfilment_id\":" + id + ","));
    }

    /** A cash payout whose attempt 1 failed and that an operator replayed: attempt 2 queued and taken off the queue. */
    private long failedPayoutReplayedAsAttemptTwo() {
        long id = queuedPayout();
        sendResult(result(id, 1, "failed", "account closed"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state(id)).isEqualTo("FAILED"));
        assertThat(operators.replay(id)).contains("\"outcome\":\"queued\"");
        assertThat(payoutsFor(id)).extracting(Received::duplicateId).containsExactly("fulfilment-" + id + "-2");
        assertThat(row(id)).containsEntry("state", "QUEUED").containsEntry("attempt", 2);
        return id;
    }

    private List<Map<String, Object>> anomalyRows(long id) {
        return jdbc.queryForList("""
                SELECT attempt, kind, reason, reference, dismissed_at FROM payout_anomalies
                WHERE fulfilment_id = ? ORDER BY created_at, attempt""", id);
    }

    private Map<String, Object> fullRow(long id) {
        return jdbc.queryForMap("""
                SELECT state, reason, attempt, payout_reference, updated_at, firstpromoter_notice, firstpromoter_attempts,
                    firstpromoter_next_at
                FROM fulfilments WHERE fulfilment_id = ?""", id);
    }

    /** bridge_payout_anomalies_total{kind} as /actuator/prometheus shows it. */
    private double anomalies(String kind) {
        String scrape = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).GET())
                .body();
        Matcher m = Pattern.compile("^bridge_payout_anomalies_total\\{kind=\"" + kind + "\"[^}]*\\} ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(scrape);
        assertThat(m.find()).as("bridge_payout_anomalies_total{kind=%s} is exported", kind).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** bridge_payout_results_total{result} as /actuator/prometheus shows it; 0 before the first such result. */
    private double payoutResults(String result) {
        String scrape = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).GET())
                .body();
        Matcher m = Pattern.compile("^bridge_payout_results_total\\{result=\"" + result + "\"[^}]*\\} ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** A cash fulfilment answered queued, its payout message taken off the queue. */
    private long queuedPayout() {
        long id = nextId();
        HttpResponse<String> response = post(delivery("cash.json", id, Map.of()));
        assertThat(json(response).get("outcome").asText()).isEqualTo("queued");
        assertThat(payoutsFor(id)).hasSize(1);
        return id;
    }

    private static String result(long id, int attempt, String status, String reference) {
        return "{\"fulfilment_id\":" + id + ",\"attempt\":" + attempt + ",\"status\":\"" + status
                + "\",\"reference\":\"" + reference + "\"}";
    }

    private void sendResult(String body) {
        jms.send(RESULTS, session -> session.createTextMessage(body));
    }

    /** Sends a result with these message properties; answers the JMS message id the broker got it with. */
    private String sendResultGivingItsId(String body, Map<String, String> properties) {
        List<TextMessage> sent = new ArrayList<>();
        jms.send(RESULTS, session -> {
            TextMessage message = session.createTextMessage(body);
            for (Map.Entry<String, String> property : properties.entrySet()) {
                message.setStringProperty(property.getKey(), property.getValue());
            }
            sent.add(message);
            return message;
        });
        // The producer gives the message its id as it sends it.
        try {
            String id = sent.get(0).getJMSMessageID();
            assertThat(id).startsWith("ID:");
            return id;
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
    }

    private void sendResult(String body, Map<String, String> properties) {
        jms.send(RESULTS, session -> {
            TextMessage message = session.createTextMessage(body);
            for (Map.Entry<String, String> property : properties.entrySet()) {
                message.setStringProperty(property.getKey(), property.getValue());
            }
            return message;
        });
    }

    /**
     * Sends an unreadable marker after the results sent before and waits for it on the dead-letter
     * queue: the results route reads one message at a time in order, so all earlier ones are done.
     * Answers the dead letters received up to the marker.
     */
    private List<String> deadLettersUntilResultsAreProcessed() {
        String marker = "marker " + UUID.randomUUID();
        sendResult(marker);
        List<String> bodies = received(DLQ, Duration.ofSeconds(10),
                got -> !got.isEmpty() && marker.equals(got.get(got.size() - 1).body()))
                .stream().map(Received::body).toList();
        assertThat(bodies).as("the results route reads the queue").contains(marker);
        return bodies;
    }

    /**
     * The payout messages for a fulfilment, taken once every one it caused is on the broker: proof, not a
     * quiet window. Only CashPayouts writes outbox rows, committed before the answer it gives (HTTP or a
     * replay's); PayoutRelay deletes a row in the transaction that sends it, committing only after the
     * broker took the message; a reversal deletes one unsent. So when no outbox row of the fulfilment is
     * left, every message it caused is queued, and none can follow (without a row, none ever will).
     */
    private List<Received> payoutsFor(long id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> outboxRows(id) == 0);
        return queued(PAYOUTS).stream().filter(m -> fulfilmentIdOf(m) == id).toList();
    }

    /**
     * Takes every message the queue holds now. Artemis's receiveNoWait asks the broker for a delivery and
     * answers null only when the broker says it has none left, so an empty answer is no timing guess.
     */
    private List<Received> queued(String queue) {
        return jms.execute(session -> {
            List<Received> got = new ArrayList<>();
            try (MessageConsumer consumer = session.createConsumer(session.createQueue(queue))) {
                for (Message message = consumer.receiveNoWait(); message != null; message = consumer.receiveNoWait()) {
                    got.add(Received.of(message));
                }
            }
            if (session.getTransacted()) {
                session.commit();
            }
            return got;
        }, true);
    }

    /** Takes messages off a queue until {@code enough} holds or the time is up. */
    private List<Received> received(String queue, Duration max, Predicate<List<Received>> enough) {
        return jms.execute(session -> {
            List<Received> got = new ArrayList<>();
            long end = System.nanoTime() + max.toNanos();
            try (MessageConsumer consumer = session.createConsumer(session.createQueue(queue))) {
                while (!enough.test(got)) {
                    long left = (end - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        break;
                    }
                    Message message = consumer.receive(Math.min(left, 100));
                    if (message != null) {
                        got.add(Received.of(message));
                    }
                }
            }
            if (session.getTransacted()) {
                session.commit();
            }
            return got;
        }, true);
    }

    private static long fulfilmentIdOf(Received message) {
        if (message.body() == null) {
            return -1;
        }
        try {
            return JSON.readTree(message.body()).path("fulfilment_id").asLong(-1);
        } catch (IOException notJson) {
            return -1;
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private Map<String, Object> row(long id) {
        return jdbc.queryForMap("""
                SELECT state, reason, attempt, payout_reference, updated_at
                FROM fulfilments WHERE fulfilment_id = ?""", id);
    }

    private int rowCount(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM fulfilments WHERE fulfilment_id = ?", Integer.class, id);
    }

    private int outboxRows(long id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM payout_outbox WHERE fulfilment_id = ?", Integer.class, id);
    }

    record Received(String body, boolean text, int deliveryMode, String duplicateId) {
        static Received of(Message message) throws JMSException {
            String body = message instanceof TextMessage text ? text.getText() : null;
            return new Received(body, body != null, message.getJMSDeliveryMode(), message.getStringProperty("_AMQ_DUPL_ID"));
        }
    }
}

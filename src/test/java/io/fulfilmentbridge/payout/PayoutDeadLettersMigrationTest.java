package io.fulfilmentbridge.payout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fulfilmentbridge.OwnDatabase;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * V20 on a database that holds dead letters listed before it: they stay, without a message id, and each
 * message id is listed at most once from then on (docs/operations.md, Dead-lettered payout results). On
 * the test pass's database: PostgreSQL where BRIDGE_TEST_DATASOURCE_URL names one, in a schema of its own
 * dropped afterwards; else H2 in memory, in PostgreSQL mode as the bridge runs it.
 */
class PayoutDeadLettersMigrationTest {

    private static final Timestamp RECEIVED = Timestamp.from(Instant.parse("2026-12-01T09:30:00Z"));

    private final OwnDatabase database = new OwnDatabase("v20");
    private final JdbcTemplate jdbc = database.jdbc();

    @AfterEach
    void drop() {
        database.drop();
    }

    @Test
    void deadLettersListedBeforeStayAndEachMessageIsListedOnceAfter() {
        database.flyway().target("19").load().migrate();
        // As V17's bridge wrote them: two of the same reason (two messages, or one delivered twice: nobody knows).
        for (int i = 0; i < 2; i++) {
            jdbc.update("INSERT INTO payout_dead_letters (received_at, reason) VALUES (?, ?)", RECEIVED,
                    "unreadable payout result: not JSON");
        }

        database.flyway().load().migrate();

        assertThat(jdbc.queryForList("SELECT message_id, reason FROM payout_dead_letters ORDER BY entry_id")).hasSize(2)
                .allSatisfy(row -> assertThat(row).containsEntry("message_id", null)
                        .containsEntry("reason", "unreadable payout result: not JSON"));
        // What PayoutResults writes now: the second of one message id changes nothing; rows without one still go in.
        assertThat(Arrays.asList(listed("ID:a"), listed("ID:a"), listed("ID:b"), listed(null), listed(null)))
                .containsExactly(1, 0, 1, 1, 1);
        assertThat(jdbc.queryForList("SELECT message_id FROM payout_dead_letters ORDER BY entry_id", String.class))
                .containsExactly(null, null, "ID:a", "ID:b", null, null);
        assertThatThrownBy(() -> jdbc.update("INSERT INTO payout_dead_letters (message_id, received_at, reason) VALUES (?, ?, ?)",
                "ID:a", RECEIVED, "the same message again")).isInstanceOf(DuplicateKeyException.class);
    }

    private int listed(String messageId) {
        return jdbc.update("""
                INSERT INTO payout_dead_letters (message_id, received_at, reason) VALUES (?, ?, ?)
                ON CONFLICT DO NOTHING""", messageId, RECEIVED, "payout result for fulfilment 7, which the bridge does not know");
    }
}

package io.fulfilmentbridge.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.CommissionEvent;
import io.fulfilmentbridge.fulfilment.Source;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Contract 9's reading of a webhooks v2 body, on FirstPromoter's own example payloads (its docs,
 * webhooks-v2/non-monetary-rewards.mdx and payload.mdx, copied into src/test/resources/payloads) and on
 * variations of them: which events are approvals and denials, what is required, what is ignored.
 */
class CommissionEventReadingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DeliveryReader reader = new DeliveryReader(Instant::now);

    private static String sample(String name) throws IOException {
        try (InputStream in = CommissionEventReadingTest.class.getResourceAsStream("/payloads/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Delivery delivery(String body) {
        return reader.read(body.getBytes(StandardCharsets.UTF_8));
    }

    private CommissionEvent event(String body) {
        Delivery delivery = delivery(body);
        assertThat(reader.ignored(delivery)).isNull();
        return reader.commissionEvent(delivery);
    }

    /** The sample (or a body already changed) with one field set, or removed when value is null. */
    private static String with(String sampleOrBody, String pointer, Object value) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(sampleOrBody.startsWith("{") ? sampleOrBody : sample(sampleOrBody));
        String[] path = pointer.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < path.length - 1; i++) {
            node = (ObjectNode) node.get(path[i]);
        }
        if (value == null) {
            node.remove(path[path.length - 1]);
        } else {
            node.set(path[path.length - 1], JSON.valueToTree(value));
        }
        return JSON.writeValueAsString(root);
    }

    @Test
    void theDocsApprovalIsAnApprovalOfItsCommission() throws IOException {
        CommissionEvent event = event(sample("v2-docs-commission-approved.json"));

        assertThat(event.kind()).isEqualTo(CommissionEvent.Kind.APPROVAL);
        assertThat(event.key().source()).isEqualTo(Source.COMMISSION);
        assertThat(event.commissionId()).isEqualTo(88901);
        assertThat(event.eventId()).isEqualTo("b2c3d4e5-f6a7-8901-bcde-f12345678901");
        assertThat(event.eventType()).isEqualTo("commission.updated");
        assertThat(event.unit()).isEqualTo("points");
        assertThat(event.amount()).isEqualByComparingTo("500");
        assertThat(event.occurredAt()).isEqualTo(Instant.parse("2025-01-19T10:30:00Z"));
        assertThat(event.referralId()).isEqualTo(55678);
        assertThat(event.referralEmail()).isEqualTo("user@example.com");
        assertThat(event.referralUid()).isEqualTo("user_ext_id");
        // FirstPromoter's example carries no promoter: it is read from the API.
        assertThat(event.promoterId()).isNull();
    }

    @Test
    void aCreatedPendingCommissionIsNothingToDoAndACreatedApprovedOneIsAnApproval() throws IOException {
        assertThat(event(sample("v2-docs-commission-created.json")).kind()).isEqualTo(CommissionEvent.Kind.OTHER);
        assertThat(event(with("v2-docs-commission-created.json", "data.status", "approved")).kind())
                .isEqualTo(CommissionEvent.Kind.APPROVAL);
    }

    @Test
    void approvedAndDeniedEventsAndStatusChanges() throws IOException {
        assertThat(event(with("v2-docs-commission-approved.json", "event_type", "commission.approved")).kind())
                .isEqualTo(CommissionEvent.Kind.APPROVAL);
        assertThat(event(with("v2-docs-commission-approved.json", "event_type", "commission.denied")).kind())
                .isEqualTo(CommissionEvent.Kind.DENIAL);
        assertThat(event(with("v2-docs-commission-approved.json", "event_type", "commission.deleted")).kind())
                .isEqualTo(CommissionEvent.Kind.DENIAL);
        assertThat(event(with("v2-docs-commission-approved.json", "changes", java.util.Map.of("status", java.util.List.of("pending", "denied"))))
                .kind()).isEqualTo(CommissionEvent.Kind.DENIAL);
        assertThat(event(with("v2-docs-commission-approved.json", "changes", java.util.Map.of("status", java.util.List.of("approved", "denied"))))
                .kind()).isEqualTo(CommissionEvent.Kind.DENIAL);
        // Another field changed on an approved commission: not a new approval.
        assertThat(event(with("v2-docs-commission-approved.json", "changes", java.util.Map.of("internal_note", java.util.List.of("", "x"))))
                .kind()).isEqualTo(CommissionEvent.Kind.OTHER);
        assertThat(event(with("v2-docs-commission-approved.json", "event_type", "commission.pending")).kind())
                .isEqualTo(CommissionEvent.Kind.OTHER);
    }

    @Test
    void theDashboardsTestDeliveryAndOtherEntitiesAreIgnoredBeforeAnyFieldIsRequired() throws IOException {
        assertThat(reader.ignored(delivery(sample("v2-test-delivery.json"))).detail()).contains("test delivery");
        assertThat(reader.ignored(delivery(sample("v2-docs-promoter-created.json"))).detail())
                .isEqualTo("event promoter.created is not about a commission: nothing done");
    }

    @Test
    void aDenialNeedsNoUnitOrAmount() throws IOException {
        String denial = with("v2-docs-commission-approved.json", "event_type", "commission.deleted");
        denial = JSON.writeValueAsString(((ObjectNode) JSON.readTree(denial)).set("data", JSON.readTree("{\"id\": 88901}")));
        CommissionEvent event = event(denial);
        assertThat(event.kind()).isEqualTo(CommissionEvent.Kind.DENIAL);
        assertThat(event.unit()).isNull();
        assertThat(event.amount()).isNull();
    }

    @Test
    void requiredFieldsAreRefusedWithTheirReason() throws IOException {
        assertRejected(with("v2-docs-commission-approved.json", "event_id", null), "event_id is required");
        assertRejected(with("v2-docs-commission-approved.json", "event_id", 12), "event_id is required");
        assertRejected(with("v2-docs-commission-approved.json", "event_id", "x".repeat(65)), "event_id is required");
        assertRejected(with("v2-docs-commission-approved.json", "data.id", null), "data.id is required");
        assertRejected(with("v2-docs-commission-approved.json", "data.id", -4), "data.id is required");
        assertRejected(with("v2-docs-commission-approved.json", "data.unit", null), "data.unit is required for an approval");
        assertRejected(with("v2-docs-commission-approved.json", "data.amount", null), "data.amount is required");
        assertRejected(with("v2-docs-commission-approved.json", "data.amount", "1e-64000000"), "data.amount must have at most");
        assertRejected(with("v2-docs-commission-approved.json", "timestamp", "yesterday"), "timestamp must be an ISO-8601");
        assertRejected(with("v2-docs-commission-approved.json", "data.referral", java.util.Map.of("uid", "x".repeat(256))),
                "data.referral.uid is longer than 255");
        assertRejected(with("v2-docs-commission-approved.json", "data.referral", java.util.Map.of("uid", "a\u0000b")),
                "data.referral.uid contains a NUL");
        assertThatThrownBy(() -> reader.ignored(delivery(with("v2-docs-commission-approved.json", "event_type", null))))
                .isInstanceOf(RejectedDelivery.class).hasMessageContaining("event_type is required");
    }

    @Test
    void aStringIdAndAStringAmountAreReadAsNumbers() throws IOException {
        CommissionEvent event = event(with(with("v2-docs-commission-approved.json", "data.id", "88901"), "data.amount", "2.50"));
        assertThat(event.commissionId()).isEqualTo(88901);
        assertThat(event.amount()).isEqualTo(new BigDecimal("2.50"));
    }

    private void assertRejected(String body, String reason) {
        assertThatThrownBy(() -> event(body)).isInstanceOf(RejectedDelivery.class).hasMessageContaining(reason);
    }
}

package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fulfilmentbridge.fulfilment.Claim;
import io.fulfilmentbridge.fulfilment.Deadline;
import io.fulfilmentbridge.fulfilment.Fulfilment;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.FulfilmentClaims;
import io.fulfilmentbridge.fulfilment.FulfilmentLifecycle;
import io.fulfilmentbridge.fulfilment.Source;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.Attribute;
import jakarta.jms.TextMessage;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.TestPropertySource;

/**
 * What the operator's login may do through Jolokia (contract 8): read, Camel's read-only dumps and the
 * bridge's own operations by POST with the CSRF token; no other operation, no write, no JSR-160
 * proxy, no state change by GET, however the request is spelled.
 */
@TestPropertySource(properties = {"bridge.operator.username=operator", "bridge.operator.password=" + ConsoleTest.PASSWORD})
class ConsoleAccessTest extends BridgeTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final String LOGIN = "Basic " + Base64.getEncoder()
            .encodeToString(("operator:" + ConsoleTest.PASSWORD).getBytes(StandardCharsets.UTF_8));

    @LocalManagementPort
    private int managementPort;

    @Autowired
    private CamelContext camel;

    @Autowired
    private JmsTemplate jms;

    @Autowired
    private FulfilmentClaims claims;
    @Autowired
    private FulfilmentLifecycle lifecycle;

    private URI management(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /** The console's CSRF token, as Hawtio's client gets it: the XSRF-TOKEN cookie of its first page. */
    private String csrfToken() {
        HttpResponse<String> page = send(HttpRequest.newBuilder(management("/actuator/hawtio/")).header("Authorization", LOGIN).GET());
        assertThat(page.statusCode()).isEqualTo(200);
        return page.headers().allValues("Set-Cookie").stream()
                .filter(cookie -> cookie.startsWith("XSRF-TOKEN="))
                .map(cookie -> cookie.substring("XSRF-TOKEN=".length(), cookie.indexOf(';')))
                .findFirst().orElseThrow();
    }

    /** A Jolokia request as the logged-in console sends it: POST, with the CSRF token. */
    private HttpResponse<String> operatorPost(Object request) throws Exception {
        return operatorPost("/actuator/jolokia", request);
    }

    private HttpResponse<String> operatorPost(String jolokia, Object request) throws Exception {
        String token = csrfToken();
        return send(HttpRequest.newBuilder(management(jolokia))
                .header("Authorization", LOGIN)
                .header("Cookie", "XSRF-TOKEN=" + token)
                .header("X-XSRF-TOKEN", token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request))));
    }

    private HttpResponse<String> operatorGet(String path) {
        return send(HttpRequest.newBuilder(management(path)).header("Authorization", LOGIN).GET());
    }

    private static ObjectNode exec(ObjectName mbean, String operation, Object... arguments) {
        ObjectNode request = JSON.createObjectNode().put("type", "exec").put("mbean", mbean.getCanonicalName()).put("operation", operation);
        request.set("arguments", JSON.valueToTree(arguments));
        return request;
    }

    /** Jolokia answers each request with its own status in the body. */
    private static void assertRefused(HttpResponse<String> answer) {
        assertThat(answer.statusCode()).as(answer.body()).isIn(200, 403);
        if (answer.statusCode() == 200) {
            JsonNode body = json(answer);
            assertThat(body.path("status").asInt()).as(answer.body()).isEqualTo(403);
            assertThat(body.has("value")).as(answer.body()).isFalse();
        }
    }

    private static JsonNode assertAnswered(HttpResponse<String> answer) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode body = json(answer);
        assertThat(body.path("status").asInt()).as(answer.body()).isEqualTo(200);
        return body.path("value");
    }

    private ObjectName camelContextMBean() throws Exception {
        return camel.getManagementStrategy().getManagementObjectNameStrategy().getObjectNameForCamelContext(camel);
    }

    private ObjectName routeMBean(String routeId) throws Exception {
        return camel.getManagementStrategy().getManagementObjectNameStrategy().getObjectNameForRoute(camel.getRoute(routeId));
    }

    private static String path(ObjectName name) {
        return URLEncoder.encode(name.getCanonicalName(), StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The payouts waiting on the queue that carry this marker (browsed, not consumed). */
    private List<String> payoutsCarrying(String marker) {
        return jms.browse("payouts", (session, browser) -> {
            List<String> found = new ArrayList<>();
            for (Object message : Collections.list(browser.getEnumeration())) {
                if (message instanceof TextMessage text && text.getText() != null && text.getText().contains(marker)) {
                    found.add(text.getText());
                }
            }
            return found;
        });
    }

    /** A free-months reward parked for a missing customer, whom Stripe now knows: a replay would grant it. */
    private long parkedGrantableFreeMonths() {
        long id = nextId();
        String customer = "cus_console" + id;
        STRIPE.stubError("GET", "/v1/customers/" + customer, 404, "No such customer: '" + customer + "'");
        String delivery = delivery("free-months.json", id, Map.of("promoter.cust_id", customer));
        // Sent again after a 503, as FirstPromoter would: a cold first Stripe call on a loaded machine can time out.
        int status = post(delivery).statusCode();
        for (int again = 0; status == 503 && again < 3; again++) {
            status = post(delivery).statusCode();
        }
        assertThat(status).isEqualTo(202);
        assertThat(state(id)).isEqualTo("PARKED");
        STRIPE.reset();
        STRIPE.stubGrantableCustomer(customer, "sub_console" + id);
        return id;
    }

    @Test
    void camelsSendOperationsAreRefusedAndNothingReachesTheQueueOrTheDatabase() throws Exception {
        long parked = nextId();
        assertThat(post(delivery("credits.json", parked, Map.of("unit", "gift_cards"))).statusCode()).isEqualTo(202);
        String marker = "forged-" + nextId();
        String forgedPayout = "{\"fulfilment_id\":" + nextId() + ",\"attempt\":1,\"note\":\"" + marker + "\"}";
        String forgedSql = "sql:UPDATE fulfilments SET state = 'PAID' WHERE fulfilment_id = " + parked;
        ObjectName context = camelContextMBean();

        List<ObjectNode> attacks = List.of(
                exec(context, "sendStringBody(java.lang.String,java.lang.String)", "jms:queue:payouts", forgedPayout),
                exec(context, "sendStringBody", "jms:queue:payouts", forgedPayout),
                exec(context, "sendBody(java.lang.String,java.lang.Object)", "jms:queue:payouts", forgedPayout),
                exec(context, "requestBody(java.lang.String,java.lang.Object)", "jms:queue:payouts", forgedPayout),
                exec(context, "sendStringBody(java.lang.String,java.lang.String)", forgedSql, ""),
                exec(context, " sendStringBody (java.lang.String,java.lang.String)", forgedSql, ""),
                (ObjectNode) exec(context, "sendStringBody(java.lang.String,java.lang.String)", forgedSql, "").put("type", "EXEC"));
        for (ObjectNode attack : attacks) {
            assertRefused(operatorPost(attack));
        }
        // The same in one bulk request, as Hawtio batches them.
        HttpResponse<String> bulk = operatorPost(attacks);
        assertThat(bulk.statusCode()).isEqualTo(200);
        assertThat(json(bulk)).allSatisfy(answer -> assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(403));

        assertThat(payoutsCarrying(marker)).isEmpty();
        assertThat(state(parked)).isEqualTo("PARKED");
    }

    @Test
    void routesCannotBeStoppedSuspendedOrRemoved() throws Exception {
        ObjectName freeMonths = routeMBean("free-months");
        try {
            for (String operation : new String[] {"stop()", "stop", "suspend()", "remove()", "stop(long)"}) {
                ObjectNode request = operation.equals("stop(long)") ? exec(freeMonths, operation, 1L) : exec(freeMonths, operation);
                assertRefused(operatorPost(request));
            }
            assertThat(camel.getRouteController().getRouteStatus("free-months").isStarted()).isTrue();
            assertThat(JMX.getAttribute(freeMonths, "State")).isEqualTo("Started");
        } finally {
            if (camel.getRoute("free-months") != null && !camel.getRouteController().getRouteStatus("free-months").isStarted()) {
                camel.getRouteController().startRoute("free-months");
            }
        }
    }

    @Test
    void noOperationRunsByGetHoweverItIsSpelled() throws Exception {
        long id = parkedGrantableFreeMonths();
        String bridge = path(parkedFulfilmentsMBean());
        for (String get : new String[] {
                "/actuator/jolokia/exec/" + bridge + "/replay/" + id,
                "/actuator/jolokia/exec/" + bridge + "/replay(long)/" + id,
                "/actuator/jolokia/EXEC/" + bridge + "/replay/" + id,
                "/actuator/jolokia/Exec/" + bridge + "/replay/" + id,
                "/actuator/jolokia/?p=" + URLEncoder.encode("/exec/" + parkedFulfilmentsMBean().getCanonicalName() + "/replay/" + id, StandardCharsets.UTF_8),
                "/actuator/jolokia?p=" + URLEncoder.encode("exec/" + parkedFulfilmentsMBean().getCanonicalName() + "/replay/" + id, StandardCharsets.UTF_8),
                "/actuator/hawtio/jolokia/exec/" + bridge + "/replay/" + id}) {
            assertRefused(operatorGet(get));
            assertRefused(send(HttpRequest.newBuilder(management(get)).header("Authorization", LOGIN)
                    .header("x-HTTP-method-OVERRIDE", "POST").header("X-Http-Method", "POST").GET()));
        }
        assertThat(state(id)).isEqualTo("PARKED");
        assertThat(STRIPE.server().getAllServeEvents()).noneSatisfy(event -> assertThat(event.getRequest().getMethod().value()).isEqualTo("POST"));

        // The same replay by POST with the console's token: granted.
        JsonNode replayed = JSON.readTree(assertAnswered(operatorPost(exec(parkedFulfilmentsMBean(), "replay(long)", id))).asText());
        assertThat(replayed.path("outcome").asText()).isEqualTo("granted");
        assertThat(state(id)).isEqualTo("GRANTED");
    }

    @Test
    void aReversalRunsByPostNotByGet() throws Exception {
        long id = nextId();
        assertThat(post(delivery("credits.json", id, Map.of("promoter.cust_id", "console-" + id))).statusCode()).isEqualTo(200);
        String bridge = path(parkedFulfilmentsMBean());
        assertRefused(operatorGet("/actuator/jolokia/exec/" + bridge + "/reverse/legacy/" + id + "/refunded"));
        assertThat(state(id)).isEqualTo("GRANTED");

        String answer = assertAnswered(operatorPost(exec(parkedFulfilmentsMBean(), "reverse", "v1", id, "refunded"))).asText();
        assertThat(answer).startsWith("reversed: fulfilment " + id);
        assertThat(state(id)).isEqualTo("REVERSED");
    }

    @Test
    void everyConsoleOperationIsInTheAuditTrailWithTheLoginItsArgumentsAndItsOutcome() throws Exception {
        long parked = nextId();
        parkedCredits(FulfilmentKey.pending(parked));
        long granted = nextId();
        assertThat(post(delivery("credits.json", granted, Map.of())).statusCode()).isEqualTo(200);
        int before = jdbc.queryForObject("SELECT COUNT(*) FROM operator_audit", Integer.class);
        ObjectName bridge = parkedFulfilmentsMBean();

        assertThat(assertAnswered(operatorPost(exec(bridge, "replay(java.lang.String,long)", "v1", parked))).asText())
                .contains("\"outcome\":\"granted\"");
        assertThat(assertAnswered(operatorPost(exec(bridge, "reverse", "v1", granted, "promoter refunded"))).asText()).contains("reversed");
        assertThat(assertAnswered(operatorPost(exec(bridge, "dismissAnomaly", granted, 1))).asText()).isNotBlank();
        assertThat(assertAnswered(operatorPost(exec(bridge, "dismissReversal", "v1", granted))).asText()).isNotBlank();
        assertThat(assertAnswered(operatorPost(exec(bridge, "replayAllWithReason", "no such reason"))).asText()).isEqualTo("0 replayed: {}");

        List<Map<String, Object>> rows = jdbc.queryForList("SELECT login, operation, arguments, outcome FROM operator_audit ORDER BY entry_id");
        List<Map<String, Object>> added = rows.subList(before, rows.size());
        assertThat(added).extracting(row -> row.get("operation"))
                .containsExactly("replay", "reverse", "dismissAnomaly", "dismissReversal", "replayAllWithReason");
        assertThat(added).allSatisfy(row -> assertThat(row.get("login")).isEqualTo("operator"));
        assertThat(added.get(0).get("arguments")).isEqualTo("v1, " + parked);
        assertThat((String) added.get(0).get("outcome")).contains("\"outcome\":\"granted\"");
        assertThat(added.get(1).get("arguments")).isEqualTo("v1, " + granted + ", promoter refunded");
        assertThat((String) added.get(1).get("outcome")).contains("reversed");
        assertThat(added.get(4).get("outcome")).isEqualTo("0 replayed: {}");

        // The console lists it, newest first; nothing in it changes or deletes an entry.
        JsonNode trail = assertAnswered(operatorGet("/actuator/jolokia/read/" + path(bridge) + "/AuditTrail"));
        assertThat(trail.get(0).asText()).as(trail.toString()).contains(" operator replayAllWithReason(no such reason): 0 replayed: {}");
        assertThat(trail.get(3).asText()).contains(" operator reverse(v1, " + granted + ", promoter refunded): ");
        ObjectNode write = JSON.createObjectNode().put("type", "write").put("mbean", bridge.getCanonicalName()).put("attribute", "AuditTrail");
        write.set("value", JSON.createArrayNode());
        assertRefused(operatorPost(write));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM operator_audit", Integer.class)).isEqualTo(rows.size());
    }

    /** A credits reward of this kind, claimed and parked: a replay grants it. */
    private void parkedCredits(FulfilmentKey key) throws Exception {
        Deadline deadline = Deadline.from(System.nanoTime(), Duration.ofSeconds(9));
        Claim claim = claims.claim(new Fulfilment(key, "evt-" + key, "credits", BigDecimal.TEN, "approved", 7L,
                "console-" + key.source().ledgerSource() + "-" + key.id(), null), deadline);
        lifecycle.park(claim, "parked for the test", deadline);
    }

    private String stateOf(Source source, long id) {
        return jdbc.queryForObject("SELECT state FROM fulfilments WHERE source = ? AND fulfilment_id = ?", String.class,
                source.ledgerSource(), id);
    }

    @Test
    void aReplayByKindRunsByPostWithTheOperatorsLoginOnly() throws Exception {
        long id = nextId();
        parkedCredits(new FulfilmentKey(Source.COMMISSION, id));
        parkedCredits(FulfilmentKey.pending(id));
        String bridge = path(parkedFulfilmentsMBean());
        ObjectNode replay = exec(parkedFulfilmentsMBean(), "replay(java.lang.String,long)", "v1", id);

        for (String get : new String[] {
                "/actuator/jolokia/exec/" + bridge + "/replay(java.lang.String,long)/v1/" + id,
                "/actuator/jolokia/exec/" + bridge + "/replay/v1/" + id,
                "/actuator/hawtio/jolokia/exec/" + bridge + "/replay(java.lang.String,long)/v1/" + id}) {
            assertRefused(operatorGet(get));
        }
        HttpResponse<String> withoutLogin = send(HttpRequest.newBuilder(management("/actuator/jolokia"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(replay))));
        assertThat(withoutLogin.statusCode()).isIn(401, 403);
        assertThat(withoutLogin.body()).doesNotContain("\"value\"");
        HttpResponse<String> withoutToken = send(HttpRequest.newBuilder(management("/actuator/jolokia")).header("Authorization", LOGIN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(replay))));
        assertThat(withoutToken.statusCode()).isEqualTo(403);
        assertThat(stateOf(Source.COMMISSION, id)).isEqualTo("PARKED");
        assertThat(stateOf(Source.FULFILMENT_PENDING, id)).isEqualTo("PARKED");

        JsonNode replayed = JSON.readTree(assertAnswered(operatorPost(replay)).asText());
        assertThat(replayed.path("outcome").asText()).isEqualTo("granted");
        assertThat(stateOf(Source.FULFILMENT_PENDING, id)).isEqualTo("GRANTED");
        assertThat(stateOf(Source.COMMISSION, id)).isEqualTo("PARKED");
        assertThat(assertAnswered(operatorPost(exec(parkedFulfilmentsMBean(), "replay(java.lang.String,long)", "legacy", id))).asText())
                .startsWith("refused: kind 'legacy'");
        assertThat(stateOf(Source.COMMISSION, id)).isEqualTo("PARKED");
    }

    @Test
    void theJsr160ProxyIsRefused() throws Exception {
        try (JmxProxyProbe probe = new JmxProxyProbe()) {
            ObjectNode target = JSON.createObjectNode().put("url", probe.url());
            ObjectNode read = JSON.createObjectNode().put("type", "read").put("mbean", probe.name().getCanonicalName()).put("attribute", "Secret");
            read.set("target", target);
            ObjectNode touch = exec(probe.name(), "touch");
            touch.set("target", target);

            HttpResponse<String> readAnswer = operatorPost(read);
            assertThat(readAnswer.body()).doesNotContain(JmxProxyProbe.READ_VALUE);
            assertThat(json(readAnswer).path("status").asInt()).as(readAnswer.body()).isNotEqualTo(200);
            HttpResponse<String> touchAnswer = operatorPost(touch);
            assertThat(json(touchAnswer).path("status").asInt()).as(touchAnswer.body()).isNotEqualTo(200);
            assertThat(probe.touched()).isFalse();
        }
    }

    @Test
    void noAttributeIsWritten() throws Exception {
        ObjectName memory = new ObjectName("java.lang:type=Memory");
        boolean verboseBefore = (Boolean) JMX.getAttribute(memory, "Verbose");
        ObjectName webhookRoute = routeMBean("fulfilment-webhook");
        try {
            assertRefused(operatorPost(Map.of("type", "write", "mbean", memory.getCanonicalName(), "attribute", "Verbose", "value", !verboseBefore)));
            assertRefused(operatorPost(Map.of("type", "WRITE", "mbean", webhookRoute.getCanonicalName(), "attribute", "Tracing", "value", true)));
            assertRefused(operatorGet("/actuator/jolokia/write/java.lang:type=Memory/Verbose/" + !verboseBefore));
            assertThat(JMX.getAttribute(memory, "Verbose")).isEqualTo(verboseBefore);
            assertThat(JMX.getAttribute(webhookRoute, "Tracing")).isEqualTo(false);
        } finally {
            JMX.setAttribute(memory, new Attribute("Verbose", verboseBefore));
            JMX.setAttribute(webhookRoute, new Attribute("Tracing", false));
        }
    }

    @Test
    void anotherSitesPageCannotReadTheAnswers() {
        HttpResponse<String> answer = send(HttpRequest.newBuilder(management("/actuator/jolokia/read/java.lang:type=Runtime/Uptime"))
                .header("Authorization", LOGIN).header("Origin", "https://attacker.example").GET());
        assertThat(answer.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(answer.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
    }

    @Test
    void theConsolesCamelPagesStillReadRoutesAndTheirStatistics() throws Exception {
        ObjectName route = routeMBean("free-months");
        ObjectName context = camelContextMBean();

        JsonNode attributes = assertAnswered(operatorPost(Map.of("type", "read", "mbean", route.getCanonicalName())));
        assertThat(attributes.path("RouteId").asText()).isEqualTo("free-months");
        assertThat(attributes.path("State").asText()).isEqualTo("Started");
        assertThat(assertAnswered(operatorGet("/actuator/jolokia/read/" + path(route) + "/ExchangesTotal")).isNumber()).isTrue();
        assertThat(assertAnswered(operatorGet("/actuator/jolokia/read/java.lang:type=Runtime/Uptime")).asLong()).isPositive();

        // Route diagram, source and profile, as Hawtio 4.2 asks for them.
        assertThat(assertAnswered(operatorPost(exec(context, "dumpRoutesStatsAsXml", true, true))).asText()).contains("free-months");
        assertThat(assertAnswered(operatorPost(exec(route, "dumpRouteStatsAsXml", true, true))).asText()).contains("free-months");
        assertThat(assertAnswered(operatorPost(exec(route, "dumpRouteStatsAsXml(boolean,boolean)", true, true))).asText()).contains("<routeStat");
        assertThat(assertAnswered(operatorPost(exec(context, "dumpRoutesAsXml()"))).asText()).contains("free-months");
        assertThat(assertAnswered(operatorPost(exec(route, "dumpStepStatsAsXml", true))).asText()).contains("free-months");
        // Hawtio's client posts to its own jolokia path, which it forwards to Jolokia.
        assertThat(assertAnswered(operatorPost("/actuator/hawtio/jolokia", exec(route, "dumpRouteStatsAsXml(boolean,boolean)", true, true))).asText())
                .contains("<routeStat");
        assertRefused(operatorPost("/actuator/hawtio/jolokia", exec(route, "stop()")));
        // Hawtio's own MBeans are hidden: it lists the tree through Jolokia's list, with no operation.
        assertThat(assertAnswered(operatorPost(Map.of("type", "search", "mbean", "hawtio:*")))).isEmpty();
        assertRefused(operatorPost(exec(new ObjectName("hawtio:type=security,name=RBACRegistry"), "list()")));
        // Camel's tree in the console: Camel's MBeans listed; another library's neither listed nor read.
        JsonNode domains = assertAnswered(operatorPost(Map.of("type", "list", "config", Map.of("maxDepth", 1))));
        assertThat(domains.has("org.apache.camel")).isTrue();
        assertThat(domains.has("io.fulfilmentbridge")).isTrue();
        assertThat(domains.has("com.zaxxer.hikari") || domains.has("org.apache.activemq.artemis") || domains.has("hawtio")).isFalse();
        assertRefused(operatorPost(Map.of("type", "read", "mbean", "JMImplementation:type=MBeanServerDelegate")));
    }
}

package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;

/** Without an operator password the console is not there at all: never open. */
class ConsoleOffTest extends BridgeTest {

    @LocalManagementPort
    private int managementPort;

    @Test
    void withoutAnOperatorPasswordTheConsoleAndJolokiaAreNotServed() {
        String anyLogin = "Basic " + Base64.getEncoder().encodeToString("operator:".getBytes());
        for (String path : new String[] {"/actuator/hawtio/", "/actuator/jolokia", "/actuator/jolokia/read/java.lang:type=Runtime/Uptime"}) {
            URI uri = URI.create("http://127.0.0.1:" + managementPort + path);
            assertThat(send(HttpRequest.newBuilder(uri).GET()).statusCode()).as(path).isEqualTo(404);
            assertThat(send(HttpRequest.newBuilder(uri).header("Authorization", anyLogin).GET()).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).GET()).statusCode()).as("open: UP or DOWN, never a login").isIn(200, 503);
    }
}

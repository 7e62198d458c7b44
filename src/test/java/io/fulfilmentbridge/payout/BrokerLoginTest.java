package io.fulfilmentbridge.payout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

@ExtendWith(OutputCaptureExtension.class)
class BrokerLoginTest {

    @Test
    void withoutAPasswordOneIsGeneratedIntoAFileOnlyItsUserCanReadAndOnlyItsPathIsLogged(@TempDir Path dir, CapturedOutput output)
            throws Exception {
        Path file = dir.resolve("data").resolve("broker-password");
        BrokerLogin login = new BrokerLogin("payout-worker", " ", file);

        String generated = Files.readString(file).trim();
        assertThat(generated).hasSizeGreaterThanOrEqualTo(32);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(login.accepts("payout-worker", generated)).isTrue();
        assertThat(login.accepts("payout-worker", "")).isFalse();
        assertThat(login.accepts("payout-worker", null)).isFalse();
        assertThat(login.accepts("someone-else", generated)).isFalse();
        assertThat(output.getAll()).contains(file.toString()).doesNotContain(generated);

        // A restart keeps it, so the payout worker's copy keeps working.
        assertThat(new BrokerLogin("payout-worker", "", file).accepts("payout-worker", generated)).isTrue();
    }

    @Test
    void aConfiguredPasswordIsUsedAndNoFileWritten(@TempDir Path dir) throws Exception {
        BrokerLogin login = new BrokerLogin("worker", "configured-password", dir.resolve("unused"));
        assertThat(login.accepts("worker", "configured-password")).isTrue();
        assertThat(login.accepts("worker", "configured-passwor")).isFalse();
        assertThat(Files.exists(dir.resolve("unused"))).isFalse();
    }
}

package io.fulfilmentbridge.webhook;

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
class WebhookSecretsTest {

    @Test
    void withoutASecretOneIsGeneratedIntoAFileOnlyItsUserCanRead(@TempDir Path dir, CapturedOutput output) throws Exception {
        Path file = dir.resolve("data").resolve("webhook-secret");
        WebhookSecrets secrets = new WebhookSecrets(" ", file);

        String generated = Files.readString(file).trim();
        assertThat(generated).hasSizeGreaterThanOrEqualTo(40);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(secrets.accepts(generated)).isTrue();
        assertThat(secrets.accepts("")).isFalse();
        assertThat(secrets.accepts(generated + "x")).isFalse();
        assertThat(output.getAll()).contains(file.toString()).doesNotContain(generated);

        // A restart keeps the generated secret, so the URL FirstPromoter holds keeps working.
        assertThat(new WebhookSecrets("", file).accepts(generated)).isTrue();
    }

    @Test
    void severalConfiguredSecretsAreEachAccepted(@TempDir Path dir) throws Exception {
        WebhookSecrets secrets = new WebhookSecrets("old-secret, new-secret", dir.resolve("unused"));
        assertThat(secrets.accepts("old-secret")).isTrue();
        assertThat(secrets.accepts("new-secret")).isTrue();
        assertThat(secrets.accepts("old-secret,new-secret")).isFalse();
        assertThat(secrets.accepts(null)).isFalse();
        assertThat(Files.exists(dir.resolve("unused"))).isFalse();
    }
}

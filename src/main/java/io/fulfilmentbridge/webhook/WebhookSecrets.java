package io.fulfilmentbridge.webhook;

import io.fulfilmentbridge.secrets.GeneratedSecretFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The shared secrets the webhook URL carries. Several may be configured (comma separated) so one can
 * be rotated without downtime. With none configured the bridge never runs open: it generates one into
 * a file only its user can read and logs that file's path, never the secret.
 */
@Component
public class WebhookSecrets {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookSecrets.class);

    private final List<byte[]> secrets;

    @Autowired
    public WebhookSecrets(WebhookSettings settings) throws IOException {
        this(settings.secret(), settings.secretFile());
    }

    public WebhookSecrets(String configured, Path secretFile) throws IOException {
        List<byte[]> parsed = Arrays.stream(configured.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> s.getBytes(StandardCharsets.UTF_8))
                .toList();
        this.secrets = parsed.isEmpty() ? List.of(generatedSecret(secretFile)) : parsed;
    }

    /** Compares in constant time against every configured secret. */
    public boolean accepts(String presented) {
        if (presented == null || presented.isEmpty()) {
            return false;
        }
        byte[] candidate = presented.getBytes(StandardCharsets.UTF_8);
        boolean accepted = false;
        for (byte[] secret : secrets) {
            accepted |= MessageDigest.isEqual(secret, candidate);
        }
        return accepted;
    }

    private static byte[] generatedSecret(Path file) throws IOException {
        GeneratedSecretFile secret = GeneratedSecretFile.readOrGenerate(file, 32);
        if (secret.generatedNow()) {
            LOG.warn("No webhook secret configured (bridge.webhook.secret): generated one into {}, readable only by this user",
                    secret.path());
        } else {
            LOG.info("No webhook secret configured: using the one generated earlier in {}", secret.path());
        }
        return secret.value().getBytes(StandardCharsets.UTF_8);
    }
}

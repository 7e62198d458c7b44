package io.fulfilmentbridge.secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A secret the bridge made itself because none was configured, kept in a file only its user can read
 * (so a restart keeps it, and whoever needs it reads it there). Callers log the file's path, never the
 * value.
 */
public record GeneratedSecretFile(Path path, String value, boolean generatedNow) {

    /** The secret kept in the file, or a new random one of this many bytes written there atomically. */
    public static GeneratedSecretFile readOrGenerate(Path file, int randomBytes) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        if (Files.isRegularFile(absolute)) {
            String kept = Files.readString(absolute, StandardCharsets.UTF_8).trim();
            if (!kept.isEmpty()) {
                return new GeneratedSecretFile(absolute, kept, false);
            }
        }
        byte[] random = new byte[randomBytes];
        new SecureRandom().nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(absolute.getParent());
        // Written to a temporary file made private first, then moved: never readable by others, never half written.
        Path temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            temp.toFile().setReadable(false, false);
            temp.toFile().setReadable(true, true);
        }
        Files.writeString(temp, secret + "\n", StandardCharsets.UTF_8);
        Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new GeneratedSecretFile(absolute, secret, true);
    }

    @Override
    public String toString() {
        return "GeneratedSecretFile[" + path + "]";
    }
}

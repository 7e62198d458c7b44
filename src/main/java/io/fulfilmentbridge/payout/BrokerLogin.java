package io.fulfilmentbridge.payout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user and password a payout worker presents to the embedded broker's TCP acceptor. With no
 * password configured the broker never runs open: one is generated into a file only this user can
 * read (kept across restarts, so the worker's copy stays valid), and only that file's path is logged.
 */
public final class BrokerLogin {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerLogin.class);

    private final String user;
    private final byte[] userBytes;
    private final byte[] password;

    public BrokerLogin(String user, String configuredPassword, Path passwordFile) throws IOException {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("bridge.broker.user must not be empty");
        }
        this.user = user.trim();
        this.userBytes = this.user.getBytes(StandardCharsets.UTF_8);
        String password = configuredPassword == null ? "" : configuredPassword.trim();
        this.password = (password.isEmpty() ? generated(passwordFile) : password).getBytes(StandardCharsets.UTF_8);
    }

    public String user() {
        return user;
    }

    /** Gives a connection factory this login. */
    void logIn(ActiveMQConnectionFactory factory) {
        factory.setUser(user);
        factory.setPassword(new String(password, StandardCharsets.UTF_8));
    }

    /** Compares both in constant time; a missing user or password never matches. */
    public boolean accepts(String presentedUser, String presentedPassword) {
        if (presentedUser == null || presentedPassword == null) {
            return false;
        }
        boolean userMatches = MessageDigest.isEqual(userBytes, presentedUser.getBytes(StandardCharsets.UTF_8));
        boolean passwordMatches = MessageDigest.isEqual(password, presentedPassword.getBytes(StandardCharsets.UTF_8));
        return userMatches & passwordMatches;
    }

    private static String generated(Path file) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        if (Files.isRegularFile(absolute)) {
            String kept = Files.readString(absolute, StandardCharsets.UTF_8).trim();
            if (!kept.isEmpty()) {
                LOG.info("No broker password configured: the payout worker's password is the one generated earlier in {}",
                        absolute);
                return kept;
            }
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(absolute.getParent());
        Path temp = Files.createTempFile(absolute.getParent(), ".broker-password", ".tmp");
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            temp.toFile().setReadable(false, false);
            temp.toFile().setReadable(true, true);
        }
        Files.writeString(temp, password + "\n", StandardCharsets.UTF_8);
        Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        LOG.warn("No broker password configured (bridge.broker.password): generated the payout worker's into {}, "
                + "readable only by this user", absolute);
        return password;
    }
}

package io.fulfilmentbridge.payout;

import io.fulfilmentbridge.secrets.GeneratedSecretFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
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

    public BrokerLogin(BrokerSettings settings) throws IOException {
        this(settings.user(), settings.password(), settings.passwordFile());
    }

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
        GeneratedSecretFile password = GeneratedSecretFile.readOrGenerate(file, 24);
        if (password.generatedNow()) {
            LOG.warn("No broker password configured (bridge.broker.password): generated the payout worker's into {}, "
                    + "readable only by this user", password.path());
        } else {
            LOG.info("No broker password configured: the payout worker's password is the one generated earlier in {}",
                    password.path());
        }
        return password.value();
    }
}

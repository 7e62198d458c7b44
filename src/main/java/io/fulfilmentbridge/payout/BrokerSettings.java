package io.fulfilmentbridge.payout;

import static io.fulfilmentbridge.fulfilment.SettingChecks.between;
import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The embedded broker's loopback TCP acceptor, for a payout worker, and the worker's login on it (an
 * external broker's login is spring.artemis.user and spring.artemis.password instead).
 *
 * @param tcpPort the embedded broker's TCP port on 127.0.0.1 (0: any free port)
 * @param user the user a payout worker logs in with
 * @param password the payout worker's password; empty: one is generated into password-file
 * @param passwordFile where the password generated without a configured one is kept, readable only by
 *        the bridge's user (only its path is logged)
 */
@ConfigurationProperties("bridge.broker")
public record BrokerSettings(
        @DefaultValue("61616") int tcpPort,
        @DefaultValue("payout-worker") String user,
        String password,
        @DefaultValue("./data/broker-password") Path passwordFile) {

    public BrokerSettings {
        between(tcpPort, 0, 65535, "bridge.broker.tcp-port");
        // An empty user is refused by BrokerLogin, only where the embedded broker runs.
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        if (passwordFile == null) {
            throw new IllegalArgumentException("bridge.broker.password-file must not be empty");
        }
    }

    @Override
    public String toString() {
        return "BrokerSettings[tcpPort=" + tcpPort + ", user=" + user + ", password=" + masked(password)
                + ", passwordFile=" + passwordFile + "]";
    }
}

package io.fulfilmentbridge.console;

import static io.fulfilmentbridge.fulfilment.SettingChecks.masked;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The operators' console on the management port (Hawtio at /actuator/hawtio/, Jolokia at
 * /actuator/jolokia): its login.
 *
 * @param username the operator's user name
 * @param password the operator's password; empty: the console and Jolokia are off (not exposed)
 */
@ConfigurationProperties("bridge.operator")
public record OperatorSettings(
        @DefaultValue("operator") String username,
        String password) {

    public OperatorSettings {
        username = username == null ? "" : username;
        password = password == null ? "" : password;
        if (consoleOn(password) && username.isBlank()) {
            throw new IllegalArgumentException("bridge.operator.username must not be empty when bridge.operator.password is set");
        }
    }

    /** Whether the console runs: only with a password (the same rule as ConsoleSwitch's). */
    public boolean consoleOn() {
        return consoleOn(password);
    }

    private static boolean consoleOn(String password) {
        return password != null && !password.isBlank();
    }

    @Override
    public String toString() {
        return "OperatorSettings[username=" + username + ", password=" + masked(password) + "]";
    }
}

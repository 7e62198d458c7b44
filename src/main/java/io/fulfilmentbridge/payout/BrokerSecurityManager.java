package io.fulfilmentbridge.payout;

import java.util.Set;
import javax.security.auth.Subject;
import org.apache.activemq.artemis.core.security.CheckType;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.apache.activemq.artemis.spi.core.security.ActiveMQSecurityManager5;
import org.apache.activemq.artemis.spi.core.security.jaas.UserPrincipal;

/**
 * The embedded broker's login: every connection, the bridge's own in-VM one included, presents
 * {@link BrokerLogin}'s user and password. (Letting in-VM connections in without one is not safe here:
 * Artemis caches a login by user and password, so a TCP client without either would be taken for the
 * bridge.) Once logged in, a connection may do what a payout worker does.
 */
final class BrokerSecurityManager implements ActiveMQSecurityManager5 {

    private final BrokerLogin login;

    BrokerSecurityManager(BrokerLogin login) {
        this.login = login;
    }

    @Override
    public Subject authenticate(String user, String password, RemotingConnection connection, String securityDomain) {
        return login.accepts(user, password) ? subject(login.user()) : null;
    }

    @Override
    public boolean authorize(Subject subject, Set<Role> roles, CheckType checkType, String address) {
        return subject != null && !subject.getPrincipals(UserPrincipal.class).isEmpty();
    }

    @Override
    public boolean validateUser(String user, String password) {
        return login.accepts(user, password);
    }

    @Override
    public boolean validateUserAndRole(String user, String password, Set<Role> roles, CheckType checkType) {
        return login.accepts(user, password);
    }

    private static Subject subject(String user) {
        Subject subject = new Subject();
        subject.getPrincipals().add(new UserPrincipal(user));
        return subject;
    }
}

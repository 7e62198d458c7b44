package io.fulfilmentbridge.console;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Set;
import javax.management.ObjectName;
import org.jolokia.server.core.service.api.Restrictor;
import org.jolokia.server.core.util.HttpMethod;
import org.jolokia.server.core.util.RequestType;
import org.springframework.web.filter.GenericFilterBean;

/**
 * What the operator's login may do through Jolokia (docs/promises.md, Security): read Camel's, the JVM's and the
 * bridge's MBeans, call Camel's route statistics and route dumps that Hawtio's Camel pages call, and
 * the bridge's own operations; nothing else. Jolokia builds it from management.endpoint.jolokia.config.restrictorClass.
 */
public final class OperatorJolokiaPolicy implements Restrictor {

    static final String BRIDGE_DOMAIN = "io.fulfilmentbridge";

    /** Everything else (Artemis, Hikari, Tomcat, Hawtio's own, com.sun.management) is neither listed nor read. */
    static final Set<String> READABLE_DOMAINS = Set.of("org.apache.camel", "java.lang", BRIDGE_DOMAIN);

    /** Camel's operations that only read, as Hawtio 4.2's Camel pages call them (route diagram, source, statistics, REST, endpoints). */
    static final Set<String> CAMEL_READ_ONLY_OPERATIONS = Set.of(
            "dumpRoutesAsXml", "dumpRouteAsXml", "dumpRoutesStatsAsXml", "dumpRouteStatsAsXml", "dumpStepStatsAsXml",
            "endpointStatistics", "listRestServices", "isUpdateRouteEnabled");

    private static final Set<RequestType> ALLOWED_TYPES =
            Set.of(RequestType.READ, RequestType.LIST, RequestType.SEARCH, RequestType.VERSION, RequestType.EXEC);

    /**
     * The HTTP method of the console request this thread is handling, set by {@link RequestMethod}
     * around Spring Security's console chain (so around Hawtio's forward to Jolokia too). Jolokia has
     * parsed the request's type itself by the time it asks about an operation, so no spelling of the
     * URL (p=, EXEC, the forward) turns a GET into anything but a GET here.
     */
    private static final ThreadLocal<String> HTTP_METHOD = new ThreadLocal<>();

    @Override
    public boolean isHttpMethodAllowed(HttpMethod httpMethod) {
        return true;
    }

    @Override
    public boolean isTypeAllowed(RequestType type) {
        return ALLOWED_TYPES.contains(type);
    }

    @Override
    public boolean isAttributeReadAllowed(ObjectName name, String attribute) {
        return readable(name);
    }

    @Override
    public boolean isAttributeWriteAllowed(ObjectName name, String attribute) {
        return false;
    }

    @Override
    public boolean isOperationAllowed(ObjectName name, String operation) {
        // No state change by GET; and an operation from outside a console request is refused too.
        if (!"POST".equals(HTTP_METHOD.get()) || name.isPattern() || operation == null) {
            return false;
        }
        String withoutSignature = operation.contains("(") ? operation.substring(0, operation.indexOf('(')) : operation;
        String operationName = withoutSignature.trim();
        if (BRIDGE_DOMAIN.equals(name.getDomain())) {
            return "Fulfilments".equals(name.getKeyProperty("type"));
        }
        return "org.apache.camel".equals(name.getDomain()) && CAMEL_READ_ONLY_OPERATIONS.contains(operationName);
    }

    /** The management port is bound to loopback by default; who reaches it is the network's decision. */
    @Override
    public boolean isRemoteAccessAllowed(String... hostOrAddress) {
        return true;
    }

    /**
     * Strict checks (a request's Origin) pass: the console's own POSTs carry one, and CSRF guards the
     * state changes. But no other site is given CORS headers, so none can read an answer with the
     * operator's cookie or cached login.
     */
    @Override
    public boolean isOriginAllowed(String origin, boolean strictCheck) {
        return strictCheck;
    }

    @Override
    public boolean isObjectNameHidden(ObjectName name) {
        return !readable(name);
    }

    private static boolean readable(ObjectName name) {
        return !name.isDomainPattern() && READABLE_DOMAINS.contains(name.getDomain());
    }

    /** Tells the policy which HTTP method the request on this thread came with. */
    static final class RequestMethod extends GenericFilterBean {
        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
            String outer = HTTP_METHOD.get();
            HTTP_METHOD.set(((HttpServletRequest) request).getMethod());
            try {
                chain.doFilter(request, response);
            } finally {
                if (outer == null) {
                    HTTP_METHOD.remove();
                } else {
                    HTTP_METHOD.set(outer);
                }
            }
        }
    }
}

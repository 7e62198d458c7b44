package io.fulfilmentbridge.console;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.EnumSet;
import java.util.function.Supplier;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.actuate.autoconfigure.security.servlet.EndpointRequest;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.web.servlet.DelegatingFilterProxyRegistrationBean;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.csrf.XorCsrfTokenRequestAttributeHandler;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.util.StringUtils;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The login in front of the operators' console (Hawtio at /actuator/hawtio, Jolokia at
 * /actuator/jolokia, on the management port): one operator, from bridge.operator.username and
 * bridge.operator.password. Spring Security runs on the management port only: the main port, and so
 * the webhook with its own secret check, never passes through it (no CSRF, no login, no session, no
 * added headers). Health and Prometheus on the management port stay open as before.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
public class ConsoleSecurity {

    /** Hawtio lets in a user with one of its roles (hawtio.roles, by default admin, manager, viewer). */
    static final String OPERATOR_ROLE = "admin";

    @Bean
    UserDetailsService operators(OperatorSettings settings) {
        InMemoryUserDetailsManager users = new InMemoryUserDetailsManager();
        if (ConsoleSwitch.enabled(settings.password())) {
            users.createUser(User.withUsername(settings.username())
                    .password(PasswordEncoderFactories.createDelegatingPasswordEncoder().encode(settings.password()))
                    .roles(OPERATOR_ROLE)
                    .build());
        }
        return users;
    }

    /** The console and its login page: a login (form, or HTTP Basic for scripts), CSRF as Hawtio's client sends it. */
    @Bean
    @Order(1)
    SecurityFilterChain console(HttpSecurity http) throws Exception {
        RequestMatcher console = new OrRequestMatcher(
                EndpointRequest.to("hawtio", "jolokia"),
                PathPatternRequestMatcher.withDefaults().matcher("/login"),
                PathPatternRequestMatcher.withDefaults().matcher("/logout"));
        http.securityMatcher(console)
                .authorizeHttpRequests(requests -> requests.anyRequest().hasRole(OPERATOR_ROLE))
                .formLogin(form -> form.defaultSuccessUrl(EndpointRequestPaths.HAWTIO, false))
                .httpBasic(basic -> basic.realmName("fulfilment-bridge console"))
                .csrf(csrf -> csrf
                        .csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse())
                        .csrfTokenRequestHandler(new ScriptCsrfTokenHandler()))
                .addFilterAfter(new CsrfCookieFilter(), BasicAuthenticationFilter.class)
                .addFilterAfter(new OperatorJolokiaPolicy.RequestMethod(), AuthorizationFilter.class);
        return http.build();
    }

    /** Everything else (health, Prometheus; and the main port if it ever shares the management port): as without Spring Security. */
    @Bean
    @Order(2)
    SecurityFilterChain everythingElse(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                .csrf(csrf -> csrf.disable())
                .headers(headers -> headers.disable())
                .requestCache(cache -> cache.disable())
                .securityContext(context -> context.disable())
                .sessionManagement(session -> session.disable());
        return http.build();
    }

    /**
     * Hawtio's page handler is a WebMvcConfigurer of the main context (the management context takes it
     * from there), so the main port would serve the console's static pages under /actuator/hawtio: there
     * they answer 404, as before Hawtio.
     */
    @Bean
    FilterRegistrationBean<OncePerRequestFilter> noConsoleOnMainPort(Environment environment) {
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws IOException {
                response.sendError(HttpServletResponse.SC_NOT_FOUND);
            }
        });
        String hawtio = environment.getProperty("management.endpoints.web.base-path", "/actuator") + "/hawtio";
        registration.addUrlPatterns(hawtio, hawtio + "/*");
        registration.setEnabled(ManagementPortType.get(environment) == ManagementPortType.DIFFERENT);
        return registration;
    }

    /** Keeps Spring Security's filter off the main port when the management port is a separate server. */
    @Bean
    static BeanPostProcessor securityOnManagementPortOnly(Environment environment) {
        return new ManagementPortOnly(environment);
    }

    static final class EndpointRequestPaths {
        static final String HAWTIO = "/actuator/hawtio/";

        private EndpointRequestPaths() {
        }
    }

    static final class ManagementPortOnly implements BeanPostProcessor, ApplicationContextAware {
        private final Environment environment;
        private ApplicationContext context;

        ManagementPortOnly(Environment environment) {
            this.environment = environment;
        }

        @Override
        public void setApplicationContext(ApplicationContext context) {
            this.context = context;
        }

        @Override
        public Object postProcessAfterInitialization(Object bean, String name) throws BeansException {
            if (bean instanceof DelegatingFilterProxyRegistrationBean registration
                    && "securityFilterChainRegistration".equals(name)
                    && ManagementPortType.get(environment) == ManagementPortType.DIFFERENT
                    && context instanceof ServletWebServerApplicationContext main) {
                // The management context registers this same bean on its own server (it takes it from
                // this context), so it is kept, and only its registration on the main server skipped.
                SkippingMainServer skipping = new SkippingMainServer("springSecurityFilterChain", main);
                skipping.setOrder(registration.getOrder());
                skipping.setIgnoreRegistrationFailure(true);
                skipping.setDispatcherTypes(EnumSet.of(DispatcherType.ASYNC, DispatcherType.ERROR,
                        DispatcherType.FORWARD, DispatcherType.INCLUDE, DispatcherType.REQUEST));
                skipping.setApplicationContext(main);
                return skipping;
            }
            return bean;
        }
    }

    static final class SkippingMainServer extends DelegatingFilterProxyRegistrationBean {
        private final ServletWebServerApplicationContext main;

        SkippingMainServer(String targetBeanName, ServletWebServerApplicationContext main) {
            super(targetBeanName);
            this.main = main;
        }

        /** Not registered on the main server (null: Spring Boot then logs that it was not registered, at info). */
        @Override
        protected FilterRegistration.Dynamic addRegistration(String description, ServletContext servletContext) {
            return servletContext == main.getServletContext() ? null : super.addRegistration(description, servletContext);
        }
    }

    /** Hawtio's client sends the XSRF-TOKEN cookie's value back as the X-XSRF-TOKEN header. */
    static final class ScriptCsrfTokenHandler extends CsrfTokenRequestAttributeHandler {
        private final XorCsrfTokenRequestAttributeHandler xor = new XorCsrfTokenRequestAttributeHandler();

        @Override
        public void handle(HttpServletRequest request, HttpServletResponse response, Supplier<CsrfToken> token) {
            xor.handle(request, response, token);
        }

        @Override
        public String resolveCsrfTokenValue(HttpServletRequest request, CsrfToken token) {
            return StringUtils.hasText(request.getHeader(token.getHeaderName()))
                    ? super.resolveCsrfTokenValue(request, token)
                    : xor.resolveCsrfTokenValue(request, token);
        }
    }

    /** Loads the deferred token so its cookie is set on the first page. */
    static final class CsrfCookieFilter extends OncePerRequestFilter {
        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            Object token = request.getAttribute(CsrfToken.class.getName());
            if (token instanceof CsrfToken csrf) {
                csrf.getToken();
            }
            chain.doFilter(request, response);
        }
    }
}

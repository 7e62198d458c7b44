package io.fulfilmentbridge.fulfilment;

import javax.sql.DataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** The JdbcTemplate every bridge component uses, in place of Spring Boot's: see {@link DeadlineBoundJdbcTemplate}. */
@Configuration(proxyBeanMethods = false)
public class DeadlineJdbcConfiguration {

    @Bean
    JdbcTemplate jdbcTemplate(DataSource dataSource) {
        return new DeadlineBoundJdbcTemplate(dataSource);
    }
}

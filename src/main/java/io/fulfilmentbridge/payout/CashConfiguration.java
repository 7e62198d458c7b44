package io.fulfilmentbridge.payout;

import io.fulfilmentbridge.fulfilment.AnswerStatuses;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class CashConfiguration {

    /** Answer statuses live with cash's settings: bridge.cash.queued-status is the one status a setting changes. */
    @Bean
    AnswerStatuses answerStatuses(CashSettings cash) {
        return new AnswerStatuses(cash.queuedStatus());
    }
}

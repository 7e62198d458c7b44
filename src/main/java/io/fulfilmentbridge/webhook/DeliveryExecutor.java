package io.fulfilmentbridge.webhook;

import java.util.concurrent.ThreadPoolExecutor;
import org.springframework.boot.task.ThreadPoolTaskExecutorCustomizer;
import org.springframework.stereotype.Component;

/**
 * Camel's platform-http runs each delivery on Spring's task executor (sized in application.yaml).
 * When every thread is busy, the delivery runs on the servlet thread that received it rather than
 * being refused with a bare 500: the burst slows down, every delivery still gets its answer.
 */
@Component
public class DeliveryExecutor implements ThreadPoolTaskExecutorCustomizer {

    @Override
    public void customize(org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor executor) {
        executor.setRejectedExecutionHandler(new ThreadPoolExecutor.CallerRunsPolicy());
    }
}

package io.fulfilmentbridge;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class FulfilmentBridgeApplication {
    public static void main(String[] args) {
        SpringApplication.run(FulfilmentBridgeApplication.class, args);
    }
}

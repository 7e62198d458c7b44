package io.fulfilmentbridge.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.ApplicationContext;

/**
 * Beans of a billing system not chosen are not created: of the four systems' packages, only the chosen
 * one's adapter (the bean "billing"), calls and health exist. Their settings records are bound for all
 * four, as every setting is checked at start-up (docs/settings.md), and are not counted.
 */
public final class BillingBeans {

    private static final Map<String, Set<String>> BEANS = Map.of(
            "stripe", Set.of("StripeBilling", "StripeCalls", "StripeHealth"),
            "chargebee", Set.of("ChargebeeBilling", "ChargebeeCalls", "ChargebeeHealth"),
            "recurly", Set.of("RecurlyBilling", "RecurlyCalls", "RecurlyHealth"),
            "paddle", Set.of("PaddleBilling", "PaddleCalls", "PaddleHealth"));

    private BillingBeans() {
    }

    public static void assertOnlyBeansOf(ApplicationContext context, String system) {
        for (String each : List.of("stripe", "chargebee", "recurly", "paddle")) {
            String pkg = "io.fulfilmentbridge." + each;
            Set<String> beans = Arrays.stream(context.getBeanDefinitionNames()).map(context::getType)
                    .filter(Objects::nonNull).filter(type -> type.getPackageName().equals(pkg))
                    .filter(type -> !type.isAnnotationPresent(ConfigurationProperties.class))
                    .map(Class::getSimpleName).collect(Collectors.toCollection(TreeSet::new));
            assertThat(beans).as("beans of " + pkg + " with bridge.billing.system=" + system)
                    .isEqualTo(each.equals(system) ? new TreeSet<>(BEANS.get(each)) : Set.of());
        }
        assertThat(context.getBean("billing").getClass().getSimpleName()).isEqualTo(BEANS.get(system).stream()
                .filter(name -> name.endsWith("Billing")).findFirst().orElseThrow());
    }
}

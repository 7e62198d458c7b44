package io.fulfilmentbridge;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

/**
 * The layout docs/design.md draws: the core (package fulfilment, and billing, the port) depends on no
 * adapter and not on Camel; adapters depend on the core, not on each other (the operators' console
 * reads the payout anomalies, the one exception); no package cycles; Camel's Exchange only in the Camel
 * glue and the HTTP edge; the fulfilments table written only in package fulfilment, its state only by
 * FulfilmentLifecycle and never from a literal; settings only as typed records.
 */
class LayoutTest {

    private static final String ROOT = "io.fulfilmentbridge";
    private static final String[] CORE = {ROOT + ".fulfilment..", ROOT + ".billing.."};
    private static final String[] ADAPTERS = {ROOT + ".webhook..", ROOT + ".stripe..", ROOT + ".ledger..", ROOT + ".payout..",
            ROOT + ".firstpromoter..", ROOT + ".console..", ROOT + ".camel..", ROOT + ".secrets..", ROOT + ".settings..",
            ROOT + ".chargebee..", ROOT + ".recurly..", ROOT + ".paddle.."};

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void theCoreDependsOnNoAdapterAndNotOnCamel() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage(ADAPTERS)
                .orShould().dependOnClassesThat().resideInAPackage("org.apache.camel..")
                .check(MAIN);
        noClasses().that().resideInAPackage(ROOT + ".fulfilment..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".billing..")
                .because("the billing port is built on the core, not the core on it")
                .check(MAIN);
    }

    @Test
    void adaptersDependOnTheCoreNotOnEachOther() {
        for (String adapter : List.of("webhook", "stripe", "chargebee", "recurly", "paddle", "ledger", "payout",
                "firstpromoter", "camel", "secrets")) {
            noClasses().that().resideInAPackage(ROOT + "." + adapter + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(Stream.of(ADAPTERS)
                            .filter(p -> !p.equals(ROOT + "." + adapter + "..") && !p.equals(ROOT + ".secrets..")).toArray(String[]::new))
                    .check(MAIN);
        }
        noClasses().that().resideInAPackage(ROOT + ".console..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".webhook..", ROOT + ".stripe..", ROOT + ".ledger..",
                        ROOT + ".firstpromoter..", ROOT + ".camel..")
                .because("the console shows the records and the payout anomalies, and nothing else")
                .check(MAIN);
    }

    @Test
    void tracingDependsOnNoOtherPackage() {
        noClasses().that().resideInAPackage(ROOT + ".tracing..")
                .should().dependOnClassesThat().resideInAnyPackage(Stream.concat(Stream.of(CORE), Stream.of(ADAPTERS)).toArray(String[]::new))
                .because("every package may make spans; the spans know nothing of the bridge")
                .check(MAIN);
    }

    @Test
    void noPackageCycles() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void onlyTheCamelGlueAndTheHttpEdgeTakeAnExchange() {
        methods().that().areDeclaredInClassesThat().resideOutsideOfPackage(ROOT + ".camel..")
                .and().areNotDeclaredIn(io.fulfilmentbridge.webhook.AnswerDeadline.class)
                .should(new ArchCondition<JavaMethod>("take no Camel Exchange, unless they implement Camel's own interface") {
                    @Override
                    public void check(JavaMethod method, ConditionEvents events) {
                        boolean takesExchange = method.getRawParameterTypes().stream().anyMatch(t -> t.isEquivalentTo(Exchange.class));
                        if (takesExchange && !implementsCamel(method.getOwner())) {
                            events.add(SimpleConditionEvent.violated(method, method.getFullName() + " takes an Exchange"));
                        }
                    }
                })
                .allowEmptyShould(true)
                .check(MAIN);
    }

    private static boolean implementsCamel(JavaClass owner) {
        return owner.getAllRawInterfaces().stream().anyMatch(i -> i.getPackageName().startsWith("org.apache.camel"))
                || owner.getAllRawSuperclasses().stream().anyMatch(c -> c.getPackageName().startsWith("org.apache.camel"));
    }

    @Test
    void oneWriterOfTheFulfilmentsState() throws IOException {
        Pattern writes = Pattern.compile("(?i)(UPDATE|INSERT\\s+INTO|DELETE\\s+FROM)\\s+fulfilments\\b");
        // A state set before the WHERE of an UPDATE, or a state column an INSERT lists.
        Pattern writesState = Pattern.compile(
                "(?is)UPDATE\\s+fulfilments\\s+SET(?:(?!\\bWHERE\\b).)*?\\bstate\\s*=|INSERT\\s+INTO\\s+fulfilments\\s*\\([^)]*\\bstate\\b");
        Pattern stateLiteral = Pattern.compile("'(" + String.join("|", Stream.of(io.fulfilmentbridge.fulfilment.FulfilmentState.values())
                .map(Enum::name).toList()) + ")'");
        try (Stream<Path> files = Stream.concat(Files.walk(Path.of("src/main/java")), Files.walk(Path.of("routes")))) {
            List<Path> sources = files.filter(Files::isRegularFile).filter(f -> !f.startsWith("src/main/java/db")).toList();
            assertThat(sources.stream().filter(f -> writes.matcher(read(f)).find()))
                    .allMatch(f -> f.startsWith("src/main/java/io/fulfilmentbridge/fulfilment"));
            assertThat(sources.stream().filter(f -> writesState.matcher(read(f)).find()).map(f -> f.getFileName().toString()))
                    .containsExactly("FulfilmentLifecycle.java");
            assertThat(sources.stream().filter(f -> stateLiteral.matcher(read(f)).find()).map(Path::toString)).isEmpty();
        }
    }

    @Test
    void settingsAreTypedRecordsNotValueInjections() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".java")).filter(f -> read(f).contains("@Value(\"${bridge"))
                    .map(Path::toString).toList()).isEmpty();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package io.fulfilmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The route tables of README.md and docs/design.md name every file in routes/ with its route id (a
 * template's file: the ids of the routes made of it, in order), and
 * nothing that is not there: an added, renamed or deleted route fails here until both tables say so.
 */
class RouteTablesTest {

    private static final Pattern ROUTE_ID = Pattern.compile("^- route:\\s*\\n\\s+id:\\s*(\\S+)", Pattern.MULTILINE);
    private static final Pattern TEMPLATED_ROUTE_ID = Pattern.compile("^- templatedRoute:\\s*\\n(?:\\s+\\w+:.*\\n)*?\\s+routeId:\\s*(\\S+)",
            Pattern.MULTILINE);
    private static final Pattern CONFIGURATION = Pattern.compile("^- routeConfiguration:", Pattern.MULTILINE);
    private static final Pattern ROW = Pattern.compile("^\\| `(?:routes/)?([a-z0-9-]+\\.camel\\.yaml)` \\| ([^|]+) \\|",
            Pattern.MULTILINE);

    /** Each route file and what its row's second column must say: its route id, or that it holds route configurations. */
    private static Map<String, String> routeFiles() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> routes = Files.list(Path.of("routes"))) {
            for (Path file : (Iterable<Path>) routes.filter(p -> p.toString().endsWith(".camel.yaml"))::iterator) {
                String yaml = Files.readString(file);
                Matcher id = ROUTE_ID.matcher(yaml);
                List<String> templated = new ArrayList<>();
                Matcher templatedId = TEMPLATED_ROUTE_ID.matcher(yaml);
                while (templatedId.find()) {
                    templated.add("`" + templatedId.group(1) + "`");
                }
                files.put(file.getFileName().toString(), id.find() ? "`" + id.group(1) + "`"
                        : !templated.isEmpty() ? String.join(", ", templated)
                        : CONFIGURATION.matcher(yaml).find() ? "(route configurations)" : "(no route)");
            }
        }
        return files;
    }

    @ParameterizedTest
    @ValueSource(strings = {"README.md", "docs/design.md"})
    void everyRouteFileIsInTheTableWithItsIdAndNothingElseIs(String page) throws IOException {
        Map<String, String> rows = new TreeMap<>();
        List<String> twice = new ArrayList<>();
        Matcher row = ROW.matcher(Files.readString(Path.of(page)));
        while (row.find()) {
            if (rows.put(row.group(1), row.group(2).trim()) != null) {
                twice.add(row.group(1));
            }
        }
        assertThat(twice).as("files listed twice in %s", page).isEmpty();
        assertThat(rows).as("the route table of %s against routes/", page).isEqualTo(routeFiles());
    }
}

package io.fulfilmentbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Every route and route configuration in routes/ is named by a route test (docs/design.md, Route tests):
 * a string literal of a *RouteTest that is its id (getRouteDefinition, advise, routeConfigurationId...),
 * scheme:id (direct:cash-payout), or the route's from URI (direct:reverse); a route made of a template
 * counts as a route. Only the ids of NOT_YET
 * may lack one, and the set only shrinks: an id there that gained a test, or is gone, fails too.
 */
class RouteCoverageTest {

    /**
     * Route ids allowed without a route test yet (docs/design.md, Route tests): none today. A new route
     * comes with its test.
     */
    static final Set<String> NOT_YET = Set.of();

    private static final Path ROUTES = Path.of("routes");
    private static final Path ROUTE_TESTS = Path.of("src/test/java/io/fulfilmentbridge/routes");
    private static final Pattern STRING_LITERAL = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");

    /** Each id of routes/*.camel.yaml, with its from URI (none for a route configuration). */
    private static Map<String, String> routeIds;
    /** Every string literal of the route tests. */
    private static Set<String> literals;

    @BeforeAll
    static void read() throws IOException {
        routeIds = new TreeMap<>();
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).sorted().toList()) {
                try (Reader reader = Files.newBufferedReader(file)) {
                    List<Map<String, Map<String, Object>>> entries = new Yaml().load(reader);
                    String templateFrom = "";
                    for (Map<String, Map<String, Object>> entry : entries) {
                        if (entry.containsKey("routeTemplate")) {
                            templateFrom = fromUri(asMap(entry.get("routeTemplate").get("route")));
                            continue; // its routes are the templated routes below it
                        }
                        if (entry.containsKey("templatedRoute")) {
                            Map<String, Object> templated = entry.get("templatedRoute");
                            String uri = templateFrom;
                            for (Object parameter : (List<?>) templated.get("parameters")) {
                                Map<String, Object> named = asMap(parameter);
                                uri = uri.replace("{{" + named.get("name") + "}}", String.valueOf(named.get("value")));
                            }
                            if (routeIds.put(String.valueOf(templated.get("routeId")), uri) != null) {
                                throw new IllegalStateException("route id " + templated.get("routeId") + " twice in routes/");
                            }
                            continue;
                        }
                        Map<String, Object> route = entry.containsKey("route") ? entry.get("route") : entry.get("routeConfiguration");
                        if (route == null) {
                            continue; // beans, rest: no route id
                        }
                        String uri = fromUri(route);
                        if (routeIds.put(String.valueOf(route.get("id")), uri) != null) {
                            throw new IllegalStateException("route id " + route.get("id") + " twice in routes/");
                        }
                    }
                }
            }
        }
        literals = new TreeSet<>();
        try (Stream<Path> files = Files.list(ROUTE_TESTS)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith("RouteTest.java")).toList()) {
                Matcher literal = STRING_LITERAL.matcher(Files.readString(file));
                while (literal.find()) {
                    literals.add(literal.group(1));
                }
            }
        }
    }

    @Test
    void everyRouteIdIsNamedByARouteTest() {
        Set<String> untested = new TreeSet<>(routeIds.keySet());
        untested.removeIf(RouteCoverageTest::named);
        untested.removeAll(NOT_YET);
        assertEquals(Set.of(), untested, "route ids in routes/ that no *RouteTest names: write its route test");
    }

    @Test
    void notYetOnlyShrinks() {
        Set<String> gone = new TreeSet<>(NOT_YET);
        gone.removeAll(routeIds.keySet());
        assertEquals(Set.of(), gone, "route ids in NOT_YET that are no longer in routes/: remove them from NOT_YET");
        Set<String> tested = new TreeSet<>(NOT_YET);
        tested.removeIf(id -> !named(id));
        assertEquals(Set.of(), tested, "route ids in NOT_YET that a *RouteTest names now: remove them from NOT_YET");
    }

    @Test
    void readsEveryRouteFile() {
        // Guards the reading itself: a parse that found nothing would pass the checks above.
        assertTrue(routeIds.size() >= 15, "route ids read from routes/: " + routeIds.keySet());
        assertEquals("direct:discounts", routeIds.get("discounts"), "a templated route, with its template's from");
        assertEquals("direct:reverse", routeIds.get("fulfilment-reversal"));
        assertEquals("", routeIds.get("fulfilment-outcomes"), "a route configuration has no from");
    }

    private static String fromUri(Map<String, Object> route) {
        Object from = route.get("from");
        return from instanceof Map<?, ?> map ? String.valueOf(map.get("uri")) : "";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object yaml) {
        return (Map<String, Object>) yaml;
    }

    private static boolean named(String id) {
        String from = routeIds.getOrDefault(id, "");
        String fromUri = from.contains("?") ? from.substring(0, from.indexOf('?')) : from;
        Pattern schemeAndId = Pattern.compile("[a-z-]+:" + Pattern.quote(id) + "(\\?.*)?");
        return literals.stream().anyMatch(literal -> literal.equals(id) || schemeAndId.matcher(literal).matches()
                || (!fromUri.isEmpty() && literal.equals(fromUri)));
    }
}

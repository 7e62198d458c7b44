package io.fulfilmentbridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in README.md and docs/*.md points at a file that exists and, with a {@code #anchor},
 * at a heading of that file (GitHub's slugs). Links with a scheme (https:, mailto:) are not followed.
 */
class DocsLinksTest {

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    /**
     * Pages written on another branch: a link to one is not checked until the page exists here.
     * Once it exists, its links and anchors are checked like any other.
     */
    private static final Set<String> WRITTEN_ELSEWHERE = Set.of("docs/settings.md");

    @Test
    void everyLinkPointsAtAFileAndHeadingThatExist() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path page : pages) {
            for (String target : links(Files.readString(page))) {
                if (SCHEME.matcher(target).find()) {
                    continue;
                }
                links++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path dest = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                String where = root.relativize(page) + ": (" + target + ")";
                if (!Files.exists(dest)) {
                    if (!WRITTEN_ELSEWHERE.contains(root.relativize(dest).toString().replace('\\', '/'))) {
                        broken.add(where + " names no file");
                    }
                } else if (anchor != null && !anchors(Files.readString(dest)).contains(anchor)) {
                    broken.add(where + " names no heading of " + root.relativize(dest));
                }
            }
        }
        assertTrue(links > 0, "no links found");
        assertEquals(List.of(), broken, "broken links");
    }

    @Test
    void slugsAreGitHubs() {
        assertEquals("the-stripe-calls-a-restricted-keys-permissions",
                slug("The Stripe calls (a restricted key's permissions)"));
        assertEquals("the-operators-console-hawtio", slug("The operators' console (Hawtio)"));
        assertEquals("health-metrics-logs-and-jmx", slug("Health, metrics, logs and JMX"));
        assertEquals("010-unreleased", slug("0.1.0 (unreleased)"));
    }

    /** The link targets of a page, outside fenced code blocks. */
    static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced) {
                Matcher m = LINK.matcher(line);
                while (m.find()) {
                    targets.add(m.group(1));
                }
            }
        }
        return targets;
    }

    /** The anchors GitHub gives a page's headings; a repeated heading gets -1, -2, ... */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            Matcher m = HEADING.matcher(line);
            if (!fenced && m.matches()) {
                String slug = slug(m.group(1));
                int n = seen.merge(slug, 1, Integer::sum);
                anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
            }
        }
        return anchors;
    }

    /** GitHub's slug: lower case, punctuation dropped except '-' and '_', each space a '-'. */
    static String slug(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{N}\\p{M}\\s_-]", "")
                .replace(' ', '-');
    }
}

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A burst: COUNT distinct fulfilments sent at once, each on its own connection, every answer awaited.
 * Prints one RESULT line in the format of bench/wrk/fulfilment.lua, plus the status counts.
 * Run: java bench/tools/Burst.java URL COUNT UNIT ID_BASE
 */
public class Burst {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        int count = Integer.parseInt(args[1]);
        String unit = args[2];
        long base = Long.parseLong(args[3]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(15)).build();
        long[] latencies = new long[count];
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger slow = new AtomicInteger();
        AtomicInteger serverErrors = new AtomicInteger();
        ConcurrentHashMap<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<HttpRequest> requests = IntStream.range(0, count).mapToObj(i -> HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(base + i, unit))).build()).toList();
        long start = System.nanoTime();
        CompletableFuture<?>[] all = new CompletableFuture<?>[count];
        for (int i = 0; i < count; i++) {
            int n = i;
            long sent = System.nanoTime();
            all[i] = client.sendAsync(requests.get(i), HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
                long micros = (System.nanoTime() - sent) / 1000;
                latencies[n] = micros;
                String key = error != null ? "error:" + error.getClass().getSimpleName() : Integer.toString(response.statusCode());
                statuses.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                boolean ok = error == null && response.statusCode() == 200;
                if (!ok) {
                    failed.incrementAndGet();
                }
                if (error != null || response.statusCode() >= 500) {
                    serverErrors.incrementAndGet();
                }
                if (micros >= 10_000_000) {
                    slow.incrementAndGet();
                }
                return null;
            });
        }
        CompletableFuture.allOf(all).join();
        long elapsed = (System.nanoTime() - start) / 1000;
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        System.out.printf("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d fivexx_or_failed=%d slow=%d%n", count, elapsed,
                sorted[(int) Math.ceil(count * 0.50) - 1], sorted[(int) Math.ceil(count * 0.99) - 1], sorted[count - 1],
                failed.get(), serverErrors.get(), slow.get());
        System.out.println("statuses " + statuses.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
    }

    static String body(long id, String unit) {
        boolean months = unit.equals("free_months");
        String custId = months ? "cus_bench" + id : "p" + (id % 1000);
        String amount = months ? "1" : "\"20\"";
        return "{\"event\":{\"id\":\"ev" + id + "\",\"type\":\"fulfilment_pending\",\"created_at\":\"2017-10-13T15:47:12.001Z\"},"
                + "\"data\":{\"id\":" + id + ",\"status\":\"pending\",\"date_paid\":null,\"amount\":" + amount + ",\"unit\":\"" + unit
                + "\",\"promoter\":{\"id\":235,\"cust_id\":\"" + custId + "\",\"email\":\"sam@example.org\"}}}";
    }
}

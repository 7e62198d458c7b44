package io.fulfilmentbridge.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.StripeException;
import com.stripe.model.Coupon;
import com.stripe.model.Customer;
import com.stripe.model.CustomerBalanceTransaction;
import com.stripe.model.Price;
import com.stripe.model.StripeCollection;
import com.stripe.model.StripeObject;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionCollection;
import com.stripe.model.SubscriptionItem;
import com.stripe.net.RequestOptions;
import com.stripe.param.CouponCreateParams;
import com.stripe.param.CustomerBalanceTransactionCreateParams;
import com.stripe.param.CustomerBalanceTransactionListParams;
import com.stripe.param.CustomerListParams;
import com.stripe.param.CustomerRetrieveParams;
import com.stripe.param.CustomerSearchParams;
import com.stripe.param.SubscriptionItemListParams;
import com.stripe.param.SubscriptionListParams;
import com.stripe.param.SubscriptionRetrieveParams;
import com.stripe.param.SubscriptionUpdateParams;
import io.fulfilmentbridge.fulfilment.FulfilmentKey;
import io.fulfilmentbridge.fulfilment.RetryLater;
import io.fulfilmentbridge.fulfilment.Source;
import io.fulfilmentbridge.tracing.Spans;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * Every Stripe call the bridge makes (docs/promises.md lists them as a restricted key's permissions), each
 * bounded by what is left of the delivery's answer deadline, never retried by the client itself, and
 * with Stripe's failures sorted as docs/promises.md says: 400/402/404 refuse the grant, the rest is a
 * reason to retry later.
 */
@Component
@ConditionalOnProperty(name = "bridge.billing.system", havingValue = "stripe", matchIfMissing = true)
public class StripeCalls {

    private static final String FULFILMENT_METADATA = "firstpromoter_fulfilment_id";
    /** docs/promises.md: a v2 commission's marker; its ids are other numbers than fulfilment ids, which they can equal. */
    private static final String COMMISSION_METADATA = "firstpromoter_commission_id";
    private static final String FULFILMENT_KEY_PREFIX = "fulfilment-";
    private static final String COMMISSION_KEY_PREFIX = "commission-";
    // Stripe's clock and ours may differ: balance transactions are read from this long before a grant was stored.
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    private final StripeClient client;
    private final int connectTimeout;
    private final int readTimeout;
    private final String idempotencyKeyPrefix;
    private final String commissionKeyPrefix;
    private final AtomicReference<String> keyRefused = new AtomicReference<>();
    private final MeterRegistry meters;
    private final Spans spans;

    public StripeCalls(MeterRegistry meters, StripeSettings settings, Spans spans) {
        this.meters = meters;
        this.spans = spans;
        this.connectTimeout = (int) settings.connectTimeout().toMillis();
        this.readTimeout = (int) settings.readTimeout().toMillis();
        this.idempotencyKeyPrefix = settings.idempotencyKeyPrefix();
        this.commissionKeyPrefix = commissionKeyPrefix(idempotencyKeyPrefix);
        this.client = StringUtils.hasText(settings.apiKey())
                ? StripeTransport.client(StripeClient.builder()
                        .setApiKey(settings.apiKey().trim())
                        .setApiBase(settings.apiBase())
                        .setMaxNetworkRetries(0)
                        .setConnectTimeout(this.connectTimeout)
                        .setReadTimeout(this.readTimeout))
                : null;
        if (client != null) {
            readModelsOnce();
        }
    }

    /**
     * Gson builds a type's adapters on first use, in every thread that asks before one is cached: the
     * first burst of grants after start-up built hundreds of copies of Stripe's model graph at once and
     * ran a 256 MB heap out of memory. Read once here, they are cached before the first delivery.
     */
    private static void readModelsOnce() {
        for (Class<? extends StripeObject> model : List.of(Customer.class, Subscription.class, SubscriptionItem.class,
                CustomerBalanceTransaction.class, Coupon.class, Price.class, SubscriptionCollection.class)) {
            StripeObject.deserializeStripeObject("{}", model, null);
        }
    }

    public boolean isConfigured() {
        return client != null;
    }

    /** Why the key was refused (401/403) the last time, or null: health reports DOWN while it is set. */
    public String keyRefused() {
        return keyRefused.get();
    }

    /** The customer, with its subscriptions embedded (saves the list call). */
    public Customer customer(String id, long remainingMillis) {
        return call("retrieve customer", () -> client.customers().retrieve(id,
                CustomerRetrieveParams.builder().addExpand("subscriptions").build(), options(remainingMillis, null)));
    }

    public List<Customer> customersWithMetadata(String key, String value, long remainingMillis) {
        String query = "metadata['" + escape(key) + "']:'" + escape(value) + "'";
        return call("search customers", () -> client.customers().search(
                CustomerSearchParams.builder().setQuery(query).setLimit(2L).addExpand("data.subscriptions").build(),
                options(remainingMillis, null)).getData());
    }

    public List<Customer> customersWithEmail(String email, long remainingMillis) {
        return call("list customers", () -> client.customers().list(
                CustomerListParams.builder().setEmail(email).setLimit(2L).addExpand("data.subscriptions").build(),
                options(remainingMillis, null)).getData());
    }

    /**
     * The subscriptions a customer's answer embedded, or null where the list call is needed: none
     * embedded, or more than it holds (Stripe embeds the 10 most recent that are not canceled).
     */
    static List<Subscription> embeddedSubscriptions(Customer customer) {
        SubscriptionCollection embedded = customer.getSubscriptions();
        return embedded == null || embedded.getData() == null || !Boolean.FALSE.equals(embedded.getHasMore())
                ? null : embedded.getData();
    }

    public List<Subscription> subscriptions(String customerId, long remainingMillis) {
        return call("list subscriptions", () -> client.subscriptions().list(
                SubscriptionListParams.builder().setCustomer(customerId)
                        .setStatus(SubscriptionListParams.Status.ALL).setLimit(100L).build(),
                options(remainingMillis, null)).getData());
    }

    public Subscription subscription(String subscriptionId, long remainingMillis) {
        return call("retrieve subscription", () -> client.subscriptions().retrieve(subscriptionId,
                SubscriptionRetrieveParams.builder().build(), options(remainingMillis, null)));
    }

    /** The items of a subscription after the given one: the pages its embedded list left out. */
    public StripeCollection<SubscriptionItem> subscriptionItems(String subscriptionId, String startingAfter,
                                                                long remainingMillis) {
        return call("list subscription items", () -> client.subscriptionItems().list(
                SubscriptionItemListParams.builder().setSubscription(subscriptionId).setLimit(100L)
                        .setStartingAfter(startingAfter).build(),
                options(remainingMillis, null)));
    }

    /**
     * The prefix of a v2 commission's idempotency keys (commission- in place of fulfilment-):
     * the configured prefix with its fulfilment- ending replaced, else commission- added after it. A
     * legacy key is the prefix and digits, so the two never meet.
     */
    static String commissionKeyPrefix(String prefix) {
        return prefix.endsWith(FULFILMENT_KEY_PREFIX)
                ? prefix.substring(0, prefix.length() - FULFILMENT_KEY_PREFIX.length()) + COMMISSION_KEY_PREFIX
                : prefix + COMMISSION_KEY_PREFIX;
    }

    /**
     * The idempotency key of a grant's n-th key generation: the first is the prefix and id, then -2, -3...
     * A v2 commission's prefix is commission- in place of fulfilment- (docs/promises.md).
     */
    public String idempotencyKey(FulfilmentKey key, int generation) {
        String prefix = key.source() == Source.COMMISSION ? commissionKeyPrefix : idempotencyKeyPrefix;
        return prefix + key.id() + (generation > 1 ? "-" + generation : "");
    }

    /**
     * The metadata key of the marker a grant's own request leaves in Stripe: firstpromoter_fulfilment_id,
     * or firstpromoter_commission_id for a v2 commission (docs/promises.md).
     */
    static String markerKey(FulfilmentKey key) {
        return key.source() == Source.COMMISSION ? COMMISSION_METADATA : FULFILMENT_METADATA;
    }

    public void extendTrial(FulfilmentKey key, String subscriptionId, long trialEnd, int keyGeneration,
                            long remainingMillis) {
        call("update subscription", () -> client.subscriptions().update(subscriptionId,
                SubscriptionUpdateParams.builder()
                        .setTrialEnd(trialEnd)
                        .setProrationBehavior(SubscriptionUpdateParams.ProrationBehavior.NONE)
                        .putMetadata(markerKey(key), Long.toString(key.id()))
                        .build(),
                options(remainingMillis, idempotencyKey(key, keyGeneration))));
    }

    /** Whether the subscription carries this fulfilment's marker, set by the grant's own request. */
    public static boolean carriesGrant(Subscription subscription, FulfilmentKey key) {
        return subscription.getMetadata() != null
                && Long.toString(key.id()).equals(subscription.getMetadata().get(markerKey(key)));
    }

    public void creditBalance(FulfilmentKey key, String customerId, long amount, String currency, String description,
                              int keyGeneration, long remainingMillis) {
        call("create balance transaction", () -> client.customers().balanceTransactions().create(customerId,
                CustomerBalanceTransactionCreateParams.builder()
                        .setAmount(-amount)
                        .setCurrency(currency)
                        .setDescription(description)
                        .putMetadata(markerKey(key), Long.toString(key.id()))
                        .build(),
                options(remainingMillis, idempotencyKey(key, keyGeneration))));
    }

    /** The coupon of this id, or empty when Stripe has none. */
    public Optional<Coupon> coupon(String couponId, long remainingMillis) {
        return call("retrieve coupon", () -> {
            try {
                return Optional.of(client.coupons().retrieve(couponId, options(remainingMillis, null)));
            } catch (StripeException e) {
                if (Integer.valueOf(404).equals(e.getStatusCode())) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /**
     * Creates the percentage coupon of this id. Its id makes it once-only: Stripe's "already exists"
     * means another grant or instance made it, and is taken as done. The idempotency key is the
     * grant's own, with -coupon: this grant's subscription update uses the plain one.
     */
    public void createCoupon(String couponId, long percentOff, CouponCreateParams.Duration duration, Long durationInMonths,
                             String name, FulfilmentKey key, long remainingMillis) {
        CouponCreateParams.Builder coupon = CouponCreateParams.builder()
                .setId(couponId)
                .setPercentOff(BigDecimal.valueOf(percentOff))
                .setDuration(duration);
        if (durationInMonths != null) {
            coupon.setDurationInMonths(durationInMonths);
        }
        coupon.setName(name);
        call("create coupon", () -> {
            try {
                return client.coupons().create(coupon.build(),
                        options(remainingMillis, idempotencyKey(key, 1) + "-coupon"));
            } catch (StripeException e) {
                if ("resource_already_exists".equals(e.getCode())) {
                    return null;
                }
                throw e;
            }
        });
    }

    /**
     * Adds the coupon to the subscription by read-merge-write: Stripe replaces a subscription's
     * discounts with the list sent, so every discount it had (kept) is sent again before the new one.
     * The marker is set on the subscription in the same request: reading it settles a lost answer.
     */
    public void addDiscount(FulfilmentKey key, String subscriptionId, List<String> kept, String couponId,
                            int keyGeneration, long remainingMillis) {
        SubscriptionUpdateParams.Builder update = SubscriptionUpdateParams.builder();
        for (String discount : kept) {
            update.addDiscount(SubscriptionUpdateParams.Discount.builder().setDiscount(discount).build());
        }
        update.addDiscount(SubscriptionUpdateParams.Discount.builder().setCoupon(couponId).build())
                .putMetadata(markerKey(key), Long.toString(key.id()));
        call("update subscription", () -> client.subscriptions().update(subscriptionId, update.build(),
                options(remainingMillis, idempotencyKey(key, keyGeneration))));
    }

    /**
     * Whether the customer's balance carries this fulfilment's credit: every transaction since the
     * grant was stored is read, page after page (newest first), until it is found or none is left.
     */
    public boolean hasBalanceCredit(String customerId, FulfilmentKey key, Instant storedAt,
                                    LongSupplier remainingMillis) {
        String id = Long.toString(key.id());
        String marker = markerKey(key);
        long since = storedAt.minus(CLOCK_SKEW).getEpochSecond();
        String after = null;
        while (true) {
            String startingAfter = after;
            StripeCollection<CustomerBalanceTransaction> page = call("list balance transactions",
                    () -> client.customers().balanceTransactions().list(customerId,
                            CustomerBalanceTransactionListParams.builder().setLimit(100L)
                                    .setCreated(CustomerBalanceTransactionListParams.Created.builder().setGte(since).build())
                                    .setStartingAfter(startingAfter).build(),
                            options(remainingMillis.getAsLong(), null)));
            List<CustomerBalanceTransaction> transactions = page.getData() == null ? List.of() : page.getData();
            if (transactions.stream().anyMatch(t -> t.getMetadata() != null && id.equals(t.getMetadata().get(marker)))) {
                return true;
            }
            if (!Boolean.TRUE.equals(page.getHasMore()) || transactions.isEmpty()) {
                return false;
            }
            CustomerBalanceTransaction oldest = transactions.get(transactions.size() - 1);
            if (oldest.getCreated() != null && oldest.getCreated() < since) {
                return false;
            }
            after = oldest.getId();
        }
    }

    private static String message(StripeException e) {
        return e.getStripeError() != null ? e.getStripeError().getMessage() : e.getMessage();
    }

    /** Stripe's header on an answer replayed for an idempotency key it had seen. */
    private static boolean replayed(StripeException e) {
        return e.getStripeError() != null && e.getStripeError().getLastResponse() != null
                && e.getStripeError().getLastResponse().headers().firstValue("Idempotent-Replayed")
                        .map("true"::equalsIgnoreCase).orElse(false);
    }

    /** Stripe's search syntax: ' and \ inside a quoted value are escaped with \. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("'", "\\'");
    }

    private RequestOptions options(long remainingMillis, String idempotencyKey) {
        if (remainingMillis < 250) {
            throw new RetryLater("no time left to call Stripe within the answer deadline; retry later");
        }
        int budget = (int) Math.min(Integer.MAX_VALUE, remainingMillis - 100);
        RequestOptions.RequestOptionsBuilder builder = RequestOptions.builder()
                .setConnectTimeout(Math.min(connectTimeout, budget))
                .setReadTimeout(Math.min(readTimeout, budget))
                .setMaxNetworkRetries(0);
        if (idempotencyKey != null) {
            builder.setIdempotencyKey(idempotencyKey);
        }
        return builder.build();
    }

    private interface Call<T> {
        T run() throws StripeException;
    }

    /**
     * Timed as bridge_stripe_calls_seconds{call,outcome}, and as every billing system's calls are,
     * bridge_billing_calls_seconds{system="stripe",outcome} (ok, refused: a 4xx but 429, retry).
     */
    private <T> T call(String what, Call<T> call) {
        // A span per call (docs/operations.md, Traces), named by the call: no id, key or parameter.
        return spans.call("stripe", what, () -> timed(what, call));
    }

    private <T> T timed(String what, Call<T> call) {
        Timer.Sample sample = Timer.start(meters);
        String outcome = "error";
        boolean refused = false;
        try {
            T result = call.run();
            keyRefused.set(null);
            outcome = "ok";
            return result;
        } catch (ApiConnectionException e) {
            outcome = "timeout";
            throw new RetryLater("Stripe did not answer (" + what + "); retry later");
        } catch (StripeException e) {
            Integer status = e.getStatusCode();
            refused = status != null && status >= 400 && status < 500 && status != 429;
            if (status != null && (status == 401 || status == 403)) {
                keyRefused.set("Stripe refused the API key (" + status + ")");
                throw new RetryLater("Stripe refused the API key (" + status + "); retry later");
            }
            if (status != null && status >= 500 && replayed(e)) {
                // Stripe answers this key with what it stored the first time, for 24 hours: retrying changes nothing.
                throw new StripeRefused("Stripe replayed its stored answer to this grant's idempotency key (" + what + ", "
                        + status + ", Idempotent-Replayed): " + message(e));
            }
            if (status != null && (status == 400 || status == 402 || status == 404)) {
                throw new StripeRefused("Stripe refused (" + what + ", " + status + "): " + message(e));
            }
            throw new RetryLater("Stripe answered " + (status == null ? "without a status" : status) + " (" + what + "); retry later");
        } catch (RetryLater noTimeLeft) {
            throw noTimeLeft;
        } catch (RuntimeException unreadable) {
            // stripe-java fails outside StripeException on some answers, e.g. an error status with an empty body.
            // No cause: Camel matches a handler from the deepest cause up, and a RuntimeException cause would be answered 500.
            throw new RetryLater("Stripe's answer could not be read (" + what + ", " + unreadable.getClass().getSimpleName()
                    + "); retry later");
        } finally {
            long nanos = sample.stop(Timer.builder("bridge.stripe.calls").description("Stripe calls, by call and outcome")
                    .tag("call", what).tag("outcome", outcome).register(meters));
            Timer.builder("bridge.billing.calls").description("Calls to the billing system, by outcome").tag("system", "stripe")
                    .tag("outcome", "ok".equals(outcome) ? "ok" : refused ? "refused" : "retry").register(meters)
                    .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }
}

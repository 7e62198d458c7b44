package io.fulfilmentbridge.fulfilment;

import io.fulfilmentbridge.fulfilment.Fulfilment;
import java.math.BigDecimal;
import org.springframework.stereotype.Component;

/**
 * The amounts each unit accepts (docs/settings.md, bridge.limits). Each method answers why the reward must be
 * parked, or null when the amount is fine.
 */
@Component("rewardLimits")
public class RewardLimits {

    private final BigDecimal maxFreeMonths;
    private final BigDecimal maxCredits;
    private final BigDecimal maxCashCents;
    private final BigDecimal maxDiscountCents;
    private final BigDecimal maxDiscountPercent;

    public RewardLimits(FulfilmentSettings settings) {
        this.maxFreeMonths = BigDecimal.valueOf(settings.limits().freeMonths());
        this.maxCredits = settings.limits().credits();
        this.maxCashCents = BigDecimal.valueOf(settings.limits().cashCents());
        this.maxDiscountCents = BigDecimal.valueOf(settings.limits().discountCents());
        this.maxDiscountPercent = BigDecimal.valueOf(settings.limits().discountPercent());
    }

    public String freeMonths(Fulfilment f) {
        return whole(f.amount(), maxFreeMonths, "free months");
    }

    public String credits(Fulfilment f) {
        BigDecimal amount = f.amount();
        if (amount.signum() <= 0 || amount.compareTo(maxCredits) > 0) {
            return "amount out of bounds: " + f.unit() + " must be more than 0 and at most " + maxCredits.toPlainString();
        }
        if (amount.stripTrailingZeros().scale() > 4) {
            return "amount out of bounds: " + f.unit() + " take at most 4 decimals";
        }
        return null;
    }

    public String cash(Fulfilment f) {
        return whole(f.amount(), maxCashCents, "cash cents");
    }

    /** mon_discount: whole cents, as FirstPromoter gives cash; discount_per: a whole percentage. */
    public String discount(Fulfilment f) {
        return f.unitKind() == Unit.DISCOUNT_PER
                ? whole(f.amount(), maxDiscountPercent, "discount percent")
                : whole(f.amount(), maxDiscountCents, "discount cents");
    }

    private static String whole(BigDecimal amount, BigDecimal max, String what) {
        if (amount.signum() <= 0 || amount.compareTo(max) > 0) {
            return "amount out of bounds: " + what + " must be from 1 to " + max.toPlainString();
        }
        if (amount.stripTrailingZeros().scale() > 0) {
            return "amount out of bounds: " + what + " must be a whole number";
        }
        return null;
    }
}

package io.fulfilmentbridge.fulfilment;

/**
 * A reward's unit, as the split on unit reads it (docs/promises.md, Reward units). FirstPromoter's v1 API
 * spells the fixed discount discount_mon, its webhooks mon_discount: one unit. Any other name is OTHER:
 * parked, and labelled "other" in logs and metrics.
 */
public enum Unit {
    FREE_MONTHS("free_months"),
    CREDITS("credits"),
    POINTS("points"),
    CASH("cash"),
    MON_DISCOUNT("mon_discount"),
    DISCOUNT_PER("discount_per"),
    OTHER("other");

    private final String label;

    Unit(String label) {
        this.label = label;
    }

    /** The unit's name as FirstPromoter sends it, and as logs, metrics and the ledger's rows name it. */
    public String label() {
        return label;
    }

    /** Credits and points: booked in the credit ledger. */
    public boolean ledger() {
        return this == CREDITS || this == POINTS;
    }

    /** Free months and discounts: applied in the billing system. */
    public boolean billing() {
        return this == FREE_MONTHS || this == MON_DISCOUNT || this == DISCOUNT_PER;
    }

    public boolean discount() {
        return this == MON_DISCOUNT || this == DISCOUNT_PER;
    }

    /** The unit a name stands for; null and unknown names are OTHER. */
    public static Unit of(String name) {
        if (name == null) {
            return OTHER;
        }
        String canonical = canonical(name);
        for (Unit unit : values()) {
            if (unit != OTHER && unit.label.equals(canonical)) {
                return unit;
            }
        }
        return OTHER;
    }

    /** The name a fulfilment keeps: discount_mon read as mon_discount; an unknown name as it came. */
    static String canonical(String name) {
        return "discount_mon".equals(name) ? MON_DISCOUNT.label : name;
    }
}

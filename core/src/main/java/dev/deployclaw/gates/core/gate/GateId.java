package dev.deployclaw.gates.core.gate;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The stable, public identity of a gate: a kebab-case id such as {@code replica-lag}. Used in the report,
 * in configuration and in {@code docs/gates/<id>.md}.
 */
public record GateId(String value) {
    private static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    public GateId {
        Objects.requireNonNull(value, "value");
        if (!KEBAB.matcher(value).matches()) {
            throw new IllegalArgumentException("gate id must be kebab-case (e.g. replica-lag), but was '" + value + "'");
        }
    }

    public static GateId of(String value) {
        return new GateId(value);
    }

    /** The brief's name for this gate in {@code gateResults}: {@code replica-lag} becomes {@code replicaLagGate}. */
    public String briefName() {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : value.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.append("Gate").toString();
    }

    @Override
    public String toString() {
        return value;
    }
}

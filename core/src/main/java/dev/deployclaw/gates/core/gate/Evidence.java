package dev.deployclaw.gates.core.gate;

import java.util.Objects;
import java.util.Optional;

/**
 * One measured fact behind a verdict: what was measured, its value, the limit it was held against and the unit.
 *
 * @param name      what was measured, e.g. {@code replay lag of deployclaw-standby}
 * @param measured  the measured value as text (a number, a setting, a pid), never a password
 * @param threshold the limit, if there is one
 * @param unit      the unit of both values, e.g. {@code ms}; empty when not numeric
 */
public record Evidence(String name, String measured, Optional<String> threshold, String unit) {
    public Evidence {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(measured, "measured");
        Objects.requireNonNull(threshold, "threshold");
        Objects.requireNonNull(unit, "unit");
    }

    public static Evidence of(String name, Object measured, Object threshold, String unit) {
        return new Evidence(name, String.valueOf(measured), Optional.of(String.valueOf(threshold)), unit);
    }

    public static Evidence fact(String name, Object measured) {
        return new Evidence(name, String.valueOf(measured), Optional.empty(), "");
    }
}

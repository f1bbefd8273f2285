package dev.deployclaw.gates.core.gate;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one gate decided, with the numbers behind it. Gates return verdicts; they never throw.
 *
 * @param gate       the gate's id
 * @param action     what the gate did, in the brief's words ("Querying replica lag across read-only instances")
 * @param outcome    the decision
 * @param detail     one or more sentences: what was seen (with numbers), the limit and, when blocking, the fix
 * @param evidence   the measured values
 * @param sqlState   for {@link Outcome#ERROR} caused by SQL: the SQLSTATE of the error
 * @param durationMs how long the evaluation took
 */
public record Verdict(GateId gate, String action, Outcome outcome, String detail, List<Evidence> evidence,
                      Optional<String> sqlState, long durationMs) {
    public Verdict {
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
        evidence = List.copyOf(evidence);
        Objects.requireNonNull(sqlState, "sqlState");
    }

    public boolean blocks() {
        return outcome.blocks();
    }

    public Verdict withDuration(long millis) {
        return new Verdict(gate, action, outcome, detail, evidence, sqlState, millis);
    }
}

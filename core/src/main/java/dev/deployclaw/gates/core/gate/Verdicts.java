package dev.deployclaw.gates.core.gate;

import java.util.List;
import java.util.Optional;

/** Short factories for verdicts, so each gate reads as its decisions. */
public final class Verdicts {
    private Verdicts() {
    }

    public static Verdict passed(Gate gate, String detail, List<Evidence> evidence) {
        return new Verdict(gate.id(), gate.action(), Outcome.PASSED, detail, evidence, Optional.empty(), 0);
    }

    public static Verdict warned(Gate gate, String detail, List<Evidence> evidence) {
        return new Verdict(gate.id(), gate.action(), Outcome.WARNED, detail, evidence, Optional.empty(), 0);
    }

    public static Verdict failed(Gate gate, String detail, List<Evidence> evidence) {
        return new Verdict(gate.id(), gate.action(), Outcome.FAILED, detail, evidence, Optional.empty(), 0);
    }

    public static Verdict skipped(Gate gate, String reason) {
        return new Verdict(gate.id(), gate.action(), Outcome.SKIPPED, reason, List.of(), Optional.empty(), 0);
    }

    public static Verdict error(Gate gate, String detail, Optional<String> sqlState) {
        return new Verdict(gate.id(), gate.action(), Outcome.ERROR, detail, List.of(), sqlState, 0);
    }
}

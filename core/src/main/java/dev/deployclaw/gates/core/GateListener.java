package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;

/** Observes evaluations (logging, metrics). Every method has a no-op default; a listener that throws is ignored. */
public interface GateListener {
    default void onVerdict(MigrationRequest request, Verdict verdict) {
    }

    default void onReport(GateReport report) {
    }

    default void onExecuted(ExecutionResult result) {
    }
}

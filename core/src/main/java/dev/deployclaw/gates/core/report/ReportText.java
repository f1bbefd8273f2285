package dev.deployclaw.gates.core.report;

import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.internal.Secrets;

/** The short human-readable rendering: one line per gate, the decision, what to do. */
final class ReportText {
    private ReportText() {
    }

    static String render(GateReport r) {
        StringBuilder b = new StringBuilder();
        b.append(r.decision()).append(" — ").append(r.taskDescription());
        b.append(" [").append(r.tenant().map(t -> "tenant " + t + ", ").orElse("")).append("schema ").append(r.schema());
        r.migrationVersion().ifPresent(v -> b.append(", migration ").append(v));
        b.append(", ").append(r.executionId()).append(", ").append(r.executionTimeMs()).append(" ms]\n");
        for (Verdict v : r.verdicts()) {
            b.append(String.format("  %-12s %-22s %s (%d ms)%n", v.outcome(), v.gate().value(),
                    Secrets.mask(v.detail()), v.durationMs()));
        }
        b.append("  → ").append(Secrets.mask(r.recommendedAction()));
        return b.toString();
    }
}

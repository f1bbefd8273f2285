package dev.deployclaw.gates.core.ddl;

import java.util.List;

/**
 * The analysis of a whole script: each statement's prediction, every rule's findings (with overrides applied),
 * override errors (unknown rule id, missing reason: they block) and stale overrides (matching nothing: reported).
 */
public record DdlReview(List<StatementAnalysis> statements, List<Finding> findings, List<String> overrideErrors,
                        List<String> staleOverrides) {
    public DdlReview {
        statements = List.copyOf(statements);
        findings = List.copyOf(findings);
        overrideErrors = List.copyOf(overrideErrors);
        staleOverrides = List.copyOf(staleOverrides);
    }

    /** True when a BLOCK finding is not acknowledged, or an override is malformed. */
    public boolean blocks() {
        return !overrideErrors.isEmpty() || findings.stream().anyMatch(Finding::blocks);
    }

    public boolean hasWarnings() {
        return !staleOverrides.isEmpty() || findings.stream().anyMatch(f -> f.severity() == Severity.WARN && !f.acknowledged());
    }

    public boolean hasAcknowledged() {
        return findings.stream().anyMatch(Finding::acknowledged);
    }
}

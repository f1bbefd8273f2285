package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.report.GateReport;

import java.util.Objects;

/**
 * Thrown at the integration edge (Flyway callback, Liquibase listener, {@link SecurityAuditor#requireSafe}) when a
 * report is BLOCKED. The message is the rendered report: gate ids, target, measured values, limits and fixes.
 */
public class GateBlockedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient GateReport report;

    public GateBlockedException(GateReport report) {
        super(Objects.requireNonNull(report, "report").toText());
        this.report = report;
    }

    public GateReport report() {
        return report;
    }
}

package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Statements that passed every gate, with the settings they were approved under. Only
 * {@link dev.deployclaw.gates.core.report.GateReport#approvedStatement()} creates one, and only for a report whose
 * decision is SAFE_TO_MIGRATE; {@link SecurityAuditor#executeWithMonitoring(ApprovedStatement)} runs it.
 *
 * @param executionId the report that approved it
 * @param statements  the statements, in order
 * @param schema      the schema unqualified names resolve to
 * @param isolation   the isolation level to run under
 * @param database    the database family
 * @param approvedAt  when the gates passed
 */
public record ApprovedStatement(String executionId, List<String> statements, String schema, IsolationLevel isolation,
                                DatabaseKind database, Instant approvedAt, Optional<String> tenant) {
    public ApprovedStatement {
        Objects.requireNonNull(executionId, "executionId");
        statements = List.copyOf(statements);
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(approvedAt, "approvedAt");
        Objects.requireNonNull(tenant, "tenant");
    }

    /** The statements as one script, separated by {@code ;} and newlines. */
    public String sql() {
        return String.join(";\n", statements);
    }
}

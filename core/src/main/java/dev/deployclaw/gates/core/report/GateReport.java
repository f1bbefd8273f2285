package dev.deployclaw.gates.core.report;

import dev.deployclaw.gates.core.ApprovedStatement;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one gate evaluation: every gate's verdict, the decision, and what to do next. Rendered as JSON in
 * the brief's execution-log shape with {@link #toJson()} (schema in {@code docs/report-format.md}) and as text
 * with {@link #toText()}.
 */
public final class GateReport {
    public static final String AGENT_NAME = "SecurityAuditor";

    private final String executionId;
    private final Instant timestamp;
    private final String taskDescription;
    private final Optional<String> tenant;
    private final String schema;
    private final Optional<String> migrationVersion;
    private final DatabaseKind database;
    private final List<String> statements;
    private final List<Verdict> verdicts;
    private final long executionTimeMicros;
    private final IsolationLevel isolation;
    private final long prefetchMicros;

    public GateReport(String executionId, Instant timestamp, String taskDescription, Optional<String> tenant, String schema,
                      Optional<String> migrationVersion, DatabaseKind database, List<String> statements,
                      List<Verdict> verdicts, long executionTimeMs, IsolationLevel isolation) {
        this(executionId, timestamp, taskDescription, tenant, schema, migrationVersion, database, statements, verdicts,
                java.time.Duration.ofMillis(executionTimeMs), isolation);
    }

    /** As above, with the exact evaluation time (a run report sums thousands of sub-millisecond times). */
    public GateReport(String executionId, Instant timestamp, String taskDescription, Optional<String> tenant, String schema,
                      Optional<String> migrationVersion, DatabaseKind database, List<String> statements,
                      List<Verdict> verdicts, java.time.Duration executionTime, IsolationLevel isolation) {
        this(executionId, timestamp, taskDescription, tenant, schema, migrationVersion, database, statements, verdicts,
                executionTime, isolation, 0);
    }

    /**
     * As above, with the time spent evaluating some of its gates in advance, on another thread while the migration
     * tool started ({@code SecurityAuditor.prefetchEnvironment}); that time is not part of {@code executionTime}.
     */
    public GateReport(String executionId, Instant timestamp, String taskDescription, Optional<String> tenant, String schema,
                      Optional<String> migrationVersion, DatabaseKind database, List<String> statements,
                      List<Verdict> verdicts, java.time.Duration executionTime, IsolationLevel isolation, long prefetchMicros) {
        if (prefetchMicros < 0) {
            throw new IllegalArgumentException("prefetchMicros must be zero or positive, but was " + prefetchMicros);
        }
        this.prefetchMicros = prefetchMicros;
        this.executionId = Objects.requireNonNull(executionId, "executionId");
        this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
        this.taskDescription = Objects.requireNonNull(taskDescription, "taskDescription");
        this.tenant = Objects.requireNonNull(tenant, "tenant");
        this.schema = Objects.requireNonNull(schema, "schema");
        this.migrationVersion = Objects.requireNonNull(migrationVersion, "migrationVersion");
        this.database = Objects.requireNonNull(database, "database");
        this.statements = List.copyOf(statements);
        this.verdicts = List.copyOf(verdicts);
        this.executionTimeMicros = executionTime.toNanos() / 1000;
        this.isolation = Objects.requireNonNull(isolation, "isolation");
    }

    public String executionId() { return executionId; }

    public Instant timestamp() { return timestamp; }

    public String taskDescription() { return taskDescription; }

    public Optional<String> tenant() { return tenant; }

    public String schema() { return schema; }

    public Optional<String> migrationVersion() { return migrationVersion; }

    public DatabaseKind database() { return database; }

    public List<String> statements() { return statements; }

    /** Every gate's verdict, in registry order. */
    public List<Verdict> verdicts() { return verdicts; }

    public long executionTimeMs() { return executionTimeMicros / 1000; }

    /**
     * Time spent evaluating some of this report's gates in advance (microseconds; 0 when none were): on another thread,
     * while the migration tool started its run, so not part of {@link #executionTimeMicros()}, which is the time the
     * caller waited (including any wait for that check to end).
     */
    public long prefetchMicros() { return prefetchMicros; }

    /** {@link #executionTimeMs()} in microseconds. */
    public long executionTimeMicros() { return executionTimeMicros; }

    /** The brief's {@code allGatesPassed}: true when no verdict is FAILED or ERROR. */
    public boolean allGatesPassed() {
        return verdicts.stream().noneMatch(Verdict::blocks);
    }

    public Decision decision() {
        return allGatesPassed() ? Decision.SAFE_TO_MIGRATE : Decision.BLOCKED;
    }

    /** The verdict of one gate, if it ran. */
    public Optional<Verdict> verdict(GateId id) {
        return verdicts.stream().filter(v -> v.gate().equals(id)).findFirst();
    }

    /** The verdicts that block. */
    public List<Verdict> blockingVerdicts() {
        return verdicts.stream().filter(Verdict::blocks).toList();
    }

    /** The statements, approved to run, when every gate passed; empty when blocked. */
    public Optional<ApprovedStatement> approvedStatement() {
        if (!allGatesPassed() || statements.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ApprovedStatement(executionId, statements, schema, isolation, database, timestamp, tenant));
    }

    /** What to do next, in one or two sentences. */
    public String recommendedAction() {
        if (allGatesPassed()) {
            boolean warned = verdicts.stream().anyMatch(v -> v.outcome() == Outcome.WARNED);
            return "Proceed with schema migration. All safety gates passed" + (warned ? " (read the warnings)" : "")
                    + ". Post-migration: monitor query latency for 5 minutes.";
        }
        List<Verdict> blocking = blockingVerdicts();
        StringBuilder b = new StringBuilder("Do not migrate. Blocked by ");
        b.append(String.join(", ", blocking.stream().map(v -> v.gate().value()).toList())).append(". ");
        b.append(blocking.get(0).detail());
        return b.toString();
    }

    public String toJson() {
        return ReportJson.write(this);
    }

    public String toText() {
        return ReportText.render(this);
    }

    @Override
    public String toString() {
        return toText();
    }
}

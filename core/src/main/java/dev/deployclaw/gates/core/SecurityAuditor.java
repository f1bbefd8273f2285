package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TouchedTables;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.execute.MonitoredExecutor;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateContext;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Gates;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.RollbackValidationGate;
import dev.deployclaw.gates.core.gate.SharedActivity;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.TopologyGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.internal.Secrets;
import dev.deployclaw.gates.core.report.GateReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The entry point, in the brief's vocabulary: {@link #enforcePreMigrationGates(MigrationRequest)} evaluates every
 * gate against the live database and returns a {@link GateReport}; {@link #executeWithMonitoring(ApprovedStatement)}
 * runs what the report approved, with the lock wait bounded.
 *
 * <pre>{@code
 * SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(dataSource)
 *         .tenantId("acme").replica("replica-eu", replicaDataSource).build());
 * GateReport report = auditor.enforcePreMigrationGates(MigrationRequest.builder()
 *         .operation("ALTER TABLE users ADD COLUMN tenant_scope varchar(255)")
 *         .isolationLevel(IsolationLevel.SERIALIZABLE)
 *         .rollbackStatement("ALTER TABLE users DROP COLUMN tenant_scope")
 *         .build());
 * if (report.allGatesPassed()) {
 *     auditor.executeWithMonitoring(report.approvedStatement().orElseThrow());
 * }
 * }</pre>
 *
 * Thread-safe: one auditor can serve many threads and tenants.
 */
public final class SecurityAuditor {
    private static final Logger LOG = LoggerFactory.getLogger(SecurityAuditor.class);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    /**
     * The gates whose verdict depends on the server and the schema only (not on a migration's statements or the
     * tool's session): {@link #prefetchEnvironment} evaluates them in advance.
     */
    static final Set<GateId> ENVIRONMENT_GATES = Set.of(TopologyGate.ID, ReplicaLagGate.ID, TableLockGate.ID,
            RollbackValidationGate.ID);

    private final AuditorConfig config;
    private final List<Gate> gates;
    private final List<GateListener> listeners;
    private final SharedActivity sharedActivity;
    /** The gates of {@link #gates} that a check in advance evaluates ({@link #ENVIRONMENT_GATES}), in registry order. */
    private final List<Gate> environmentGates;
    private volatile Dialect dialect;

    public SecurityAuditor(AuditorConfig config) {
        this(config, Gates.defaults(config), List.of());
    }

    public SecurityAuditor(AuditorConfig config, List<Gate> gates, List<GateListener> listeners) {
        this(config, gates, listeners, null);
    }

    private SecurityAuditor(AuditorConfig config, List<Gate> gates, List<GateListener> listeners, SharedActivity shared) {
        this.config = Objects.requireNonNull(config, "config");
        this.gates = List.copyOf(gates);
        this.listeners = List.copyOf(listeners);
        this.sharedActivity = shared;
        this.environmentGates = this.gates.stream().filter(g -> ENVIRONMENT_GATES.contains(g.id())).toList();
        if (this.gates.isEmpty()) {
            throw new IllegalArgumentException("gates must not be empty: an auditor without gates would pass everything");
        }
    }

    public AuditorConfig config() {
        return config;
    }

    public List<Gate> gates() {
        return gates;
    }

    /** A copy of this auditor, with the same gates and listeners, for another configuration (e.g. a tenant's database). */
    public SecurityAuditor withConfig(AuditorConfig other) {
        return new SecurityAuditor(other, gates, listeners, sharedActivity);
    }

    /**
     * A copy of this auditor (and of every copy made from it) whose lock checks share one read of the server's locks
     * and transactions for at most {@code maxAge} (a multi-tenant run: one {@code pg_locks} / {@code pg_stat_activity}
     * read serves many schemas; PostgreSQL). A check that finds a candidate blocker in the shared read reads the server
     * again before it blocks; a lock taken after the shared read is met by the migration session's lock wait bound
     * ({@code maxLockWait}). {@link Duration#ZERO} turns sharing off.
     */
    public SecurityAuditor withSharedActivity(java.time.Duration maxAge) {
        return new SecurityAuditor(config, gates, listeners, maxAge.isZero() ? null : new SharedActivity(maxAge));
    }

    /** A copy of this auditor that also notifies {@code listener}. */
    public SecurityAuditor withListener(GateListener listener) {
        List<GateListener> all = new ArrayList<>(listeners);
        all.add(Objects.requireNonNull(listener, "listener"));
        return new SecurityAuditor(config, gates, all, sharedActivity);
    }

    /**
     * A copy of this auditor, with the same configuration and listeners, that evaluates only {@code subset} (e.g. the
     * statement-level gates an adapter re-runs before each migration of one update).
     */
    public SecurityAuditor withGates(List<Gate> subset) {
        return new SecurityAuditor(config, subset, listeners, sharedActivity);
    }

    /**
     * Evaluates every gate, in registry order, and decides once. Never throws for a database problem: a gate that
     * cannot decide is an ERROR verdict, and ERROR blocks.
     */
    public GateReport enforcePreMigrationGates(MigrationRequest request) {
        try (GateSession session = openSession()) {
            return enforcePreMigrationGates(request, session);
        }
    }

    /**
     * Opens a {@link GateSession}: the gates' probe connection kept across several evaluations (an adapter checking a
     * run's migrations one after another), so each evaluation does not take and prepare a connection again. Close it
     * when the run ends.
     */
    public GateSession openSession() {
        return new GateSession(config);
    }

    /**
     * {@link #enforcePreMigrationGates(MigrationRequest)} on the probe connection of {@code session} (opened by an
     * auditor with this one's data source and probe timeout).
     */
    public GateReport enforcePreMigrationGates(MigrationRequest request, GateSession session) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(session, "session");
        requireServes(session);
        // an environment check started in advance on this session ends before the connection serves this evaluation;
        // its verdicts stand in for the same gates when it was made for this request and is young enough
        // (waiting for it counts as this evaluation's time)
        long start = System.nanoTime();
        Instant timestamp = Instant.now();
        Optional<Prefetch> advance = session.takePrefetch();
        String executionId = "sg-migration-" + DAY.format(timestamp) + "-"
                + String.format("%09d", ThreadLocalRandom.current().nextInt(1_000_000_000));
        Map<Gate, Verdict> ready = advance.map(p -> p.verdictsFor(this, request)).orElse(Map.of());
        Evaluation done = evaluate(request, session, gates, ready, true);
        List<Verdict> verdicts = done.verdicts();
        String schema = done.schema();
        Dialect d = done.dialect();
        GateReport report = new GateReport(executionId, timestamp, request.description(), request.tenant()
                .or(config::tenantId), schema, request.migrationVersion(), d == null ? dev.deployclaw.gates.core.dialect.DatabaseKind.POSTGRESQL : d.kind(),
                request.statements(), verdicts, java.time.Duration.ofNanos(System.nanoTime() - start),
                request.isolationLevel().orElse(config.requiredIsolation()),
                ready.isEmpty() ? 0 : advance.get().micros());
        for (GateListener l : listeners) {
            try {
                l.onReport(report);
            } catch (RuntimeException e) {
                LOG.warn("GateListener {} failed on report {}: {}", l, report.executionId(), Secrets.mask(e.getMessage()));
            }
        }
        LOG.debug("{} {} in {} ms", report.executionId(), report.decision(), report.executionTimeMs());
        return report;
    }

    /**
     * Starts the environment gates ({@code topology}, {@code replica-lag}, {@code table-lock} and the recovery point of
     * {@code rollback-validation}, as far as this auditor has them) for {@code request}, an environment-only request
     * for one schema, on {@code executor}, using {@code session}'s probe connection: an adapter calls it just before
     * the migration tool starts a run, so the checks overlap the tool's own start-up (connections, history table)
     * instead of adding to it. The session's next evaluation, of a request for the same schema, tenant and tool tables
     * (the tool's {@code beforeMigrate}), waits for the check to end and takes its verdicts instead of evaluating those
     * gates again, if the check started at most {@code maxAge} before; otherwise, or for any other request, the
     * verdicts are dropped and every gate is evaluated as usual. Each verdict taken says so in its evidence, and the
     * report counts the check's time as {@link GateReport#prefetchMicros()}, apart from its execution time.
     *
     * @throws IllegalArgumentException when {@code request} is not environment-only or has statements, or the session
     *                                  serves another data source
     */
    public void prefetchEnvironment(MigrationRequest request, GateSession session, Executor executor, java.time.Duration maxAge) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(executor, "executor");
        if (maxAge == null || maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must be zero or positive, but was " + maxAge);
        }
        if (!request.environmentOnly() || !request.statements().isEmpty()) {
            throw new IllegalArgumentException("only an environment-only request without statements can be checked in advance,"
                    + " but got one with " + request.statements().size() + " statement(s)");
        }
        requireServes(session);
        if (environmentGates.isEmpty() || maxAge.isZero()) {
            session.clearPrefetch();
            return;
        }
        Prefetch p = new Prefetch(this, request, environmentGates, maxAge);
        session.startPrefetch(p);
        try {
            executor.execute(() -> p.run(session));
        } catch (RejectedExecutionException e) {
            p.skip(); // the evaluation that takes it finds no verdicts and evaluates every gate itself
        }
    }

    private void requireServes(GateSession session) {
        if (!session.serves(config)) {
            throw new IllegalArgumentException("session was opened for another data source or probe timeout; open it with"
                    + " this auditor's openSession()");
        }
    }

    /** The verdicts of {@code subset} for {@code request}, evaluated now on {@code session}, without notifying listeners. */
    List<Verdict> evaluateInAdvance(MigrationRequest request, GateSession session, List<Gate> subset) {
        return evaluate(request, session, subset, Map.of(), false).verdicts();
    }

    /** What one evaluation found: every gate's verdict in order, the schema and the dialect (null: none detected). */
    private record Evaluation(List<Verdict> verdicts, String schema, Dialect dialect) {
    }

    /**
     * Evaluates {@code which} in order on {@code session}, taking a gate's verdict from {@code ready} where it holds one.
     * Never throws for a database problem: a probe that cannot be opened makes every undecided gate an ERROR.
     */
    private Evaluation evaluate(MigrationRequest request, GateSession session, List<Gate> which, Map<Gate, Verdict> ready,
                                boolean notify) {
        List<Verdict> verdicts = new ArrayList<>();
        String schema = request.schema().orElse("?");
        Dialect d = dialect;
        // the probe connection is opened when the first gate needs it (or to detect the dialect): gates that decide from
        // the statements alone cost no round trip
        session.begin();
        try {
            if (d == null) {
                d = dialect(session.get(null));
            }
            Dialect dd = d;
            if (request.schema().isPresent()) {
                schema = request.schema().get();
            } else {
                schema = d.currentSchema(request.session().isPresent() ? request.session().get() : session.get(d));
            }
            GateContext ctx = new GateContext(config, request, d, () -> session.get(dd), schema, tablesOf(request),
                    () -> request.session().isPresent() ? List.of(dd.sessionId(request.session().get())) : List.of(),
                    sharedActivity);
            for (Gate gate : which) {
                Verdict v = ready.get(gate);
                v = v != null ? v : evaluate(gate, ctx, session);
                verdicts.add(notify ? notify(request, v) : v);
            }
        } catch (SQLException | RuntimeException e) {
            // could not even open or prepare the probe: every gate that has not decided fails closed
            String why = "could not connect to or prepare the primary: " + message(e);
            for (Gate gate : which.subList(verdicts.size(), which.size())) {
                Verdict v = new Verdict(gate.id(), gate.action(), Outcome.ERROR, capitalize(why)
                        + ". Blocking: a gate that cannot decide fails closed.", List.of(), sqlState(e), 0);
                verdicts.add(notify ? notify(request, v) : v);
            }
        }
        session.end(verdicts.stream().anyMatch(v -> v.outcome() == Outcome.ERROR));
        return new Evaluation(verdicts, schema, d);
    }

    /**
     * Evaluates the gates and throws when they block: the form the Flyway and Liquibase adapters use.
     *
     * @throws GateBlockedException carrying the report, with the rendered report as its message
     */
    public GateReport requireSafe(MigrationRequest request) {
        return passed(enforcePreMigrationGates(request));
    }

    /** {@link #requireSafe(MigrationRequest)} on the probe connection of {@code session}. */
    public GateReport requireSafe(MigrationRequest request, GateSession session) {
        return passed(enforcePreMigrationGates(request, session));
    }

    private static GateReport passed(GateReport report) {
        if (!report.allGatesPassed()) {
            throw new GateBlockedException(report);
        }
        return report;
    }

    /**
     * Runs approved statements on a new session of the primary with {@code lock_timeout} = maxLockWait and
     * {@code statement_timeout} in force, under the approved isolation, recording how long the lock took and how long
     * the statements ran. A DDL that cannot get its lock in time fails fast with a {@link MigrationExecutionException}
     * instead of queueing.
     */
    public ExecutionResult executeWithMonitoring(ApprovedStatement approved) {
        if (approved == null) {
            throw new IllegalArgumentException("approved statement must be set, but was null; only a SAFE_TO_MIGRATE report"
                    + " gives one (GateReport.approvedStatement())");
        }
        Dialect d;
        try (Connection c = config.dataSource().getConnection()) {
            d = dialect(c);
        } catch (SQLException e) {
            throw new MigrationExecutionException("Could not connect to the primary: " + message(e), false, e);
        }
        ExecutionResult result = new MonitoredExecutor(config, d).execute(approved);
        for (GateListener l : listeners) {
            try {
                l.onExecuted(result);
            } catch (RuntimeException e) {
                LOG.warn("GateListener {} failed: {}", l, Secrets.mask(e.getMessage()));
            }
        }
        return result;
    }

    /** The dialect of the primary, detected once. */
    public Dialect dialect(Connection c) throws SQLException {
        Dialect d = dialect;
        if (d == null) {
            synchronized (this) {
                if (dialect == null) {
                    dialect = Dialects.forKind(Dialects.detectKind(c));
                }
                d = dialect;
            }
        }
        return d;
    }

    private Verdict evaluate(Gate gate, GateContext ctx, GateSession probe) {
        long t0 = System.nanoTime();
        Verdict v;
        if (Thread.currentThread().isInterrupted()) {
            v = new Verdict(gate.id(), gate.action(), Outcome.ERROR, "Interrupted before this gate ran. Blocking: a gate that"
                    + " cannot decide fails closed.", List.of(), Optional.empty(), 0);
        } else {
            try {
                Optional<String> missingPrivilege = gate.readsOtherSessions() ? probe.missingPrivilege(ctx.dialect())
                        : Optional.empty();
                if (missingPrivilege.isPresent()) {
                    v = new Verdict(gate.id(), gate.action(), Outcome.ERROR, "Cannot see other sessions: " + missingPrivilege.get()
                            + " Blocking: a gate that cannot see fails closed.", List.of(), Optional.of("42501"), 0);
                } else {
                    v = Objects.requireNonNull(gate.evaluate(ctx), "gate " + gate.id() + " returned no verdict");
                }
            } catch (GateSession.ProbeUnavailable e) {
                v = new Verdict(gate.id(), gate.action(), Outcome.ERROR, "Could not connect to or prepare the primary: "
                        + message(e.getCause()) + ". Blocking: a gate that cannot decide fails closed.", List.of(),
                        sqlState(e.getCause()), 0);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                v = new Verdict(gate.id(), gate.action(), Outcome.ERROR, "Gate " + gate.id() + " could not decide: " + message(e)
                        + ". Blocking: a gate that cannot decide fails closed.", List.of(), sqlState(e), 0);
            }
        }
        return v.withDuration((System.nanoTime() - t0) / 1_000_000);
    }

    private Verdict notify(MigrationRequest request, Verdict v) {
        for (GateListener l : listeners) {
            try {
                l.onVerdict(request, v);
            } catch (RuntimeException e) {
                LOG.warn("GateListener {} failed on {}: {}", l, v.gate(), Secrets.mask(e.getMessage()));
            }
        }
        return v;
    }

    private static Optional<Set<TableRef>> tablesOf(MigrationRequest request) {
        Set<TableRef> all = new LinkedHashSet<>();
        for (String s : request.statements()) {
            Optional<Set<TableRef>> t = TouchedTables.of(s);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            all.addAll(t.get());
        }
        return request.environmentOnly() && request.statements().isEmpty() ? Optional.empty() : Optional.of(all);
    }

    private static String message(Throwable e) {
        StringBuilder b = new StringBuilder();
        b.append(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip());
        if (e instanceof SQLException s && s.getSQLState() != null) {
            b.append(" (SQLSTATE ").append(s.getSQLState()).append(')');
            if ("57014".equals(s.getSQLState())) {
                b.append("; the probe exceeded its statement timeout");
            }
        }
        return Secrets.mask(b.toString());
    }

    private static Optional<String> sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return Optional.of(s.getSQLState());
            }
        }
        return Optional.empty();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}

package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.internal.Secrets;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.TopologyGate;
import dev.deployclaw.gates.core.report.GateReport;
import liquibase.Scope;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.ChangeExecListener;
import liquibase.changelog.visitor.DefaultChangeExecListener;
import liquibase.database.Database;
import liquibase.database.DatabaseConnection;
import liquibase.database.jvm.JdbcConnection;
import liquibase.executor.Executor;
import liquibase.executor.ExecutorService;
import liquibase.executor.LoggingExecutor;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * Gates every changeset before Liquibase runs it. In {@link #willRun(ChangeSet, DatabaseChangeLog, Database,
 * ChangeSet.RunStatus)} (never per change: a throw there would half-apply a non-transactional changeset, and
 * {@code failOnError="false"} would swallow it) it previews the SQL the changeset will send to this database, asks the
 * {@link SecurityAuditor}, and throws {@link GateBlockedException} (its message is the rendered report) when the gates
 * block. The update then stops before the changeset: earlier changesets stay applied and recorded, the blocked one gets
 * no {@code DATABASECHANGELOG} row, and Liquibase releases {@code DATABASECHANGELOGLOCK} in its finally block.
 *
 * <p>It is a {@link DefaultChangeExecListener}, so Liquibase's own bookkeeping (update summary, deployed changesets)
 * keeps working, and listeners passed to the constructor still receive every event.
 *
 * <p>Decisions:
 * <ul>
 *   <li>{@code failOnError="false"} does not soften a block: it tolerates the changeset's own SQL errors, not unsafe
 *       conditions. A blocked {@code failOnError="false"} changeset stops the update like any other.</li>
 *   <li>A change whose SQL exists only at run time is refused by default ({@link VolatileChanges}).</li>
 *   <li>The environment gates ({@code topology}, {@code replica-lag}) run before the first changeset of an update and
 *       again when {@link LiquibaseGateOptions#environmentRecheck()} has passed; every other gate runs before every
 *       changeset.</li>
 *   <li>Nothing is gated when Liquibase only writes SQL ({@code update-sql}): nothing reaches the database.</li>
 * </ul>
 *
 * Attach it with {@code Liquibase#setChangeExecListener}, the {@code CommandScope} argument {@code changeExecListener}
 * or {@code changeExecListenerClass} (this class, configured through {@code deployclaw.*} properties), or not at all:
 * {@link GateChangeExecListenerCommandStep} adds it to every update.
 */
public class GateChangeExecListener extends DefaultChangeExecListener {
    /** Gates that read the environment rather than the changeset's statements; see {@link LiquibaseGateOptions}. */
    static final Set<GateId> ENVIRONMENT_GATES = Set.of(TopologyGate.ID, ReplicaLagGate.ID);

    private final AuditorSource auditors;
    private final LiquibaseGateOptions options;
    private final Object lock = new Object();
    private Database lastDatabase;
    private long lastFullEvaluationNanos;
    private final Set<Connection> sessions = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    /** The probe of the migrator's worker when {@link LiquibaseEngine} runs the update (not closed here), or null. */
    private final GateSession lent;

    /** Gates with {@code auditor} and {@link LiquibaseGateOptions#defaults()}. */
    public GateChangeExecListener(SecurityAuditor auditor) {
        this(auditor, LiquibaseGateOptions.defaults());
    }

    /**
     * Gates with {@code auditor}; {@code next} listeners receive every event after the gate has passed (a blocked
     * changeset reaches none of them).
     */
    public GateChangeExecListener(SecurityAuditor auditor, LiquibaseGateOptions options, ChangeExecListener... next) {
        this(AuditorSource.of(auditor), options, next);
    }

    /**
     * For {@code changeExecListenerClass}: configured from {@code deployclaw.*} system properties and
     * {@code DEPLOYCLAW_*} environment variables (see {@code docs/liquibase.md}).
     */
    public GateChangeExecListener() {
        this((Properties) null);
    }

    /**
     * For {@code changeExecListenerClass} with {@code changeExecListenerPropertiesFile}: the file's {@code deployclaw.*}
     * entries, over system properties and environment variables.
     */
    public GateChangeExecListener(Database database, Properties properties) {
        this(properties);
    }

    /** Configured from {@code properties} (may be null) over system properties and environment variables. */
    public GateChangeExecListener(Properties properties) {
        this(PropertiesAuditorSource.load(properties));
    }

    private GateChangeExecListener(PropertiesAuditorSource source) {
        this(source, source.options());
    }

    GateChangeExecListener(AuditorSource auditors, LiquibaseGateOptions options, ChangeExecListener... next) {
        this(auditors, options, null, next);
    }

    /**
     * For {@link LiquibaseEngine}: evaluates on {@code lent}, the probe connection of the migrator's worker, when it
     * serves the auditor (it is the migrator's; this listener does not close it), so that a tenant's changesets do not
     * each take and prepare a probe of their own.
     */
    GateChangeExecListener(SecurityAuditor auditor, LiquibaseGateOptions options, GateSession lent) {
        this(AuditorSource.of(auditor), options, lent);
    }

    private GateChangeExecListener(AuditorSource auditors, LiquibaseGateOptions options, GateSession lent,
                                   ChangeExecListener... next) {
        super(next);
        this.auditors = Objects.requireNonNull(auditors, "auditors");
        this.options = Objects.requireNonNull(options, "options");
        this.lent = lent;
    }

    public LiquibaseGateOptions options() {
        return options;
    }

    @Override
    public void willRun(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
                        ChangeSet.RunStatus runStatus) {
        gate(changeSet, database);
        super.willRun(changeSet, databaseChangeLog, database, runStatus);
    }

    /** Liquibase calls this when an update starts: the next changeset gets a full evaluation again. */
    @Override
    public void reset() {
        super.reset();
        synchronized (lock) {
            lastDatabase = null;
        }
    }

    /**
     * Evaluates the gates for one changeset; returns the report, or empty when nothing was evaluated (SQL output
     * only, or a changeset with no SQL after the environment was already checked).
     *
     * @throws GateBlockedException            when the gates block
     * @throws UnpreviewableChangeSetException when a change's SQL cannot be previewed under {@link VolatileChanges#BLOCK}
     */
    Optional<GateReport> gate(ChangeSet changeSet, Database database) {
        String id = changeSet.toString(false);
        if (writesSqlOnly(database)) {
            log("changeset " + id + ": SQL output only, nothing reaches the database; gates not evaluated");
            return Optional.empty();
        }
        ChangeSetPreview preview;
        try {
            preview = ChangeSetPreview.of(changeSet, database, options.volatileChanges());
        } catch (RuntimeException e) {
            throw new UnpreviewableChangeSetException("Changeset " + id + ": could not generate the SQL it will run on "
                    + database.getShortName() + " (" + e + "). Blocking: the gates cannot judge SQL they cannot see.", e);
        }
        if (!preview.volatileNames().isEmpty() && options.volatileChanges() == VolatileChanges.BLOCK) {
            throw new UnpreviewableChangeSetException("Changeset " + id + ": " + String.join(", ", preview.volatileNames())
                    + " generates its SQL only while it runs (from a snapshot of the database), so the gates cannot see"
                    + " it in advance. Blocking (fail closed). Replace it with explicit changes, or set"
                    + " deployclaw.liquibase.volatileChanges=PREVIEW_AT_RUN_TIME to gate the statements it would generate"
                    + " from the database as it is just before the changeset.");
        }
        SecurityAuditor auditor = auditors.auditorFor(database);
        boolean full = fullEvaluationDue(database);
        String schema = database.getDefaultSchemaName();
        MigrationRequest.Builder request = MigrationRequest.builder()
                .description("Liquibase changeset " + id)
                .migrationVersion(id)
                .rollbackPlan(preview.rollbackPlan());
        if (schema != null) {
            request.schema(schema);
        }
        Optional<String> tenant = options.tenant().or(() -> auditor.config().tenantId()).or(() -> Optional.ofNullable(schema));
        tenant.ifPresent(request::tenant);
        Optional<Connection> session = session(database);
        session.ifPresent(request::session);
        session.ifPresent(sessions::add);
        if (preview.statements().isEmpty()) {
            if (!full) {
                log("changeset " + id + ": no SQL to gate, environment already checked");
                return Optional.empty();
            }
            request.environmentOnly(true);
        } else {
            request.statements(preview.statements());
        }
        SecurityAuditor evaluating = full ? auditor : statementGatesOf(auditor);
        GateReport report = lent != null && lent.serves(auditor.config()) ? evaluating.requireSafe(request.build(), lent)
                : evaluating.requireSafe(request.build());
        session.ifPresent(c -> keepSessionSettings(c, id));
        if (full) {
            markFullEvaluation(database);
        }
        log("changeset " + id + ": " + report.decision() + " (" + report.verdicts().size() + " gates, "
                + report.executionTimeMs() + " ms, " + report.executionId() + ")");
        return Optional.of(report);
    }

    /**
     * The transaction-isolation gate bounds the lock wait (and statement time) on Liquibase's own session, inside the
     * transaction Liquibase has open. {@code ChangeSet.execute} rolls that transaction back right before it runs the
     * changes, which would silently undo those settings, so they are committed here: at this point the transaction
     * holds nothing else (Liquibase commits after every changeset).
     */
    private static void keepSessionSettings(Connection session, String changeSet) {
        try {
            if (!session.getAutoCommit()) {
                session.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Changeset " + changeSet + ": could not commit the lock wait bound"
                    + " the gates set on the Liquibase session (" + Secrets.mask(String.valueOf(e.getMessage())) + ")."
                    + " Blocking: without it the DDL could queue behind a lock without limit.", e);
        }
    }

    /**
     * Resets what the gates set on the Liquibase sessions of this listener (lock wait bound, statement timeout, search
     * path) so a pooled connection goes back clean. The zero-wiring step calls it when the command ends; call it
     * yourself after {@code Liquibase#update} when the zero-wiring step is switched off and the connection is pooled.
     */
    public void resetSessions() {
        List<Connection> all;
        synchronized (sessions) {
            all = new ArrayList<>(sessions);
            sessions.clear();
        }
        for (Connection c : all) {
            try {
                if (c.isClosed()) {
                    continue;
                }
                Dialects.forKind(Dialects.detectKind(c)).resetMigrationSession(c);
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            } catch (SQLException | RuntimeException e) {
                log("could not reset the Liquibase session after the update: " + Secrets.mask(String.valueOf(e.getMessage())));
            }
        }
    }

    private static SecurityAuditor statementGatesOf(SecurityAuditor auditor) {
        List<Gate> perChangeSet = auditor.gates().stream().filter(g -> !ENVIRONMENT_GATES.contains(g.id())).toList();
        return perChangeSet.isEmpty() ? auditor : auditor.withGates(perChangeSet);
    }

    private boolean fullEvaluationDue(Database database) {
        synchronized (lock) {
            return lastDatabase != database
                    || System.nanoTime() - lastFullEvaluationNanos >= options.environmentRecheck().toNanos();
        }
    }

    private void markFullEvaluation(Database database) {
        synchronized (lock) {
            lastDatabase = database;
            lastFullEvaluationNanos = System.nanoTime();
        }
    }

    /** The JDBC connection Liquibase runs the changeset on: its own session is never a blocker. */
    static Optional<Connection> session(Database database) {
        DatabaseConnection c = database.getConnection();
        if (c instanceof JdbcConnection jdbc && jdbc.getUnderlyingConnection() != null) {
            return Optional.of(jdbc.getUnderlyingConnection());
        }
        return Optional.empty();
    }

    private static boolean writesSqlOnly(Database database) {
        Executor executor = Scope.getCurrentScope().getSingleton(ExecutorService.class).getExecutor("jdbc", database);
        return executor instanceof LoggingExecutor;
    }

    /** The gate listeners {@code listener} is or (through {@link DefaultChangeExecListener}s) contains. */
    static List<GateChangeExecListener> gatesIn(ChangeExecListener listener) {
        List<GateChangeExecListener> out = new ArrayList<>();
        collect(listener, out, 0);
        return out;
    }

    private static void collect(ChangeExecListener listener, List<GateChangeExecListener> out, int depth) {
        if (listener == null || depth > 16) {
            return;
        }
        if (listener instanceof GateChangeExecListener g) {
            out.add(g);
        }
        if (listener instanceof DefaultChangeExecListener d) {
            for (ChangeExecListener inner : d.getListeners()) {
                if (inner != listener) {
                    collect(inner, out, depth + 1);
                }
            }
        }
    }

    private static void log(String message) {
        Scope.getCurrentScope().getLog(GateChangeExecListener.class).info("deployclaw: " + message);
    }
}

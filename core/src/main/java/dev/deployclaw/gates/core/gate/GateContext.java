package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.dialect.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a gate may read: the configuration, the request, the dialect, the probe connection to the primary (its
 * queries bounded by the probe timeout), and what the statements touch. The probe is opened on first use, so a gate
 * that decides from the statements alone costs no round trip.
 */
public final class GateContext {
    /** Opens (once) the gate engine's own connection to the primary. */
    @FunctionalInterface
    public interface ProbeSource {
        Connection get() throws SQLException;
    }

    /** Sessions that belong to the migration itself, read on first use. */
    @FunctionalInterface
    public interface SessionSource {
        List<Long> get() throws SQLException;
    }

    private final AuditorConfig config;
    private final MigrationRequest request;
    private final Dialect dialect;
    private final ProbeSource probe;
    private final String defaultSchema;
    private final Optional<Set<TableRef>> tables;
    private final SessionSource excluded;
    private final SharedActivity sharedActivity;
    private List<Long> excludedPids;

    /**
     * @param config        the auditor's configuration
     * @param request       what is about to run
     * @param dialect       SQL of the database family
     * @param probe         the gate engine's own connection to the primary
     * @param defaultSchema the schema unqualified table names resolve to
     * @param tables        the tables the statements touch; empty when a statement's form is not understood, in which
     *                      case gates must assume every table of {@code defaultSchema} may be touched
     * @param excludedPids  sessions that belong to the migration itself (its own locks are not blockers)
     */
    public GateContext(AuditorConfig config, MigrationRequest request, Dialect dialect, Connection probe,
                       String defaultSchema, Optional<Set<TableRef>> tables, List<Long> excludedPids) {
        this(config, request, dialect, probeOf(probe), defaultSchema, tables, sessionsOf(excludedPids));
    }

    /** As above, with the probe and the migration's own sessions read only when a gate asks for them. */
    public GateContext(AuditorConfig config, MigrationRequest request, Dialect dialect, ProbeSource probe,
                       String defaultSchema, Optional<Set<TableRef>> tables, SessionSource excludedPids) {
        this(config, request, dialect, probe, defaultSchema, tables, excludedPids, null);
    }

    /** As above, with lock checks answered from {@code sharedActivity} where they can be (null: none). */
    public GateContext(AuditorConfig config, MigrationRequest request, Dialect dialect, ProbeSource probe,
                       String defaultSchema, Optional<Set<TableRef>> tables, SessionSource excludedPids,
                       SharedActivity sharedActivity) {
        this.config = Objects.requireNonNull(config, "config");
        this.request = Objects.requireNonNull(request, "request");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.defaultSchema = Objects.requireNonNull(defaultSchema, "defaultSchema");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.excluded = Objects.requireNonNull(excludedPids, "excludedPids");
        this.sharedActivity = sharedActivity;
    }

    private static ProbeSource probeOf(Connection c) {
        Objects.requireNonNull(c, "probe");
        return () -> c;
    }

    private static SessionSource sessionsOf(List<Long> pids) {
        List<Long> copy = List.copyOf(pids);
        return () -> copy;
    }

    public AuditorConfig config() {
        return config;
    }

    public MigrationRequest request() {
        return request;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** The gate engine's own connection to the primary, opened (with the probe timeout in force) on first use. */
    public Connection probe() throws SQLException {
        return probe.get();
    }

    /**
     * The connection on which this migration's tables look as they will when it runs: the tool's session when the
     * migration shares an open transaction with earlier migrations of its run (what they created is visible, and what
     * they changed is locked, there only: a probe would not find those tables, or would wait for their locks);
     * otherwise the probe. On the session, the bounds that {@code transaction-isolation} put in force apply.
     */
    public Connection catalog() throws SQLException {
        if (request.sharedTransaction() && request.session().isPresent()) {
            return request.session().get();
        }
        return probe();
    }

    public String defaultSchema() {
        return defaultSchema;
    }

    public Optional<Set<TableRef>> tables() {
        return tables;
    }

    /** Sessions that belong to the migration itself (its own locks are not blockers). */
    public synchronized List<Long> excludedPids() throws SQLException {
        if (excludedPids == null) {
            excludedPids = List.copyOf(excluded.get());
        }
        return excludedPids;
    }

    /**
     * The activity snapshot shared by the tenants of a run, when the auditor has one ({@code
     * SecurityAuditor.withSharedActivity}) and the dialect can read one; read through this context's probe when stale.
     */
    public Optional<dev.deployclaw.gates.core.dialect.ActivitySnapshot> sharedActivity() throws SQLException {
        return sharedActivity == null ? Optional.empty() : sharedActivity.get(config.dataSource(), dialect, probe);
    }

    /**
     * The primary's recovery point for the configured limits: from the run's shared read when the auditor has one,
     * else read now through the probe.
     */
    public dev.deployclaw.gates.core.dialect.RecoveryPoint recoveryPoint() throws SQLException {
        return sharedActivity == null
                ? dialect.recoveryPoint(probe(), config.maxArchiveAge(), config.minBinlogRetention())
                : sharedActivity.recoveryPoint(config.dataSource(), dialect, probe, config.maxArchiveAge(), config.minBinlogRetention());
    }

    /** The isolation level required for this request: the request's own, else the configured one. */
    public dev.deployclaw.gates.core.IsolationLevel requiredIsolation() {
        return request.isolationLevel().orElse(config.requiredIsolation());
    }

    /** Who is being migrated, for messages: {@code tenant acme (schema tenant_acme)}. */
    public String target() {
        return request.tenant().map(t -> "tenant " + t + " (schema " + defaultSchema + ")").orElse("schema " + defaultSchema);
    }
}

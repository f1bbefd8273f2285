package dev.deployclaw.gates.flyway;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.GateProperties;
import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.ddl.SqlParseException;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.gate.FlywayConfigGate;
import dev.deployclaw.gates.core.internal.Identifiers;
import dev.deployclaw.gates.core.internal.UrlDataSource;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.Configuration;
import org.flywaydb.core.api.configuration.FluentConfiguration;

import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.TopologyGate;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A Flyway {@link Callback} that lets no migration start unless every gate passes:
 * <ul>
 *   <li>{@code beforeMigrate}: the environment gates (replica lag, locks and old transactions on the schema,
 *       isolation, recovery point) for the schema being migrated;</li>
 *   <li>{@code beforeEachMigrate}: the statement-level gates for the pending migration's SQL, read through Flyway's
 *       configured locations with placeholders replaced ({@code ddl-risk}), its rollback plan (an undo script
 *       {@code U<version>__*.sql} beside it, or a {@code -- deployclaw:roll-forward-only <reason>} line in it), the
 *       lock wait bound of Flyway's migration session ({@code transaction-isolation}), and any gate the registry holds
 *       besides the built-in ones. The environment gates ({@code topology}, {@code replica-lag}, {@code table-lock})
 *       and the recovery point run again before a migration once the environment recheck interval (default
 *       {@link #ENVIRONMENT_RECHECK}) has passed since they last ran; until then a lock taken mid-run is met by the
 *       session's {@code lock_timeout}, which makes the DDL fail fast instead of queueing.</li>
 * </ul>
 * A block throws {@link GateBlockedException} (the rendered report is its message); Flyway wraps it in a
 * {@code FlywayException}, the migration does not start and no history row is written. Statement-level events
 * are never used to block: a throw there would half-apply the migration.
 *
 * <p>Register it with {@link #register(FluentConfiguration, Callback)} (appends), by class name through Flyway's
 * {@code callbacks} property (the no-arg constructor reads {@code deployclaw.*} from Flyway placeholders, system
 * properties and {@code DEPLOYCLAW_*} environment variables, see {@link GateProperties}), as a Spring bean, or not at
 * all: {@link AutoGateCallback} does it when the jar is on the classpath.
 */
public final class GateCallback implements Callback {
    public static final String NAME = "deployclaw-gates";
    /**
     * Gates that read the environment rather than a migration's statements. They run at {@code beforeMigrate}; before
     * each migration they run again only once the environment recheck interval has passed since they last ran.
     */
    static final Set<GateId> ENVIRONMENT_GATES = Set.of(TopologyGate.ID, ReplicaLagGate.ID, TableLockGate.ID);
    /** How long an environment check at {@code beforeMigrate} serves the migrations of the same run, by default. */
    public static final Duration ENVIRONMENT_RECHECK = Duration.ofMinutes(1);
    /** The property that overrides {@link #ENVIRONMENT_RECHECK} ({@code 0} = every gate before every migration). */
    public static final String ENVIRONMENT_RECHECK_PROPERTY = "flyway.environmentRecheck";
    /** When this thread's run last evaluated every gate (Flyway runs one migrate on one thread). */
    private static final ThreadLocal<Long> LAST_FULL_EVALUATION = new ThreadLocal<>();

    private final SecurityAuditor fixedAuditor;
    private final Optional<String> tenant;
    private final ScriptCatalogCache catalogs;
    private final Duration environmentRecheck;
    /** A probe connection lent by the caller for this callback's runs (the migrator's worker), or null: not closed here. */
    private final GateSession lent;
    /** The gates' probe connection for the Flyway run on this thread, from {@code beforeMigrate} to its end. */
    private final ThreadLocal<GateSession> session = new ThreadLocal<>();
    /**
     * The migration connection whose isolation and lock bound the last migration's check found in force, while the
     * statements of that migration set no session setting (then the next check need not read them again).
     */
    private final ThreadLocal<Connection> boundsCheckedOn = new ThreadLocal<>();
    /** A statement that may change a session setting (conservative: any SET, RESET, set_config or DISCARD). */
    private static final java.util.regex.Pattern SESSION_SETTING =
            java.util.regex.Pattern.compile("(?i)\\b(set|reset|set_config|discard)\\b");
    /** What this thread's Flyway run reads of its configuration, read at its first event (see {@link RunSettings}). */
    private final ThreadLocal<RunSettings> run = new ThreadLocal<>();
    private volatile Built built;

    /**
     * The configuration as this callback uses it, read once per Flyway run instead of at every event: Flyway 13's
     * getters rebuild what they return (locations are parsed again on each call), and the gated events of a
     * five-migration run asked for them about twenty times.
     */
    private record RunSettings(Configuration cfg, Built gates, SecurityAuditor statementGates,
                               MigrationScripts.Settings scripts, Optional<Boolean> transactionalLock, Optional<String> schema,
                               boolean group) {
    }

    /** The auditor and recheck interval in force: fixed, or built from {@code deployclaw.*} properties (then cached). */
    private record Built(DataSource dataSource, GateProperties properties, SecurityAuditor auditor, Duration recheck) {
    }

    /** For Flyway's {@code callbacks} property: configuration from {@code deployclaw.*} properties, see {@link GateProperties}. */
    public GateCallback() {
        this(null, null, new ScriptCatalogCache(), null, null);
    }

    /** Gates with {@code auditor}'s configuration. */
    public GateCallback(SecurityAuditor auditor) {
        this(Objects.requireNonNull(auditor, "auditor"), null, new ScriptCatalogCache(), null, null);
    }

    GateCallback(SecurityAuditor auditor, String tenant, ScriptCatalogCache catalogs, Duration environmentRecheck,
                 GateSession lent) {
        this.fixedAuditor = auditor;
        this.tenant = Optional.ofNullable(tenant).map(t -> Identifiers.requireValidName("tenant", t));
        this.catalogs = catalogs;
        this.environmentRecheck = environmentRecheck;
        this.lent = lent;
    }

    /** A copy that names {@code tenant} in its reports. */
    public GateCallback forTenant(String tenant) {
        return new GateCallback(fixedAuditor, tenant, catalogs, environmentRecheck, lent);
    }

    /**
     * A copy whose environment gates ({@code topology}, {@code replica-lag}, {@code table-lock}, the recovery point)
     * run again before a migration once {@code recheck} has passed since they last ran in the same Flyway run.
     * Default {@link #ENVIRONMENT_RECHECK}, or the {@code deployclaw.flyway.environmentRecheck} property for the
     * no-argument constructor; {@link Duration#ZERO} evaluates every gate before every migration.
     */
    public GateCallback environmentRecheck(Duration recheck) {
        return new GateCallback(fixedAuditor, tenant.orElse(null), catalogs, checkRecheck("environmentRecheck", recheck), lent);
    }

    static Duration checkRecheck(String name, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be zero or positive, but was " + d);
        }
        return d;
    }

    /**
     * Appends {@code callback} to the callbacks already configured ({@code FluentConfiguration.callbacks(...)}
     * replaces them).
     */
    public static FluentConfiguration register(FluentConfiguration cfg, Callback callback) {
        Callback[] existing = cfg.getCallbacks();
        Callback[] all = Arrays.copyOf(existing, existing.length + 1);
        all[existing.length] = Objects.requireNonNull(callback, "callback");
        return cfg.callbacks(all);
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.BEFORE_MIGRATE || event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_MIGRATE
                || event == Event.AFTER_MIGRATE_ERROR;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        if (!supports(event, context)) {
            return;
        }
        if (event == Event.AFTER_MIGRATE || event == Event.AFTER_MIGRATE_ERROR) {
            closeSession();
            return;
        }
        Configuration cfg = context.getConfiguration();
        Connection connection = context.getConnection();
        if (event == Event.BEFORE_MIGRATE) {
            closeSession(); // a run on this thread that ended without its after-event
        }
        try {
            RunSettings settings = settings(cfg);
            SecurityAuditor auditor = settings.gates().auditor();
            Duration recheck = settings.gates().recheck();
            DatabaseKind kind = Dialects.detectKind(connection);
            String schema = settings.schema().isPresent() ? settings.schema().get()
                    : auditor.dialect(connection).currentSchema(connection);
            MigrationRequest.Builder b = event == Event.BEFORE_MIGRATE ? runRequest(schema, tenant, settings.scripts().table())
                    : schemaRequest(schema, tenant, settings.scripts().table());
            b.session(connection);
            if (kind == DatabaseKind.POSTGRESQL) {
                settings.transactionalLock().ifPresent(lock -> b.attribute(FlywayConfigGate.TRANSACTIONAL_LOCK, String.valueOf(lock)));
            }
            boolean full = event == Event.BEFORE_MIGRATE || fullEvaluationDue(recheck);
            if (event != Event.BEFORE_MIGRATE) {
                describeMigration(b, settings.scripts(), context.getMigrationInfo(), connection, schema, kind);
                // with Flyway's group, the migrations of the run share one transaction on this connection: the tables that
                // earlier ones created are visible, and locked, there only
                b.environmentChecked(!full).sessionChecked(boundsCheckedOn.get() == connection).sharedTransaction(settings.group());
            }
            MigrationRequest request = b.build();
            (full ? auditor : settings.statementGates()).requireSafe(request, session(auditor));
            if (full) {
                LAST_FULL_EVALUATION.set(System.nanoTime());
            }
            // passed: this connection's bounds are in force; they stay so across the migration unless it sets something
            boolean neutral = event == Event.BEFORE_EACH_MIGRATE && !request.statements().isEmpty()
                    && request.statements().stream().noneMatch(st -> SESSION_SETTING.matcher(st).find());
            if (neutral) {
                boundsCheckedOn.set(connection);
            } else {
                boundsCheckedOn.remove();
            }
        } catch (SQLException e) {
            closeSession();
            throw new IllegalStateException("DeployClaw gates could not read Flyway's connection: " + e.getMessage()
                    + " (SQLSTATE " + e.getSQLState() + "). Blocking: a gate that cannot decide fails closed.", e);
        } catch (RuntimeException e) {
            closeSession(); // blocked: Flyway stops the run
            throw e;
        }
    }

    /**
     * The request of a run's {@code beforeMigrate} for {@code schema}, before the connection is known: what
     * {@link FlywayEngine#environmentRequest} hands the migrator, so that its check in advance matches this callback's.
     */
    static MigrationRequest.Builder runRequest(String schema, Optional<String> tenant, String table) {
        return schemaRequest(schema, tenant, table).environmentOnly(true).description("Flyway migrate of schema " + schema);
    }

    /** What every request of a Flyway run for {@code schema} says: the schema, the tenant, Flyway's history table. */
    private static MigrationRequest.Builder schemaRequest(String schema, Optional<String> tenant, String table) {
        MigrationRequest.Builder b = MigrationRequest.builder().schema(schema);
        if (table != null && !table.isBlank()) {
            b.toolTable(table);
        }
        tenant.ifPresent(b::tenant);
        return b;
    }

    /** This thread's session for {@code auditor}, opened on first use. */
    private GateSession session(SecurityAuditor auditor) {
        if (lent != null && lent.serves(auditor.config())) {
            return lent;
        }
        GateSession s = session.get();
        if (s != null && !s.serves(auditor.config())) {
            closeSession();
            s = null;
        }
        if (s == null) {
            s = auditor.openSession();
            session.set(s);
        }
        return s;
    }

    /** Gives back the probe connection of this thread's run, if any (also when Flyway ended the run some other way). */
    void closeSession() {
        boundsCheckedOn.remove();
        run.remove();
        GateSession s = session.get();
        if (s != null) {
            session.remove();
            s.close();
        }
    }

    @Override
    public String getCallbackName() {
        return NAME;
    }

    /** This thread's run settings for {@code cfg}, read at the run's first event. */
    private RunSettings settings(Configuration cfg) {
        RunSettings s = run.get();
        if (s == null || s.cfg() != cfg) {
            Built gates = gates(cfg);
            s = new RunSettings(cfg, gates, statementGatesOf(gates.auditor()), MigrationScripts.Settings.of(cfg, catalogs.get(cfg)),
                    transactionalLock(cfg), configuredSchema(cfg), cfg.isGroup());
            run.set(s);
        }
        return s;
    }

    private void describeMigration(MigrationRequest.Builder b, MigrationScripts.Settings cfg, MigrationInfo mi, Connection session,
                                   String schema, DatabaseKind kind) throws SQLException {
        String version = mi.getVersion() == null ? "R" : mi.getVersion().getVersion();
        b.migrationVersion(version).description("Flyway migration " + version + " (" + mi.getDescription() + ") of schema "
                + schema);
        Optional<String> sql = MigrationScripts.sql(cfg, mi, session, schema);
        if (sql.isEmpty() || sql.get().isBlank()) {
            // a Java migration (or a script outside readable locations): its SQL cannot be read, so every table of
            // the schema counts as touched and no rollback plan is asked for
            b.environmentOnly(true).description("Flyway migration " + version + " (" + mi.getDescription() + ", "
                    + mi.getScript() + ": SQL not readable, checked as touching the whole schema) of schema " + schema);
            return;
        }
        try {
            b.operation(sql.get(), kind);
        } catch (SqlParseException e) {
            // SQL the gates cannot split is SQL nobody has checked: it must not run (fail closed), and the message
            // names the script so the fix is obvious
            throw new SqlParseException("DeployClaw gates could not read migration " + version + " (" + mi.getScript()
                    + ") of schema " + schema + ": " + e.getMessage() + ". Blocking: SQL the gates cannot read does not run;"
                    + " fix the script.");
        }
        if (mi.getVersion() == null) {
            b.rollbackValidation(false);
        } else {
            b.rollbackPlan(MigrationScripts.rollbackPlan(cfg, mi, sql.get()));
        }
    }

    private static boolean fullEvaluationDue(Duration recheck) {
        Long last = LAST_FULL_EVALUATION.get();
        return last == null || System.nanoTime() - last >= recheck.toNanos();
    }

    private static SecurityAuditor statementGatesOf(SecurityAuditor auditor) {
        List<Gate> perMigration = auditor.gates().stream().filter(g -> !ENVIRONMENT_GATES.contains(g.id())).toList();
        return perMigration.isEmpty() ? auditor : auditor.withGates(perMigration);
    }

    private Built gates(Configuration cfg) {
        if (fixedAuditor != null) {
            return new Built(null, null, fixedAuditor, environmentRecheck != null ? environmentRecheck : ENVIRONMENT_RECHECK);
        }
        DataSource ds = cfg.getDataSource() != null ? cfg.getDataSource()
                : new UrlDataSource(cfg.getUrl(), cfg.getUser(), cfg.getPassword());
        Map<String, String> fromFlyway = new LinkedHashMap<>();
        cfg.getPlaceholders().forEach((k, v) -> {
            if (k.startsWith(GateProperties.PREFIX)) {
                fromFlyway.put(k, v);
            }
        });
        GateProperties props = GateProperties.fromSystem().with(fromFlyway);
        Built b = built;
        if (b == null || b.dataSource() != ds || !b.properties().equals(props)) {
            Duration recheck = environmentRecheck != null ? environmentRecheck : props.get(ENVIRONMENT_RECHECK_PROPERTY)
                    .map(v -> checkRecheck(GateProperties.PREFIX + ENVIRONMENT_RECHECK_PROPERTY,
                            GateProperties.duration(ENVIRONMENT_RECHECK_PROPERTY, v))).orElse(ENVIRONMENT_RECHECK);
            b = new Built(ds, props, new SecurityAuditor(props.toConfig(ds)), recheck);
            built = b;
        }
        return b;
    }

    /** The schema Flyway migrates when one is configured; otherwise the connection's current schema is asked. */
    private static Optional<String> configuredSchema(Configuration cfg) {
        if (cfg.getDefaultSchema() != null) {
            return Optional.of(cfg.getDefaultSchema());
        }
        if (cfg.getSchemas() != null && cfg.getSchemas().length > 0) {
            return Optional.of(cfg.getSchemas()[0]);
        }
        return Optional.empty();
    }

    /** Flyway's {@code postgresql.transactional.lock}, when the PostgreSQL support is on the classpath. */
    private static Optional<Boolean> transactionalLock(Configuration cfg) {
        try {
            var ext = cfg.getConfigurationExtension(org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension.class);
            return ext == null ? Optional.empty() : Optional.of(ext.isTransactionalLock());
        } catch (NoClassDefFoundError e) {
            return Optional.empty();
        }
    }
}

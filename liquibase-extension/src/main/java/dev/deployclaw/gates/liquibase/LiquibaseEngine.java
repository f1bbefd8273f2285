package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantState;
import liquibase.Scope;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.ChangeExecListenerCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Liquibase for the multi-tenant migrator: one {@code update} of one changelog per tenant, with a
 * {@link GateChangeExecListener} on the tenant's auditor. Schema per tenant: the tenant's schema is Liquibase's
 * {@code defaultSchemaName} and {@code liquibaseSchemaName}, so each tenant has its own {@code DATABASECHANGELOG} and
 * {@code DATABASECHANGELOGLOCK}. Database per tenant: the tenant's own {@code DataSource} is used, else the engine's.
 *
 * <p>Versions are changeset ids: the current version is the id of the last changeset recorded, the target the id of
 * the changelog's last changeset. {@link #inspect(Tenant)} reads {@code DATABASECHANGELOG} with a plain query: no
 * lock, no DDL (Liquibase's own status commands create the tracking tables).
 *
 * <p>Thread-safe: the changelog is parsed once for {@code inspect}; each {@code migrate} runs its own Liquibase
 * {@code update} (Liquibase parses the changelog per run, since a run's filters modify its changesets). Updates run
 * one at a time per JVM, because Liquibase's process-wide executor and lock-service registries are not safe for
 * concurrent updates; with the migrator's parallelism above 1, tenants still overlap in everything else.
 */
public final class LiquibaseEngine implements MigrationEngine {
    /** Serialises Liquibase updates within the JVM (see {@link #migrate}). */
    private static final Object LIQUIBASE_UPDATES = new Object();
    private final DataSource dataSource;
    private final String changelog;
    private final ResourceAccessor resources;
    private final LiquibaseGateOptions options;
    private volatile List<ChangeSetKey> changeSets;

    /** Changelog {@code changelog} read from the classpath, default options. */
    public LiquibaseEngine(DataSource dataSource, String changelog) {
        this(dataSource, changelog, new ClassLoaderResourceAccessor(), LiquibaseGateOptions.defaults());
    }

    public LiquibaseEngine(DataSource dataSource, String changelog, ResourceAccessor resources, LiquibaseGateOptions options) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        if (changelog == null || changelog.isBlank()) {
            throw new IllegalArgumentException("changelog must be a changelog file path, but was '" + changelog + "'");
        }
        this.changelog = changelog;
        this.resources = Objects.requireNonNull(resources, "resources");
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public String name() {
        return "liquibase";
    }

    @Override
    public TenantState inspect(Tenant tenant) throws Exception {
        List<ChangeSetKey> all = changeSets();
        try (Connection c = dataSourceOf(tenant).getConnection()) {
            List<ChangeSetKey> ran = ran(c, tenant.schema());
            Set<ChangeSetKey> done = new HashSet<>(ran);
            int pending = (int) all.stream().filter(k -> !done.contains(k)).count();
            return new TenantState(ran.isEmpty() ? Optional.empty() : Optional.of(ran.get(ran.size() - 1).id()),
                    all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1).id()), pending);
        }
    }

    @Override
    public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor) throws Exception {
        return migrate(tenant, auditor, null);
    }

    /**
     * Migrates {@code tenant} with the gates on the migrator worker's probe connection (not closed here): the
     * changesets' evaluations share it instead of each taking and preparing a probe.
     */
    @Override
    public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor, GateSession session) throws Exception {
        Objects.requireNonNull(auditor, "auditor");
        Optional<String> before = inspect(tenant).currentVersion();
        GateChangeExecListener listener = new GateChangeExecListener(auditor,
                options.toBuilder().tenant(tenant.id()).build(), session);
        Connection c = dataSourceOf(tenant).getConnection();
        Database database;
        try {
            if (isMySqlFamily(c)) {
                // a MySQL "schema" is a database: raw SQL in a changeset runs in the connection's current database
                c.setCatalog(tenant.schema());
            }
            database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
        } catch (Exception e) {
            c.close();
            throw e;
        }
        try {
            database.setDefaultSchemaName(tenant.schema());
            database.setLiquibaseSchemaName(tenant.schema());
            // Liquibase 4.33 caches executors and lock services per Database in process-wide registries; two updates
            // running at once in one JVM were seen releasing the wrong tenant's DATABASECHANGELOGLOCK (1 of 20 tenants
            // left locked at parallelism 2). Updates therefore run one at a time; the migrator's gates stay parallel.
            synchronized (LIQUIBASE_UPDATES) {
                Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), resources), () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                        .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                        .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, changelog)
                        .addArgumentValue(ChangeExecListenerCommandStep.CHANGE_EXEC_LISTENER_ARG, listener)
                        .execute());
            }
        } finally {
            try {
                // the gates bound the session's lock wait and statement time; a pooled connection must not keep them
                listener.resetSessions();
            } finally {
                database.close();
            }
        }
        Optional<String> after = inspect(tenant).currentVersion();
        return new MigrationResult(before, after, listener.getDeployedChangeSets().size());
    }

    private DataSource dataSourceOf(Tenant tenant) {
        return tenant.dataSource().orElse(dataSource);
    }

    private List<ChangeSetKey> changeSets() throws Exception {
        List<ChangeSetKey> keys = changeSets;
        if (keys == null) {
            synchronized (this) {
                if (changeSets == null) {
                    changeSets = Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), resources), () -> {
                        DatabaseChangeLog log = ChangeLogParserFactory.getInstance().getParser(changelog, resources)
                                .parse(changelog, new ChangeLogParameters(), resources);
                        List<ChangeSetKey> out = new ArrayList<>();
                        for (ChangeSet cs : log.getChangeSets()) {
                            out.add(new ChangeSetKey(cs.getId(), cs.getAuthor(), cs.getFilePath()));
                        }
                        return List.copyOf(out);
                    });
                }
                keys = changeSets;
            }
        }
        return keys;
    }

    /** The changesets recorded in the tenant's DATABASECHANGELOG, in execution order; empty when it has none yet. */
    private static List<ChangeSetKey> ran(Connection c, String schema) throws SQLException {
        Dialect dialect = Dialects.forKind(Dialects.detectKind(c));
        List<ChangeSetKey> out = new ArrayList<>();
        // unquoted: PostgreSQL folds it to Liquibase's lower-case table, MySQL keeps Liquibase's upper case
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id, author, filename from "
                + dialect.quote(schema) + ".DATABASECHANGELOG order by orderexecuted")) {
            while (rs.next()) {
                out.add(new ChangeSetKey(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        } catch (SQLException e) {
            // no history table (or schema) yet: nothing ran. Anything else (e.g. no privilege) is a real failure.
            if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState()) || "42S02".equals(e.getSQLState())) {
                return List.of();
            }
            throw e;
        }
        return out;
    }

    @Override
    public String toString() {
        return "LiquibaseEngine[" + changelog + "]";
    }

    private record ChangeSetKey(String id, String author, String filePath) {
    }

    private static boolean isMySqlFamily(Connection c) throws java.sql.SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
        return product.contains("mysql") || product.contains("mariadb");
    }
}

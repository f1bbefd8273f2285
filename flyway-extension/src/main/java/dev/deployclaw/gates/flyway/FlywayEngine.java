package dev.deployclaw.gates.flyway;

import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantState;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.configuration.Configuration;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.migration.JavaMigration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.internal.scanner.Scanner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Flyway as a {@link MigrationEngine}: one Flyway instance per tenant schema ({@code schemas(s).defaultSchema(s)}, so
 * each tenant has its own history table and lock), built from one base configuration. The migration resources are
 * scanned once and shared by every tenant (Flyway's {@code resourceProvider} / {@code javaMigrationClassProvider}),
 * and so is the gates' script catalog.
 *
 * <pre>{@code
 * FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/tenant"))
 *         .transactionalLock(false)   // only needed for CREATE INDEX CONCURRENTLY migrations
 *         .build();
 * }</pre>
 */
public final class FlywayEngine implements MigrationEngine {
    private static final Logger LOG = LoggerFactory.getLogger(FlywayEngine.class);

    private final FluentConfiguration base;
    private final Optional<Boolean> transactionalLock;
    private final java.time.Duration environmentRecheck;
    private final Scanner<JavaMigration> scanner;
    private final ScriptCatalogCache catalogs = new ScriptCatalogCache();

    private FlywayEngine(Builder b) {
        this.base = b.base;
        this.transactionalLock = Optional.ofNullable(b.transactionalLock);
        this.environmentRecheck = b.environmentRecheck;
        this.scanner = scan(base);
    }

    /** Starts from {@code base}: data source, locations, placeholders, callbacks... The schemas are set per tenant. */
    public static Builder builder(FluentConfiguration base) {
        return new Builder(base);
    }

    @Override
    public String name() {
        return "flyway";
    }

    @Override
    public TenantState inspect(Tenant tenant) {
        MigrationInfoService info = flyway(tenant, null).info();
        MigrationInfo current = info.current();
        MigrationInfo[] pending = info.pending();
        Optional<String> currentVersion = Optional.ofNullable(current).map(MigrationInfo::getVersion).map(Object::toString);
        Optional<String> target = pending.length == 0 ? currentVersion
                : Arrays.stream(pending).map(MigrationInfo::getVersion).filter(Objects::nonNull).reduce((a, b) -> b)
                .map(Object::toString).or(() -> currentVersion);
        return new TenantState(currentVersion, target, pending.length);
    }

    /**
     * Reads the history tables of many tenant schemas in few queries (one per 200 schemas of a database) instead of
     * one Flyway {@code info()} per tenant. Falls back to {@code info()} per tenant when the migration set has
     * repeatable or non-SQL-versioned subtleties it does not model: repeatable migrations, {@code outOfOrder},
     * a {@code target}, or a failed history row.
     */
    @Override
    public Map<String, TenantState> inspectAll(List<Tenant> tenants) throws Exception {
        Map<String, TenantState> out = new LinkedHashMap<>();
        if (tenants.isEmpty()) {
            return out;
        }
        MigrationInfo[] all = flyway(tenants.get(0), null).info().all();
        List<MigrationVersion> resolved = new ArrayList<>();
        for (MigrationInfo mi : all) {
            if (mi.getVersion() == null) {
                return MigrationEngine.super.inspectAll(tenants);
            }
            if (mi.getState().isResolved()) {
                resolved.add(mi.getVersion());
            }
        }
        if (base.isOutOfOrder() || (base.getTarget() != null && base.getTarget() != MigrationVersion.LATEST)) {
            return MigrationEngine.super.inspectAll(tenants);
        }
        resolved.sort(null);
        Optional<String> target = resolved.isEmpty() ? Optional.empty() : Optional.of(resolved.get(resolved.size() - 1).toString());
        Map<DataSource, List<Tenant>> byDatabase = new LinkedHashMap<>();
        for (Tenant t : tenants) {
            byDatabase.computeIfAbsent(t.dataSource().orElse(base.getDataSource()), k -> new ArrayList<>()).add(t);
        }
        for (Map.Entry<DataSource, List<Tenant>> e : byDatabase.entrySet()) {
            Map<String, List<String[]>> rows = HistoryReader.read(e.getKey(), e.getValue().stream().map(Tenant::schema).toList(),
                    base.getTable());
            for (Tenant t : e.getValue()) {
                List<String[]> history = rows.get(t.schema());
                if (history == null) {
                    out.put(t.id(), new TenantState(Optional.empty(), target, resolved.size()));
                    continue;
                }
                MigrationVersion current = null;
                boolean failed = false;
                for (String[] r : history) {
                    failed |= !Boolean.parseBoolean(r[1]);
                    if (r[0] != null) {
                        MigrationVersion v = MigrationVersion.fromVersion(r[0]);
                        current = current == null || v.isNewerThan(current) ? v : current;
                    }
                }
                if (failed) {
                    out.put(t.id(), inspect(t));
                    continue;
                }
                MigrationVersion cur = current;
                int pending = (int) resolved.stream().filter(v -> cur == null || v.isNewerThan(cur)).count();
                out.put(t.id(), new TenantState(Optional.ofNullable(cur).map(Object::toString), target.or(() ->
                        Optional.ofNullable(cur).map(Object::toString)), pending));
            }
        }
        return out;
    }

    @Override
    public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor) {
        return migrate(tenant, auditor, null);
    }

    /** Migrates {@code tenant} with the gates on the migrator worker's probe connection (not closed here). */
    @Override
    public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor, GateSession session) {
        Objects.requireNonNull(auditor, "auditor");
        GateCallback gate = new GateCallback(auditor, tenant.id(), catalogs, environmentRecheck, session);
        MigrateResult r;
        try {
            r = flyway(tenant, gate).migrate();
        } finally {
            gate.closeSession();
        }
        return new MigrationResult(Optional.ofNullable(r.initialSchemaVersion), Optional.ofNullable(r.targetSchemaVersion),
                r.migrationsExecuted);
    }

    /**
     * The request the gates make at the tenant's {@code beforeMigrate} (its schema, its id, Flyway's history table), so
     * that the migrator can evaluate the environment gates in advance while Flyway starts the tenant's run.
     */
    @Override
    public Optional<MigrationRequest> environmentRequest(Tenant tenant) {
        return Optional.of(GateCallback.runRequest(tenant.schema(), Optional.of(tenant.id()), base.getTable()).build());
    }

    private Flyway flyway(Tenant t, GateCallback gate) {
        ClassLoader loader = base.getClassLoader();
        FluentConfiguration cfg = (loader == null ? Flyway.configure() : Flyway.configure(loader)).configuration(base)
                .schemas(t.schema()).defaultSchema(t.schema());
        t.dataSource().ifPresent(cfg::dataSource);
        if (scanner != null) {
            cfg.resourceProvider(scanner).javaMigrationClassProvider(scanner);
        }
        transactionalLock.ifPresent(lock -> cfg.getConfigurationExtension(
                org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension.class).setTransactionalLock(lock));
        if (gate != null) {
            // one gate per run: a GateCallback already in the base configuration is replaced by this tenant's
            cfg.callbacks(Arrays.stream(cfg.getCallbacks()).filter(c -> !(c instanceof GateCallback))
                    .toArray(org.flywaydb.core.api.callback.Callback[]::new));
            GateCallback.register(cfg, gate);
        }
        return cfg.load();
    }

    private static Scanner<JavaMigration> scan(Configuration cfg) {
        if (cfg.getResourceProvider() != null) {
            return null;
        }
        try {
            return new Scanner<>(JavaMigration.class, cfg, cfg.getLocations());
        } catch (RuntimeException | LinkageError e) {
            // internal API: if an upgrade changes it, Flyway scans per tenant (slower, same result)
            LOG.warn("Could not pre-scan Flyway locations once for all tenants ({}); Flyway will scan per tenant.", e.toString());
            return null;
        }
    }

    /** Builder. */
    public static final class Builder {
        private final FluentConfiguration base;
        private Boolean transactionalLock;
        private java.time.Duration environmentRecheck = GateCallback.ENVIRONMENT_RECHECK;

        private Builder(FluentConfiguration base) {
            this.base = Objects.requireNonNull(base, "base configuration");
            DataSource ds = base.getDataSource();
            if (ds == null && base.getUrl() == null) {
                throw new IllegalArgumentException("the base Flyway configuration needs a dataSource (or url), but had none");
            }
        }

        /**
         * Sets Flyway's {@code postgresql.transactional.lock} for every tenant. {@code false} lets
         * {@code CREATE INDEX CONCURRENTLY} migrations finish (the flyway-config gate blocks them otherwise). Default:
         * whatever the base configuration says (Flyway's default is {@code true}).
         */
        public Builder transactionalLock(boolean lock) {
            this.transactionalLock = lock;
            return this;
        }

        /**
         * How long the environment gates evaluated at a tenant's {@code beforeMigrate} serve its later migrations
         * (see {@link GateCallback#environmentRecheck(java.time.Duration)}). Default
         * {@link GateCallback#ENVIRONMENT_RECHECK}; zero = every gate before every migration.
         */
        public Builder environmentRecheck(java.time.Duration recheck) {
            this.environmentRecheck = GateCallback.checkRecheck("environmentRecheck", recheck);
            return this;
        }

        public FlywayEngine build() {
            return new FlywayEngine(this);
        }
    }
}

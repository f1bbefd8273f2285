package dev.deployclaw.gates.it.liquibase;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.core.tenant.TenantState;
import dev.deployclaw.gates.it.support.CountingDataSource;
import dev.deployclaw.gates.it.support.TestDatabases;
import dev.deployclaw.gates.liquibase.LiquibaseEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Under the migrator, {@link LiquibaseEngine} evaluates every changeset's gates on the probe connection of the
 * migrator's worker, as {@code FlywayEngine} does, instead of taking and preparing a probe per evaluation. The gates'
 * data source counts the connections taken from it; the updates themselves use another one.
 */
class LiquibaseWorkerProbeIT {
    private static final int TENANTS = 4;
    private static final int CHANGESETS = 6;
    private final List<String> schemas = new ArrayList<>();

    @AfterEach
    void dropSchemas() throws Exception {
        LiquibaseTenants.drop(schemas.toArray(String[]::new));
    }

    private List<String> tenants(String prefix) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= TENANTS; i++) {
            String s = prefix + "_" + i;
            schemas.add(s);
            LiquibaseTenants.create(s);
            out.add(s);
        }
        return out;
    }

    private static SecurityAuditor auditor(CountingDataSource probes) {
        // limits widened as in LiquibaseEngineIT: other suites' sessions on the shared server are not what this is about
        return new SecurityAuditor(AuditorConfig.builder(probes).replicaLagThreshold(Duration.ofSeconds(30))
                .requirePointInTimeRecovery(false).maxTransactionAge(Duration.ofHours(1)).build());
    }

    /** The Liquibase engine as a migrator sees an engine that ignores the worker's probe (the default of the interface). */
    private record IgnoringTheProbe(LiquibaseEngine engine) implements MigrationEngine {
        @Override public String name() { return engine.name(); }
        @Override public TenantState inspect(Tenant tenant) throws Exception { return engine.inspect(tenant); }
        @Override public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor) throws Exception {
            return engine.migrate(tenant, auditor);
        }
    }

    @Test
    void theChangesetsOfEveryTenantAreGatedOnTheWorkersProbe() throws Exception {
        CountingDataSource lentProbes = new CountingDataSource(TestDatabases.postgres());
        RunReport lent;
        try (LiquibaseEngine engine = new LiquibaseEngine(TestDatabases.postgres(), "liquibase/tenant-changelog.sql")) {
            lent = TenantMigrator.builder(auditor(lentProbes), engine).tenants(TenantSource.list(tenants("lb_wp_lent")))
                    .build().run();
        }
        CountingDataSource ownProbes = new CountingDataSource(TestDatabases.postgres());
        RunReport own;
        try (LiquibaseEngine engine = new LiquibaseEngine(TestDatabases.postgres(), "liquibase/tenant-changelog.sql")) {
            own = TenantMigrator.builder(auditor(ownProbes), new IgnoringTheProbe(engine))
                    .tenants(TenantSource.list(tenants("lb_wp_own"))).build().run();
        }

        for (RunReport r : List.of(lent, own)) {
            assertThat(r.count(TenantDecision.MIGRATED)).as(r.toText()).isEqualTo(TENANTS);
            // every changeset of every tenant was gated
            assertThat(r.tenants()).allSatisfy(t -> assertThat(t.reports().stream()
                    .filter(rep -> rep.migrationVersion().isPresent()).count()).as(t.tenant()).isEqualTo(CHANGESETS));
        }
        // besides the gates, the migrator takes one connection per tenant from this data source (the tenant's run
        // lock). With the worker's probe lent, the gates add one connection for the whole run; without it, every
        // gated changeset takes one more
        String counts = "lent run took " + lentProbes.opened.get() + " connections, the run without the worker's probe "
                + ownProbes.opened.get();
        assertThat(lentProbes.opened.get()).as(counts).isEqualTo(TENANTS + 1);
        assertThat(ownProbes.opened.get() - lentProbes.opened.get()).as(counts)
                .isGreaterThanOrEqualTo(TENANTS * CHANGESETS - 1);
    }
}

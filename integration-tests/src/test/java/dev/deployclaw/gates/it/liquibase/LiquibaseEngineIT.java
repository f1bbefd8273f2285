package dev.deployclaw.gates.it.liquibase;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantState;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import dev.deployclaw.gates.liquibase.LiquibaseEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.deployclaw.gates.it.liquibase.LiquibaseTenants.recorded;
import static org.assertj.core.api.Assertions.assertThat;

/** Acceptance: the TenantMigrator with the Liquibase engine migrates many tenant schemas, and a block stops exactly one tenant, cleanly. */
class LiquibaseEngineIT {
    private static final int TENANTS = 20;
    private static final List<String> ALL_SIX = List.of("1", "2", "3", "4", "5", "6");
    private final List<String> schemas = new CopyOnWriteArrayList<>();

    @AfterEach
    void dropSchemas() throws Exception {
        LiquibaseTenants.drop(schemas.toArray(String[]::new));
    }

    private List<Tenant> tenants(String prefix, int n) throws Exception {
        List<Tenant> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String s = String.format("%s_%02d", prefix, i);
            schemas.add(s);
            LiquibaseTenants.create(s);
            out.add(Tenant.of(s));
        }
        return out;
    }

    private static SecurityAuditor auditor(DataSource primary) {
        // other engineers' suites pause the standby's replay, break WAL archiving and leave transactions open for
        // minutes on the shared server; none of that is what these tests are about. The lock holder below lives
        // through 20 tenants' updates, so transactions may be old: only its lock on the one tenant's table blocks.
        return new SecurityAuditor(AuditorConfig.builder(primary).replicaLagThreshold(Duration.ofSeconds(30))
                .requirePointInTimeRecovery(false).maxTransactionAge(Duration.ofHours(1)).build());
    }

    @Test
    void theTenantMigratorUpdatesTwentyTenantSchemasFromOneChangelogPerFormat() throws Exception {
        DataSource primary = TestDatabases.postgres();
        SecurityAuditor auditor = auditor(primary);
        for (String format : List.of("xml", "yaml", "sql")) {
            List<Tenant> tenants = tenants("lb_mt_" + format, TENANTS);
            List<String> ids = tenants.stream().map(Tenant::id).toList();
            try (LiquibaseEngine engine = new LiquibaseEngine(primary, "liquibase/tenant-changelog." + format)) {
                assertThat(engine.inspect(tenants.get(0))).isEqualTo(new TenantState(Optional.empty(), Optional.of("6"), 6));
                RunReport report = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(ids))
                        .parallelism(2).build().run();
                assertThat(report.engine()).isEqualTo("liquibase");
                assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(TENANTS);
                for (RunReport.TenantRun run : report.tenants()) {
                    assertThat(run.applied()).isEqualTo(6);
                    assertThat(run.versionAfter()).hasValue("6");
                }
                for (Tenant t : tenants) {
                    assertThat(engine.inspect(t).atTarget()).isTrue();
                    assertThat(recorded(t.schema())).as(t.schema()).containsExactlyElementsOf(ALL_SIX);
                    assertThat(LiquibaseTenants.columnExists(t.schema(), "customers", "tier")).isTrue();
                    assertThat(LiquibaseTenants.lockFree(t.schema())).isTrue();
                }
                RunReport again = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(ids)).build().run();
                assertThat(again.count(TenantDecision.UP_TO_DATE)).isEqualTo(TENANTS);
            }
        }
    }

    @Test
    void aLockHolderOnOneTenantsTableStopsOnlyThatTenantBeforeTheChangesetAndARerunCompletesIt() throws Exception {
        DataSource primary = TestDatabases.postgres();
        SecurityAuditor auditor = auditor(primary);
        List<Tenant> tenants = tenants("lb_mt_lock", TENANTS);
        List<String> ids = tenants.stream().map(Tenant::id).toList();
        Tenant victim = tenants.get(6);
        try (LiquibaseEngine engine = new LiquibaseEngine(primary, "liquibase/tenant-changelog.xml")) {
            RunReport report;
            try (LockHolder holder = LockHolder.postgres(LiquibaseTenants.url(), "select * from " + victim.schema() + ".customers")) {
                report = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(ids))
                        .failurePolicy(FailurePolicy.CONTINUE).build().run();
                RunReport.TenantRun line = report.tenant(victim.id()).orElseThrow();
                assertThat(line.decision()).isEqualTo(TenantDecision.BLOCKED);
                assertThat(line.failedGates()).containsExactly("table-lock");
                assertThat(line.detail()).contains("pid " + holder.pid()).contains(victim.schema() + ".customers");
                assertThat(line.versionAfter()).hasValue("3");
                assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(TENANTS - 1);
                assertThat(recorded(victim.schema())).containsExactly("1", "2", "3");
                assertThat(LiquibaseTenants.columnExists(victim.schema(), "customers", "tier")).isFalse();
                assertThat(LiquibaseTenants.lockFree(victim.schema())).isTrue();
                assertThat(engine.inspect(victim)).isEqualTo(new TenantState(Optional.of("3"), Optional.of("6"), 3));
            }
            System.out.println("RUN REPORT (one tenant blocked):\n" + report.toText());
            for (Tenant t : tenants) {
                if (!t.equals(victim)) {
                    assertThat(recorded(t.schema())).as(t.schema()).containsExactlyElementsOf(ALL_SIX);
                }
            }

            RunReport rerun = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(ids)).build().run();
            RunReport.TenantRun line = rerun.tenant(victim.id()).orElseThrow();
            assertThat(line.decision()).isEqualTo(TenantDecision.MIGRATED);
            assertThat(line.applied()).isEqualTo(3);
            assertThat(rerun.count(TenantDecision.UP_TO_DATE)).isEqualTo(TENANTS - 1);
        }
        assertThat(recorded(victim.schema())).containsExactlyElementsOf(ALL_SIX);
        assertThat(LiquibaseTenants.lockFree(victim.schema())).isTrue();
    }

    @Test
    void theEngineReportsABlockThroughItsExceptionsCauseChain() throws Exception {
        DataSource primary = TestDatabases.postgres();
        Tenant t = tenants("lb_mt_direct", 1).get(0);
        try (LiquibaseEngine engine = new LiquibaseEngine(primary, "liquibase/tenant-changelog.xml");
             LockHolder holder = LockHolder.postgres(LiquibaseTenants.url(), "select * from " + t.schema() + ".customers")) {
            Exception failure = null;
            try {
                engine.migrate(t, auditor(primary));
            } catch (Exception e) {
                failure = e;
            }
            GateBlockedException blocked = MigrationEngine.blockedBy(failure).orElseThrow();
            assertThat(blocked.report().tenant()).hasValue(t.id());
            assertThat(blocked.report().migrationVersion()).hasValue("liquibase/tenant-changelog.xml::4::deployclaw");
            assertThat(blocked.report().verdict(GateId.of("table-lock")).orElseThrow().detail()).contains("pid " + holder.pid());
        }
    }

    @Test
    void migratesATenantInADatabaseOfItsOwnThroughItsDataSource() throws Exception {
        String db = "lb_tenant_db";
        try (Connection c = TestDatabases.connect(LiquibaseTenants.url()); Statement st = c.createStatement()) {
            st.execute("drop database if exists " + db + " with (force)");
            st.execute("create database " + db);
        }
        String url = LiquibaseTenants.url().replace("/test?", "/" + db + "?");
        try {
            DataSource own = TestDatabases.pgDataSource(url);
            try (Connection c = own.getConnection(); Statement st = c.createStatement()) {
                st.execute("create schema acme");
                st.execute("create table acme.customers (id bigint primary key, name text)");
            }
            Tenant acme = Tenant.inDatabase("acme", "acme", own);
            try (LiquibaseEngine engine = new LiquibaseEngine(TestDatabases.postgres(), "liquibase/tenant-changelog.yaml")) {
                assertThat(engine.migrate(acme, auditor(own)).applied()).isEqualTo(6);
                assertThat(engine.inspect(acme).atTarget()).isTrue();
            }
            try (Connection c = own.getConnection(); Statement st = c.createStatement();
                 var rs = st.executeQuery("select count(*) from acme.databasechangelog")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(6);
            }
        } finally {
            try (Connection c = TestDatabases.connect(LiquibaseTenants.url()); Statement st = c.createStatement()) {
                st.execute("drop database if exists " + db + " with (force)");
            }
        }
    }

    @Test
    void handsAPooledConnectionBackWithoutTheGatesLockAndStatementTimeouts() throws Exception {
        Tenant t = tenants("lb_mt_pool", 1).get(0);
        // two connections: Liquibase's session and the gates' probe; afterwards both are idle in the pool
        try (var pool = TestDatabases.pooled(LiquibaseTenants.url(), 2);
             LiquibaseEngine engine = new LiquibaseEngine(pool, "liquibase/tenant-changelog.sql")) {
            assertThat(engine.migrate(Tenant.inDatabase(t.id(), t.schema(), pool), auditor(pool)).applied()).isEqualTo(6);
            try (Connection a = pool.getConnection(); Connection b = pool.getConnection()) {
                for (Connection c : List.of(a, b)) {
                    try (Statement st = c.createStatement(); var rs = st.executeQuery(
                            "select current_setting('lock_timeout'), current_setting('statement_timeout')")) {
                        rs.next();
                        assertThat(rs.getString(1) + "/" + rs.getString(2)).isEqualTo("0/0");
                    }
                }
            }
        }
    }
}

package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.core.tenant.TenantState;
import dev.deployclaw.gates.core.tenant.Topology;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** DATABASE_PER_TENANT, discovery by registry table and schema pattern, and the parallelism bound. */
class TopologiesTest {
    private static final List<String> DATABASES = List.of("fw_db_a", "fw_db_b");
    private static PGSimpleDataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.dataSource("fw-topologies-test");
        tearDown();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            for (String db : DATABASES) {
                st.execute("create database " + db);
            }
            st.execute("create schema fw_tp_registry");
            st.execute("create table fw_tp_registry.tenants (schema_name text)");
            st.execute("insert into fw_tp_registry.tenants values ('fw_tp_reg_b'), ('fw_tp_reg_a')");
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            for (String db : DATABASES) {
                st.execute("drop database if exists " + db + " with (force)");
            }
        }
        FlywayFixtures.dropSchemasLike("fw\\_tp\\_%");
    }

    private static String urlOf(String database) {
        String url = TestDatabases.postgresUrl();
        return url.replaceFirst("(jdbc:postgresql://[^/]+/)[^?]*", "$1" + database);
    }

    private static FlywayEngine engine() {
        return FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/five")).build();
    }

    @Test
    void migratesEachTenantInItsOwnDatabaseWithTheGatesProbingThatDatabase() throws Exception {
        TenantSource source = TenantSource.databases(DATABASES, "app", db -> FlywayFixtures.dataSourceFor(urlOf(db)));
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports),
                engine()).topology(Topology.DATABASE_PER_TENANT).tenants(source).build().run();

        assertThat(report.count(TenantDecision.MIGRATED)).isEqualTo(2);
        for (String db : DATABASES) {
            try (Connection c = TestDatabases.connect(urlOf(db)); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select count(*) from app.flyway_schema_history where success and version is not null")) {
                rs.next();
                assertThat(rs.getInt(1)).as(db).isEqualTo(5);
            }
        }
        assertThat(reports.all).hasSize(12).allMatch(r -> r.tenant().isPresent());
    }

    @Test
    void discoversTenantsFromARegistryTableInSortedOrder() throws Exception {
        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()), engine())
                .tenants(TenantSource.registry("fw_tp_registry.tenants", "schema_name")).build().run();

        assertThat(report.tenants()).extracting(RunReport.TenantRun::tenant).containsExactly("fw_tp_reg_a", "fw_tp_reg_b");
        assertThat(report.succeeded()).isTrue();
    }

    @Test
    void discoversTenantsBySchemaPatternAndRunsNoMoreThanTheParallelismAtOnce() throws Exception {
        for (int i = 1; i <= 6; i++) {
            try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
                st.execute("create schema fw_tp_pat_" + i);
            }
        }
        FlywayEngine flyway = engine();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        MigrationEngine counting = new MigrationEngine() {
            @Override public String name() { return "flyway"; }
            @Override public TenantState inspect(Tenant t) { return flyway.inspect(t); }
            @Override public MigrationResult migrate(Tenant t, SecurityAuditor a) {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    return flyway.migrate(t, a);
                } finally {
                    running.decrementAndGet();
                }
            }
        };

        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()), counting)
                .tenants(TenantSource.schemaPattern("fw\\_tp\\_pat\\_%")).parallelism(2).build().run();

        assertThat(report.tenants()).extracting(RunReport.TenantRun::tenant)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 6).mapToObj(i -> "fw_tp_pat_" + i).toList());
        assertThat(report.count(TenantDecision.MIGRATED)).isEqualTo(6);
        assertThat(most.get()).isBetween(1, 2);
    }

    @Test
    void theMigratorLetsAConcurrentIndexBuildThroughOnceItTurnsTheTransactionalLockOff() throws Exception {
        FlywayFixtures.dropSchemas(List.of("fw_tp_cic_on", "fw_tp_cic_off"));
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build());
        FlywayEngine defaults = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/cic")).build();
        FlywayEngine lockOff = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/cic"))
                .transactionalLock(false).build();

        RunReport blocked = TenantMigrator.builder(auditor, defaults).tenants(TenantSource.list("fw_tp_cic_on")).build().run();
        RunReport passed = TenantMigrator.builder(auditor, lockOff).tenants(TenantSource.list("fw_tp_cic_off")).build().run();

        assertThat(blocked.tenants().get(0).decision()).isEqualTo(TenantDecision.BLOCKED);
        assertThat(blocked.tenants().get(0).failedGates()).containsExactly("flyway-config");
        assertThat(blocked.tenants().get(0).versionAfter()).contains("1");
        assertThat(passed.tenants().get(0).decision()).isEqualTo(TenantDecision.MIGRATED);
        assertThat(FlywayFixtures.history("fw_tp_cic_off")).containsExactly("1:true", "2:true");
    }

    @Test
    void readsEveryTenantsHistoryInOneBatchExactlyAsFlywayInfoDoes() throws Exception {
        FlywayFixtures.dropSchemas(List.of("fw_tp_inv_none", "fw_tp_inv_v1", "fw_tp_inv_v5"));
        for (String[] t : new String[][] {{"fw_tp_inv_v1", "1"}, {"fw_tp_inv_v5", "5"}}) {
            Flyway.configure().dataSource(ds).schemas(t[0]).defaultSchema(t[0]).locations("classpath:db/fw/five").target(t[1])
                    .placeholders(java.util.Map.of("deployclaw.flyway.autoRegister", "false")).load().migrate();
        }
        FlywayEngine flyway = engine();
        List<Tenant> tenants = List.of(Tenant.of("fw_tp_inv_none"), Tenant.of("fw_tp_inv_v1"), Tenant.of("fw_tp_inv_v5"));

        java.util.Map<String, TenantState> batch = flyway.inspectAll(tenants);

        for (Tenant t : tenants) {
            assertThat(batch.get(t.id())).as(t.id()).isEqualTo(flyway.inspect(t));
        }
        assertThat(batch.get("fw_tp_inv_v1").pending()).isEqualTo(4);
        assertThat(batch.get("fw_tp_inv_v5").atTarget()).isTrue();
        assertThat(batch.get("fw_tp_inv_none").currentVersion()).isEmpty();
    }
}

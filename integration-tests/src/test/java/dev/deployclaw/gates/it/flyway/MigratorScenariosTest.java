package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Canaries, the shared-schema topology, and two migrators at once, on the real primary. */
class MigratorScenariosTest {
    private static HikariDataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.pool("fw-scenarios-test", 10);
        FlywayFixtures.dropSchemasLike("fw\\_s\\_%");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (ds != null) {
            ds.close();
        }
        FlywayFixtures.dropSchemasLike("fw\\_s\\_%");
    }

    private static List<String> tenants(String prefix, int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("%s%02d", prefix, i)).toList();
    }

    private static FlywayEngine engine() {
        return FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/five")).build();
    }

    private static SecurityAuditor auditor() {
        return new SecurityAuditor(FlywayFixtures.config(ds).build());
    }

    private static void migrateTo(String schema, String target) {
        Flyway.configure().dataSource(ds).schemas(schema).defaultSchema(schema).locations("classpath:db/fw/five")
                .target(target).placeholders(Map.of("deployclaw.flyway.autoRegister", "false")).load().migrate();
    }

    @Test
    void aBlockedCanaryLeavesEveryOtherTenantUntouched() throws Exception {
        List<String> all = tenants("fw_s_can_", 8);
        migrateTo("fw_s_can_05", "1");
        RunReport report;
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "update fw_s_can_05.accounts set name = name")) {
            report = TenantMigrator.builder(auditor(), engine()).tenants(TenantSource.list(all))
                    .canaries("fw_s_can_02", "fw_s_can_05").failurePolicy(FailurePolicy.CONTINUE).build().run();
            assertThat(report.tenant("fw_s_can_05").orElseThrow().detail()).contains("pid " + holder.pid());
        }

        assertThat(report.tenants()).extracting(RunReport.TenantRun::tenant).startsWith("fw_s_can_02", "fw_s_can_05");
        assertThat(report.tenant("fw_s_can_02").orElseThrow().decision()).isEqualTo(TenantDecision.MIGRATED);
        assertThat(report.tenant("fw_s_can_05").orElseThrow().decision()).isEqualTo(TenantDecision.BLOCKED);
        assertThat(report.count(TenantDecision.NOT_STARTED)).isEqualTo(6);
        for (String t : all) {
            if (!t.equals("fw_s_can_02") && !t.equals("fw_s_can_05")) {
                assertThat(FlywayFixtures.history(t)).as(t + " untouched").isEmpty();
                assertThat(report.tenant(t).orElseThrow().detail()).contains("canary fw_s_can_05 was BLOCKED");
            }
        }
    }

    @Test
    void aSharedSchemaMigrationIsBlockedByALockHeldFromAnyTenantsSession() throws Exception {
        migrateTo("fw_s_shared", "2");
        for (String tenant : List.of("acme", "globex")) {
            String asTenant = "set application_name = 'tenant-" + tenant + "'; update fw_s_shared.accounts set name = name"
                    + " where name = '" + tenant + "'";
            try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), asTenant)) {
                RunReport report = TenantMigrator.builder(auditor(), engine()).sharedSchema("fw_s_shared").build().run();

                RunReport.TenantRun line = report.tenants().get(0);
                assertThat(report.topology()).isEqualTo("SHARED_SCHEMA");
                assertThat(line.decision()).as("blocked by %s's session", tenant).isEqualTo(TenantDecision.BLOCKED);
                assertThat(line.failedGates()).contains("table-lock");
                assertThat(line.detail()).contains("pid " + holder.pid()).contains("tenant-" + tenant);
            }
        }
        assertThat(FlywayFixtures.history("fw_s_shared")).containsExactly("1:true", "2:true");
        RunReport free = TenantMigrator.builder(auditor(), engine()).sharedSchema("fw_s_shared").build().run();
        assertThat(free.tenants().get(0).decision()).isEqualTo(TenantDecision.MIGRATED);
    }

    @Test
    void twoMigratorsStartedAtOnceMigrateEveryTenantExactlyOnce() throws Exception {
        List<String> all = tenants("fw_s_two_", 12);
        CountDownLatch start = new CountDownLatch(1);
        CompletableFuture<RunReport> a = CompletableFuture.supplyAsync(() -> runAfter(start, all));
        CompletableFuture<RunReport> b = CompletableFuture.supplyAsync(() -> runAfter(start, all));
        start.countDown();
        RunReport ra = a.get();
        RunReport rb = b.get();

        for (String t : all) {
            assertThat(FlywayFixtures.history(t)).as(t).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
            TenantDecision da = ra.tenant(t).orElseThrow().decision();
            TenantDecision db = rb.tenant(t).orElseThrow().decision();
            assertThat(List.of(da, db)).as(t).containsExactlyInAnyOrder(TenantDecision.MIGRATED, TenantDecision.UP_TO_DATE);
        }
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement();
             var rs = st.executeQuery("select count(*) from pg_locks where locktype = 'advisory' and classid = 1145261143")) {
            rs.next();
            assertThat(rs.getInt(1)).as("tenant run locks left behind").isZero();
        }
    }

    private static RunReport runAfter(CountDownLatch start, List<String> tenants) {
        try {
            start.await();
            return TenantMigrator.builder(auditor(), engine()).tenants(TenantSource.list(tenants))
                    .failurePolicy(FailurePolicy.CONTINUE).build().run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

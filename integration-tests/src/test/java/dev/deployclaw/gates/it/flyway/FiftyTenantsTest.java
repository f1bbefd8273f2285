package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.RunReport.TenantRun;
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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 5-version set over 50 tenant schemas, with a session holding a lock on tenant 17's table: CONTINUE migrates the
 * other 49 and reports tenant 17 BLOCKED with the holder's pid; a re-run after the holder is gone migrates only
 * tenant 17; HALT leaves every tenant after 17 untouched and tenant 17 at its old version with no partial DDL.
 */
class FiftyTenantsTest {
    private static HikariDataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.pool("fw-fifty-test", 5);
        FlywayFixtures.dropSchemasLike("fw\\_c\\_%");
        FlywayFixtures.dropSchemasLike("fw\\_h\\_%");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (ds != null) {
            ds.close();
        }
        FlywayFixtures.dropSchemasLike("fw\\_c\\_%");
        FlywayFixtures.dropSchemasLike("fw\\_h\\_%");
    }

    private static List<String> tenants(String prefix) {
        return IntStream.rangeClosed(1, 50).mapToObj(i -> String.format("%s%02d", prefix, i)).toList();
    }

    /** Tenant 17 gets V1 first so its table exists for the lock holder; everyone else starts empty. */
    private static void prepareTenant17(String schema) {
        Flyway.configure().dataSource(ds).schemas(schema).defaultSchema(schema).locations("classpath:db/fw/five")
                .target("1").placeholders(java.util.Map.of("deployclaw.flyway.autoRegister", "false")).load().migrate();
    }

    private static TenantMigrator migrator(String prefix, FailurePolicy policy) {
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build());
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/five")).build();
        return TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(tenants(prefix)))
                .failurePolicy(policy).build();
    }

    @Test
    void continueMigratesTheOther49ReportsTenant17BlockedWithTheHolderAndAReRunMigratesOnlyTenant17() throws Exception {
        prepareTenant17("fw_c_17");
        RunReport first;
        long holderPid;
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "update fw_c_17.accounts set name = name")) {
            holderPid = holder.pid();
            first = migrator("fw_c_", FailurePolicy.CONTINUE).run();
        }
        System.out.println(first.toText());

        assertThat(first.count(TenantDecision.MIGRATED)).isEqualTo(49);
        TenantRun t17 = first.tenant("fw_c_17").orElseThrow();
        assertThat(t17.decision()).isEqualTo(TenantDecision.BLOCKED);
        assertThat(t17.failedGates()).contains("table-lock");
        assertThat(t17.detail()).contains(String.valueOf(holderPid));
        assertThat(t17.versionBefore()).contains("1");
        assertThat(t17.versionAfter()).contains("1");
        assertThat(first.toJson()).contains("\"decision\" : \"BLOCKED\"").contains(String.valueOf(holderPid));
        for (String t : tenants("fw_c_")) {
            assertThat(FlywayFixtures.history(t)).as(t).hasSize(t.equals("fw_c_17") ? 1 : 5);
        }
        assertThat(FlywayFixtures.columnExists("fw_c_17", "accounts", "email")).isFalse();

        RunReport again = migrator("fw_c_", FailurePolicy.CONTINUE).run();
        System.out.println(again.toText());

        assertThat(again.tenants().stream().filter(t -> t.decision() == TenantDecision.MIGRATED).map(TenantRun::tenant))
                .containsExactly("fw_c_17");
        assertThat(again.count(TenantDecision.UP_TO_DATE)).isEqualTo(49);
        assertThat(again.tenant("fw_c_17").orElseThrow().versionAfter()).contains("5");
        assertThat(FlywayFixtures.history("fw_c_17")).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
    }

    @Test
    void haltLeavesTheTenantsAfter17UntouchedAndTenant17AtItsOldVersion() throws Exception {
        prepareTenant17("fw_h_17");
        RunReport report;
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "update fw_h_17.accounts set name = name")) {
            report = migrator("fw_h_", FailurePolicy.HALT).run();
            System.out.println(report.toText());
            assertThat(report.tenant("fw_h_17").orElseThrow().detail()).contains("pid " + holder.pid());
        }

        List<String> migrated = new ArrayList<>();
        report.tenants().stream().filter(t -> t.decision() == TenantDecision.MIGRATED).forEach(t -> migrated.add(t.tenant()));
        assertThat(migrated).containsExactlyElementsOf(tenants("fw_h_").subList(0, 16));
        assertThat(report.tenant("fw_h_17").orElseThrow().decision()).isEqualTo(TenantDecision.BLOCKED);
        assertThat(report.count(TenantDecision.NOT_STARTED)).isEqualTo(33);
        assertThat(report.tenant("fw_h_18").orElseThrow().detail()).contains("tenant fw_h_17 was BLOCKED (failure policy HALT)");
        assertThat(FlywayFixtures.history("fw_h_17")).containsExactly("1:true");
        assertThat(FlywayFixtures.columnExists("fw_h_17", "accounts", "email")).isFalse();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement();
             var rs = st.executeQuery("select count(*) from pg_namespace where nspname like 'fw\\_h\\_%' and nspname > 'fw_h_17'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("schemas created after tenant 17").isZero();
        }
    }
}

package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A multi-tenant run whose gates read the server as a role without {@code pg_monitor} (Flyway migrates as the owner):
 * other sessions' state and the replication columns read NULL to that role, so every tenant is BLOCKED with the grant
 * named; once granted, the re-run migrates them.
 */
class MonitoringRoleTest {
    private static final String PREFIX = "ev_mr_";
    private static final String ROLE = "ev_gates_nomonitor";
    private static final List<String> TENANTS = EvTenants.names(PREFIX, 3);

    @BeforeAll
    static void setUp() throws Exception {
        EvTenants.dropLike(PREFIX);
        exec("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + ROLE + "') then create role " + ROLE
                + " login; end if; end $$", "revoke pg_monitor from " + ROLE);
    }

    @AfterAll
    static void tearDown() throws Exception {
        EvTenants.dropLike(PREFIX);
        exec("revoke pg_monitor from " + ROLE, "drop owned by " + ROLE, "drop role if exists " + ROLE);
    }

    private static void exec(String... sql) throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static RunReport run(PGSimpleDataSource owner, PGSimpleDataSource monitor) throws Exception {
        return TenantMigrator.builder(EvTenants.auditor(monitor), EvTenants.engine(owner, "two"))
                .tenants(TenantSource.list(TENANTS)).failurePolicy(FailurePolicy.CONTINUE).build().run(); // default maxLagWait: 5 min
    }

    @Test
    void aGateRoleWithoutPgMonitorBlocksEveryTenantNamingTheGrantAndTheReRunMigratesOnceGranted() throws Exception {
        PGSimpleDataSource owner = EvTenants.dataSource("ev-monitor-owner");
        PGSimpleDataSource monitor = TestDatabases.pgDataSource(TestDatabases.postgresUrl().replace("user=postgres", "user=" + ROLE));
        RunReport first = run(owner, monitor);
        System.out.println(first.toText());
        assertThat(first.tenants()).allSatisfy(t -> {
            assertThat(t.decision()).as(t.tenant()).isEqualTo(TenantDecision.BLOCKED);
            assertThat(t.detail()).contains("grant pg_monitor to " + ROLE).doesNotContain("did not recover");
            assertThat(EvTenants.history(t.tenant())).isEmpty();
            EvTenants.assertWhole(t.tenant());
        });
        assertThat(first.tenant(TENANTS.get(0)).orElseThrow().failedGates()).contains(TableLockGate.ID.value());

        exec("grant pg_monitor to " + ROLE);
        RunReport again = run(owner, monitor);
        assertThat(again.succeeded()).as(again.toText()).isTrue();
        for (String t : TENANTS) {
            assertThat(EvTenants.history(t)).containsExactly("1:true", "2:true");
        }
    }
}

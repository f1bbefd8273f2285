package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.gate.DdlRiskGate;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQL the gates cannot read, in a Flyway migration run by the migrator: V1 is ordinary, V2 hides an
 * {@code ALTER TABLE} inside a {@code DO} block. Both end before V2 runs; after a review the acknowledged V2 migrates.
 */
class UnparseableSqlTest {
    private static final String PREFIX = "ev_up_";

    @BeforeAll
    static void setUp() throws Exception {
        EvTenants.dropLike(PREFIX);
    }

    @AfterAll
    static void tearDown() throws Exception {
        EvTenants.dropLike(PREFIX);
    }

    private static RunReport run(PGSimpleDataSource ds, List<String> tenants, String location) throws Exception {
        return TenantMigrator.builder(EvTenants.auditor(ds), EvTenants.engine(ds, location))
                .tenants(TenantSource.list(tenants)).failurePolicy(FailurePolicy.CONTINUE).build().run();
    }

    @Test
    void aStatementTheAnalyserCannotReadBlocksEveryTenantAndTheAcknowledgedScriptMigrates() throws Exception {
        PGSimpleDataSource ds = EvTenants.dataSource("ev-unparseable-test");
        List<String> tenants = EvTenants.names(PREFIX + "an_", 3);
        RunReport first = run(ds, tenants, "unparseable");
        System.out.println(first.toText());
        assertThat(first.tenants()).allSatisfy(t -> {
            assertThat(t.decision()).as(t.tenant()).isEqualTo(TenantDecision.BLOCKED);
            assertThat(t.failedGates()).containsExactly(DdlRiskGate.ID.value());
            assertThat(t.detail()).contains("before migration 2").contains("unparseable-statement");
            assertThat(EvTenants.history(t.tenant())).containsExactly("1:true");
            EvTenants.assertWhole(t.tenant());
        });

        RunReport again = run(ds, tenants, "acknowledged");
        assertThat(again.succeeded()).as(again.toText()).isTrue();
        for (String t : tenants) {
            assertThat(EvTenants.history(t)).containsExactly("1:true", "2:true");
            EvTenants.assertWhole(t);
        }
    }

    @Test
    void aScriptTheSplitterCannotReadStopsBeforeItRunsNamingTheUnterminatedQuote() throws Exception {
        PGSimpleDataSource ds = EvTenants.dataSource("ev-unparseable-test");
        List<String> tenants = EvTenants.names(PREFIX + "sp_", 2);
        RunReport first = run(ds, tenants, "unreadable");
        System.out.println(first.toText());
        assertThat(first.tenants()).allSatisfy(t -> {
            assertThat(t.decision().problem()).as(t.tenant()).isTrue();
            assertThat(t.detail()).contains("could not read migration 2 (V2__hidden_ddl.sql)")
                    .contains("unterminated dollar quote $$ starting at line 2").contains("Blocking");
            assertThat(EvTenants.history(t.tenant())).containsExactly("1:true");
            EvTenants.assertWhole(t.tenant());
        });

        RunReport again = run(ds, tenants, "acknowledged");
        assertThat(again.succeeded()).as(again.toText()).isTrue();
        for (String t : tenants) {
            assertThat(EvTenants.history(t)).containsExactly("1:true", "2:true");
        }
    }
}

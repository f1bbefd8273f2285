package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.DdlRiskGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.flyway.GateCallback;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Flyway's {@code group(true)}: a run's migrations share one transaction. The gates before a migration then read the
 * tables that earlier migrations of the group created on the migration's own session (a probe cannot see them yet);
 * before, every such table was "not found in the catalog" and a size-aware finding on it blocked. A block inside a
 * group rolls back the whole run of that schema.
 */
class FlywayGroupTest {
    private static final PGSimpleDataSource ds = FlywayFixtures.dataSource("fw-group-test");

    @BeforeEach
    void clean() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_grp\\_%");
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_grp\\_%");
    }

    @Test
    void aGroupedRunMeasuresTheTablesThatEarlierMigrationsOfItsTransactionCreated() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports);
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/five")
                .group(true)).build();
        RunReport report = TenantMigrator.builder(auditor, engine)
                .tenants(TenantSource.list(List.of("fw_grp_1", "fw_grp_2", "fw_grp_3"))).build().run();

        assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(3);
        List<GateReport> v4 = reports.all.stream().filter(r -> r.migrationVersion().filter("4"::equals).isPresent()).toList();
        assertThat(v4).hasSize(3).allSatisfy(r -> {
            Verdict ddl = r.verdicts().stream().filter(v -> v.gate().equals(DdlRiskGate.ID)).findFirst().orElseThrow();
            // orders was created by V3 in the same, still open transaction: measured on the migration's session
            assertThat(ddl.evidence()).as(r.toText()).anySatisfy(e -> assertThat(e.name())
                    .matches("create-index-blocking .*, (estimated rows|total bytes) of fw_grp_\\d\\.orders"));
            assertThat(ddl.detail()).doesNotContain("not found in the catalog");
        });
        for (String t : List.of("fw_grp_1", "fw_grp_2", "fw_grp_3")) {
            assertThat(FlywayFixtures.history(t)).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
        }
    }

    @Test
    void aBlockInsideAGroupRollsBackEveryMigrationOfTheRun() throws Exception {
        GateCallback gate = new GateCallback(new SecurityAuditor(FlywayFixtures.config(ds).build()));
        // V2 has neither an undo script nor a roll-forward marker: rollback-validation blocks it
        Flyway flyway = GateCallback.register(FlywayFixtures.flyway(ds, "fw_grp_noplan", "noplan").group(true), gate).load();

        FlywayException e = catchThrowableOfType(FlywayException.class, flyway::migrate);
        Throwable cause = e;
        while (cause != null && !(cause instanceof GateBlockedException)) {
            cause = cause.getCause();
        }
        assertThat(cause).as("the block is the cause").isInstanceOf(GateBlockedException.class);
        assertThat(((GateBlockedException) cause).report().migrationVersion()).contains("2");
        // V1 ran in the same transaction as the blocked V2: nothing of the run is left
        assertThat(FlywayFixtures.history("fw_grp_noplan")).isEmpty();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select to_regclass('fw_grp_noplan.accounts') is null")) {
            rs.next();
            assertThat(rs.getBoolean(1)).as("V1's table rolled back with the group").isTrue();
        }
    }
}

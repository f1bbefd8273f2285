package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.FlywayConfigGate;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.flyway.GateCallback;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The callback on the real PostgreSQL primary (with its streaming standby): what it lets through and what it stops. */
class GateCallbackTest {
    private static final List<String> SCHEMAS = List.of("fw_cb_ok", "fw_cb_lock", "fw_cb_noplan", "fw_cb_cic", "fw_cb_cic_ok");
    private static PGSimpleDataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.dataSource("fw-callback-test");
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'fw-cic-hang'");
        }
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    @Test
    void migratesFiveVersionsAndGatesTheRunAndEveryMigrationWithPlaceholdersReplaced() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports);
        FluentConfiguration cfg = FlywayFixtures.flyway(ds, "fw_cb_ok", "five");

        int applied = GateCallback.register(cfg, new GateCallback(auditor)).load().migrate().migrationsExecuted;

        assertThat(applied).isEqualTo(5);
        assertThat(FlywayFixtures.history("fw_cb_ok")).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
        assertThat(reports.all).hasSize(6).allMatch(r -> r.decision() == Decision.SAFE_TO_MIGRATE, "all safe");
        assertThat(reports.all.get(0).statements()).isEmpty();
        assertThat(reports.all).extracting(r -> r.migrationVersion().orElse("-")).containsExactly("-", "1", "2", "3", "4", "5");
        GateReport v2 = reports.all.get(2);
        assertThat(v2.statements()).containsExactly("alter table fw_cb_ok.accounts add column email text");
        assertThat(v2.verdict(GateId.of("rollback-validation")).orElseThrow().detail()).contains("undo script")
                .contains("U2__drop_email.sql");
        assertThat(reports.all.get(3).verdict(GateId.of("rollback-validation")).orElseThrow().detail())
                .contains("roll forward only").contains("a new, empty table");
        assertThat(reports.all.get(5).statements().get(0)).contains("'accounts of tenant fw_cb_ok'");
    }

    @Test
    void blocksTheRunBeforeItStartsWhileAnotherSessionHoldsALockInTheSchema() throws Exception {
        GateCallback gate = new GateCallback(new SecurityAuditor(FlywayFixtures.config(ds).build()));
        GateCallback.register(FlywayFixtures.flyway(ds, "fw_cb_lock", "five").target("2"), gate).load().migrate();

        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "lock table fw_cb_lock.accounts in access share mode")) {
            Flyway flyway = GateCallback.register(FlywayFixtures.flyway(ds, "fw_cb_lock", "five"), gate).load();
            assertThatThrownBy(flyway::migrate)
                    .isInstanceOf(FlywayException.class)
                    .satisfies(e -> {
                        GateBlockedException blocked = MigrationEngine.blockedBy(e).orElseThrow();
                        assertThat(blocked.report().blockingVerdicts()).extracting(v -> v.gate().value()).contains("table-lock");
                        assertThat(blocked.getMessage()).contains("table-lock").contains("fw_cb_lock")
                                .contains(String.valueOf(holder.pid()));
                    });
        }
        assertThat(FlywayFixtures.history("fw_cb_lock")).containsExactly("1:true", "2:true");
        assertThat(FlywayFixtures.columnExists("fw_cb_lock", "orders", "id")).isFalse();
    }

    @Test
    void blocksTheMigrationWithoutARollbackPlanAndKeepsTheEarlierOnesWithNoFailedHistoryRow() throws Exception {
        GateCallback gate = new GateCallback(new SecurityAuditor(FlywayFixtures.config(ds).build()));
        Flyway flyway = GateCallback.register(FlywayFixtures.flyway(ds, "fw_cb_noplan", "noplan"), gate).load();

        assertThatThrownBy(flyway::migrate).isInstanceOf(FlywayException.class)
                .hasMessageContaining("beforeEachMigrate")
                .satisfies(e -> assertThat(MigrationEngine.blockedBy(e).orElseThrow().getMessage())
                        .contains("rollback-validation").contains("no undo script U2__*.sql beside V2__add_phone.sql"));

        assertThat(FlywayFixtures.history("fw_cb_noplan")).containsExactly("1:true");
        assertThat(FlywayFixtures.columnExists("fw_cb_noplan", "accounts", "phone")).isFalse();
    }

    @Test
    @Timeout(60)
    void blocksAConcurrentIndexBuildThatWouldWaitForFlywaysOwnTransactionalLock() throws Exception {
        PGSimpleDataSource hangable = FlywayFixtures.dataSource("fw-cic-hang");
        GateCallback gate = new GateCallback(new SecurityAuditor(FlywayFixtures.config(hangable).build()));
        Flyway flyway = GateCallback.register(FlywayFixtures.flyway(hangable, "fw_cb_cic", "cic"), gate).load();

        assertThatThrownBy(flyway::migrate).isInstanceOf(FlywayException.class)
                .satisfies(e -> {
                    System.out.println(e.getMessage()); // the example in docs/flyway.md
                    GateBlockedException blocked = MigrationEngine.blockedBy(e).orElseThrow();
                    assertThat(blocked.report().blockingVerdicts()).extracting(v -> v.gate())
                            .containsExactly(FlywayConfigGate.ID);
                    assertThat(blocked.getMessage()).contains("Migration 2 runs create index concurrently accounts_name_idx")
                            .contains("setTransactionalLock(false)").contains("FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK=false");
                });
        assertThat(FlywayFixtures.history("fw_cb_cic")).containsExactly("1:true");
    }

    @Test
    @Timeout(60)
    void letsTheConcurrentIndexBuildRunOnceTheTransactionalLockIsOff() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        GateCallback gate = new GateCallback(new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports));
        FluentConfiguration cfg = GateCallback.register(FlywayFixtures.flyway(ds, "fw_cb_cic_ok", "cic"), gate);
        cfg.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);

        assertThat(cfg.load().migrate().migrationsExecuted).isEqualTo(2);
        assertThat(reports.all.get(2).verdict(FlywayConfigGate.ID).orElseThrow().outcome()).isEqualTo(Outcome.PASSED);
    }
}

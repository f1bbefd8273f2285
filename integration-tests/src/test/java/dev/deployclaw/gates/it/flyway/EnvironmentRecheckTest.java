package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.flyway.GateCallback;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What runs before each migration of one Flyway run: the statement-level gates, with the environment checked at
 * {@code beforeMigrate} standing for the run until the recheck interval passes; and what meets a lock taken after that
 * check (the lock wait bound the gates put on Flyway's migration session).
 */
class EnvironmentRecheckTest {
    private static final List<String> SCHEMAS = List.of("fw_rc_default", "fw_rc_zero", "fw_rc_bound", "fw_rc_midrun");
    private static final List<String> ALL = List.of("topology", "replica-lag", "table-lock", "transaction-isolation",
            "rollback-validation", "ddl-risk", "flyway-config");
    private static PGSimpleDataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.dataSource("fw-recheck-test");
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    private static List<String> gates(GateReport r) {
        return r.verdicts().stream().map(v -> v.gate().value()).toList();
    }

    private static Verdict verdict(GateReport r, String gate) {
        return r.verdicts().stream().filter(v -> v.gate().value().equals(gate)).findFirst().orElseThrow();
    }

    @Test
    void byDefaultEachMigrationRunsTheStatementGatesAndTheRunsEnvironmentCheckStandsForTheRest() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports);

        GateCallback.register(FlywayFixtures.flyway(ds, "fw_rc_default", "five"), new GateCallback(auditor)).load().migrate();

        assertThat(reports.all).hasSize(6).allMatch(r -> r.decision() == Decision.SAFE_TO_MIGRATE);
        assertThat(gates(reports.all.get(0))).as("beforeMigrate: every gate").containsExactlyElementsOf(ALL);
        for (GateReport r : reports.all.subList(1, 6)) {
            assertThat(gates(r)).as("migration " + r.migrationVersion().orElseThrow())
                    .containsExactly("transaction-isolation", "rollback-validation", "ddl-risk", "flyway-config");
            assertThat(verdict(r, "transaction-isolation").detail())
                    .containsPattern("lock wait bound set to 3000 ms|verified on this session before the previous migration");
            assertThat(verdict(r, "rollback-validation").detail()).contains("checked at the start of this run");
        }
    }

    @Test
    void withARecheckOfZeroEveryGateRunsBeforeEveryMigration() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports);

        GateCallback.register(FlywayFixtures.flyway(ds, "fw_rc_zero", "five"),
                new GateCallback(auditor).environmentRecheck(Duration.ZERO)).load().migrate();

        assertThat(reports.all).hasSize(6).allMatch(r -> r.decision() == Decision.SAFE_TO_MIGRATE);
        for (GateReport r : reports.all.subList(1, 6)) {
            assertThat(gates(r)).containsExactlyElementsOf(ALL);
        }
        assertThat(verdict(reports.all.get(2), "table-lock").detail()).contains("fw_rc_zero.accounts");
    }

    @Test
    void theLockBoundIsPutOnTheConnectionTheMigrationsRunOnAndCheckedAgainAfterAMigrationThatSetsSessionSettings()
            throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports);

        GateCallback.register(FlywayFixtures.flyway(ds, "fw_rc_bound", "resetbound"), new GateCallback(auditor)).load().migrate();

        // beforeMigrate sees Flyway's main connection; with PostgreSQL's default transactional lock the migrations run
        // on a second one, so the bound is set there before the first migration
        assertThat(verdict(reports.all.get(1), "transaction-isolation").detail()).contains("lock wait bound set to 3000 ms");
        // V1 set nothing: the check before V2 need not read the session again
        assertThat(verdict(reports.all.get(2), "transaction-isolation").detail())
                .contains("verified on this session before the previous migration");
        // V2 ran "set lock_timeout = 0": the check before V3 reads the session, finds no bound and sets it again
        assertThat(verdict(reports.all.get(3), "transaction-isolation").detail()).contains("lock wait bound set to 3000 ms");
        assertThat(FlywayFixtures.history("fw_rc_bound")).containsExactly("1:true", "2:true", "3:true");
    }

    @Test
    @Timeout(120)
    void aLockTakenAfterTheRunsCheckMakesTheNextMigrationFailFastAndLeavesTheTenantAtAWholeVersion() throws Exception {
        LockTaker taker = new LockTaker("3", "update fw_rc_midrun.accounts set name = name");
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).maxLockWait(Duration.ofMillis(500)).build());
        try {
            var cfg = GateCallback.register(FlywayFixtures.flyway(ds, "fw_rc_midrun", "five"), new GateCallback(auditor));
            cfg = GateCallback.register(cfg, taker);
            var flyway = cfg.load();
            long t0 = System.nanoTime();
            assertThatThrownBy(flyway::migrate).isInstanceOf(FlywayException.class).satisfies(e -> {
                SQLException sql = sqlCause(e);
                assertThat(sql == null ? null : sql.getSQLState()).as("the DDL of V3 timed out on its lock: " + e)
                        .isEqualTo("55P03");
            });
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("failed fast, not queued").isLessThan(Duration.ofSeconds(30));
            assertThat(taker.holder).as("the lock was taken after the run's check").isNotNull();
        } finally {
            taker.close();
        }
        assertThat(FlywayFixtures.history("fw_rc_midrun")).containsExactly("1:true", "2:true");
        assertThat(FlywayFixtures.columnExists("fw_rc_midrun", "orders", "id")).isFalse();
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return s;
            }
        }
        return null;
    }

    /** Takes a lock from another session just before migration {@code version} starts (after the gates have run). */
    private static final class LockTaker implements Callback, AutoCloseable {
        private final String version;
        private final String sql;
        private LockHolder holder;

        LockTaker(String version, String sql) {
            this.version = version;
            this.sql = sql;
        }

        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.BEFORE_EACH_MIGRATE && context.getMigrationInfo().getVersion() != null
                    && context.getMigrationInfo().getVersion().getVersion().equals(version);
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            try {
                holder = LockHolder.postgres(TestDatabases.postgresUrl(), sql);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String getCallbackName() {
            return "zz-lock-taker"; // callbacks run sorted by name: after the gates
        }

        @Override
        public void close() throws SQLException {
            if (holder != null) {
                holder.close();
            }
        }
    }
}

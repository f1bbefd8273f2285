package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.ApprovedStatement;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.ExecutionResult;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.IsolationPolicy;
import dev.deployclaw.gates.core.MigrationExecutionException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.execute.MonitoredExecutor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.RollbackValidationGate;
import dev.deployclaw.gates.core.gate.TransactionIsolationGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * transaction-isolation, rollback-validation and executeWithMonitoring on real MariaDB 10.11: tx_isolation,
 * lock_wait_timeout in whole seconds, DDL auto-commit said plainly, binary log on/off and retention, USE `db` and its
 * reset, probe timeouts.
 */
class MariaDbSessionGatesTest {
    private static final String DB = "my_session";
    private static String primary;

    @BeforeAll
    static void database() throws SQLException {
        primary = MariaDb.freshDatabase(MariaDb.primaryUrl(), DB, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))");
    }

    @AfterAll
    static void drop() {
        MariaDb.dropDatabase(MariaDb.primaryUrl(), DB);
    }

    private static Verdict gate(AuditorConfig config, dev.deployclaw.gates.core.gate.Gate gate, Optional<Connection> session,
                                Optional<String> rollback) {
        return MariaDb.only(MariaDb.evaluate(config, List.of(gate), b -> {
            var r = MariaDb.alter("ALTER TABLE items ADD COLUMN price INT").schema(DB);
            session.ifPresent(r::session);
            rollback.ifPresent(r::rollbackStatement);
            return r;
        }));
    }

    private static String variable(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@SESSION." + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    // ---------------------------------------------------------------------------------------- transaction-isolation

    @Test
    void readsTxIsolationBecauseMariaDb1011HasNoTransactionIsolationVariable() throws SQLException {
        try (Connection c = TestDatabases.connect(primary); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT @@transaction_isolation"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1193));
            assertThat(Dialects.forKind(DatabaseKind.MARIADB).readIsolation(c)).isEqualTo(IsolationLevel.REPEATABLE_READ);
        }
    }

    @Test
    void adjustsTheSessionIsolationAndSaysThatDdlAutoCommitsSoLockWaitTimeoutBoundsTheWait() throws SQLException {
        try (Connection session = TestDatabases.connect(primary)) {
            Verdict v = gate(MariaDb.config(primary).requiredIsolation(IsolationLevel.READ_COMMITTED).build(),
                    new TransactionIsolationGate(), Optional.of(session), Optional.empty());
            System.out.println("transaction-isolation: " + v.detail());

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
            assertThat(v.detail()).contains("Isolation adjusted from REPEATABLE READ to READ COMMITTED")
                    .contains("every DDL statement commits on its own").contains("isolation cannot protect a DDL statement")
                    .contains("lock_wait_timeout = maxLockWait, 3 s");
            assertThat(variable(session, "tx_isolation")).isEqualTo("READ-COMMITTED");
            assertThat(variable(session, "lock_wait_timeout")).isEqualTo("3");
        }
    }

    @Test
    void roundsASubSecondMaxLockWaitUpToWholeSecondsAndSaysSo() throws SQLException {
        try (Connection session = TestDatabases.connect(primary)) {
            Verdict v = gate(MariaDb.config(primary).maxLockWait(Duration.ofMillis(1_500)).build(), new TransactionIsolationGate(),
                    Optional.of(session), Optional.empty());

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
            assertThat(v.detail()).contains("maxLockWait 1500 ms is enforced as 2 s (rounded up)");
            assertThat(variable(session, "lock_wait_timeout")).isEqualTo("2");
            assertThat(variable(session, "innodb_lock_wait_timeout")).isEqualTo("2");
            assertThat(Double.parseDouble(variable(session, "max_statement_time"))).isEqualTo(300.0);
        }
    }

    @Test
    void rejectsADifferentIsolationWhenThePolicyIsReject() throws SQLException {
        try (Connection session = TestDatabases.connect(primary)) {
            Verdict v = gate(MariaDb.config(primary).requiredIsolation(IsolationLevel.SERIALIZABLE)
                    .isolationPolicy(IsolationPolicy.REJECT).build(), new TransactionIsolationGate(), Optional.of(session), Optional.empty());

            assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("runs REPEATABLE READ but SERIALIZABLE is required and isolationPolicy is REJECT");
        }
    }

    // ---------------------------------------------------------------------------------------- rollback-validation

    @Test
    void passesWithBinaryLoggingRetentionAndGtidReportedWhenAPlanIsGiven() {
        Verdict v = gate(MariaDb.config(primary).build(), new RollbackValidationGate(), Optional.empty(),
                Optional.of("ALTER TABLE items DROP COLUMN price"));

        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
        assertThat(v.detail()).contains("point-in-time recovery available (binary log on (ROW), retention");
        String evidence = v.evidence().stream().filter(e -> e.name().equals("point-in-time recovery")).findFirst()
                .orElseThrow().measured();
        assertThat(evidence).contains("log_bin=ON").contains("binlog_expire_logs_seconds=").contains("gtid_binlog_pos=")
                .contains("gtid_strict_mode=").contains("current binary log=").contains("server=MariaDB 10.");
    }

    @Test
    void requiresARollbackPlanByDefaultBecauseDdlCannotBeRolledBack() {
        Verdict v = gate(MariaDb.config(primary).build(), new RollbackValidationGate(), Optional.empty(), Optional.empty());

        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("No rollback plan").contains("on MARIADB DDL commits on its own");
    }

    @Test
    void failsWhenBinlogRetentionIsBelowPolicy() throws SQLException {
        long retention = Long.parseLong(MariaDb.string(primary, "SELECT @@GLOBAL.binlog_expire_logs_seconds"));
        org.junit.jupiter.api.Assumptions.assumeTrue(retention > 0, "binary logs are never purged on this primary");

        Verdict v = gate(MariaDb.config(primary).minBinlogRetention(Duration.ofSeconds(retention).plusDays(1)).build(),
                new RollbackValidationGate(), Optional.empty(), Optional.of("ALTER TABLE items DROP COLUMN price"));

        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("binary logs are kept").contains("(binlog_expire_logs_seconds=" + retention + ")")
                .contains("less than minBinlogRetention").contains("SET GLOBAL binlog_expire_logs_seconds = " + (retention + 86_400));
    }

    @Test
    void failsWhenBinaryLoggingIsOff() throws SQLException {
        String url = MariaDb.pfsUrl(); // started with --skip-log-bin
        assertThat(MariaDb.string(url, "SELECT @@log_bin")).isEqualTo("0");

        Verdict v = MariaDb.only(MariaDb.evaluate(MariaDb.config(url).build(), List.of(new RollbackValidationGate()),
                b -> MariaDb.alter("ALTER TABLE t ADD COLUMN c INT").rollbackStatement("ALTER TABLE t DROP COLUMN c")));

        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("binary logging is off (log_bin=OFF)");
    }

    // ---------------------------------------------------------------------------------------- executeWithMonitoring

    @Test
    void executesAnApprovedAlterWithTimeoutsAndRecordsItsDuration() throws SQLException {
        MariaDb.exec(primary, "DROP TABLE IF EXISTS gated", "CREATE TABLE gated (id INT PRIMARY KEY)");
        SecurityAuditor auditor = new SecurityAuditor(MariaDb.config(primary).build());
        GateReport report = auditor.enforcePreMigrationGates(MariaDb.alter("ALTER TABLE gated ADD COLUMN note VARCHAR(10)")
                .schema(DB).rollbackStatement("ALTER TABLE gated DROP COLUMN note").build());
        assertThat(report.allGatesPassed()).as(report.toText()).isTrue();

        ExecutionResult result = auditor.executeWithMonitoring(report.approvedStatement().orElseThrow());

        assertThat(result.statements()).hasSize(1);
        assertThat(result.statements().get(0).durationMs()).isGreaterThanOrEqualTo(0);
        assertThat(result.transactional()).isFalse();
        assertThat(MariaDb.showCreate(primary, "gated")).contains("`note` varchar(10)");
    }

    @Test
    void failsFastOnAHeldMetadataLockWithLockWaitTimeoutAndLeavesTheTableUnchanged() throws Exception {
        MariaDb.exec(primary, "DROP TABLE IF EXISTS held", "CREATE TABLE held (id INT PRIMARY KEY)", "INSERT INTO held VALUES (1)");
        String before = MariaDb.showCreate(primary, "held");
        AuditorConfig config = MariaDb.config(primary).maxLockWait(Duration.ofMillis(800)).build();
        Dialect dialect = Dialects.forKind(DatabaseKind.MARIADB);
        ApprovedStatement approved = new ApprovedStatement("sg-test", List.of("ALTER TABLE held ADD COLUMN c INT"), DB,
                IsolationLevel.READ_COMMITTED, DatabaseKind.MARIADB, Instant.now(), Optional.empty());
        try (LockHolder holder = LockHolder.mysql(primary, "SELECT * FROM held FOR UPDATE")) {
            assertThatThrownBy(() -> new MonitoredExecutor(config, dialect).execute(approved))
                    .isInstanceOfSatisfying(MigrationExecutionException.class, e -> {
                        assertThat(e.lockTimeout()).isTrue();
                        assertThat(e.getMessage()).contains("within maxLockWait 800 ms (lock_wait_timeout 1 s, whole seconds rounded up)");
                    });
        }
        assertThat(MariaDb.showCreate(primary, "held")).isEqualTo(before);
    }

    @Test
    void usesTheTenantDatabaseAndRestoresTheSessionAfterwards() throws SQLException {
        Dialect dialect = Dialects.forKind(DatabaseKind.MARIADB);
        try (Connection c = TestDatabases.connect(MariaDb.primaryUrl())) {
            String lockDefault = variable(c, "lock_wait_timeout");
            String stmtDefault = variable(c, "max_statement_time");

            dialect.useSchema(c, DB);
            dialect.setMigrationTimeouts(c, Duration.ofSeconds(2), Duration.ofSeconds(30));
            assertThat(dialect.currentSchema(c)).isEqualTo(DB);
            assertThat(variable(c, "lock_wait_timeout")).isEqualTo("2");
            assertThat(Double.parseDouble(variable(c, "max_statement_time"))).isEqualTo(30.0);

            dialect.resetMigrationSession(c);
            assertThat(dialect.currentSchema(c)).isEqualTo("test");
            assertThat(variable(c, "lock_wait_timeout")).isEqualTo(lockDefault);
            assertThat(variable(c, "max_statement_time")).isEqualTo(stmtDefault);
        }
    }

    @Test
    void rejectsATenantDatabaseNameThatIsNotAPlainIdentifier() throws SQLException {
        Dialect dialect = Dialects.forKind(DatabaseKind.MARIADB);
        try (Connection c = TestDatabases.connect(MariaDb.primaryUrl())) {
            assertThatThrownBy(() -> dialect.useSchema(c, "x`; DROP DATABASE test; --"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema must contain only");
            assertThat(dialect.currentSchema(c)).isEqualTo("test");
        }
    }

    @Test
    void boundsEveryProbeQueryWithMaxStatementTime() throws SQLException {
        Dialect dialect = Dialects.forKind(DatabaseKind.MARIADB);
        try (Connection c = TestDatabases.connect(primary)) {
            dialect.applyProbeTimeouts(c, Duration.ofMillis(300));
            assertThat(Double.parseDouble(variable(c, "max_statement_time"))).isEqualTo(0.3);
            try (Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.executeQuery("SELECT COUNT(*) FROM information_schema.COLUMNS a,"
                        + " information_schema.COLUMNS b, information_schema.COLUMNS c"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1969));
            }
            dialect.resetProbeTimeouts(c);
            assertThat(Double.parseDouble(variable(c, "max_statement_time")))
                    .isEqualTo(Double.parseDouble(MariaDb.string(primary, "SELECT @@GLOBAL.max_statement_time")));
        }
    }
}

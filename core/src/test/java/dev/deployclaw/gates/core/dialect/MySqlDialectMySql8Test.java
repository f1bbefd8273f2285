package dev.deployclaw.gates.core.dialect;

import dev.deployclaw.gates.core.IsolationLevel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * The MySQL-8-only SQL paths of {@link MySqlDialect}, against result sets recorded from the MySQL 8.0/8.4 reference
 * manual (no MySQL 8 server can run here; MariaDB paths are covered by the integration tests on a real server).
 */
class MySqlDialectMySql8Test {
    private final Map<String, ResultSet> answers = new HashMap<>();
    private Connection connection;
    private Statement statement;

    @BeforeEach
    void connection() throws SQLException {
        connection = mock(Connection.class);
        statement = mock(Statement.class);
        when(connection.createStatement()).thenReturn(statement);
        when(statement.executeQuery(anyString())).thenAnswer(inv -> {
            String sql = inv.getArgument(0);
            ResultSet rs = answers.get(sql);
            if (rs == null) {
                throw new AssertionError("unexpected SQL for MySQL 8: " + sql + " (recorded: " + answers.keySet() + ")");
            }
            return rs;
        });
    }

    private static ResultSet replicaStatus(String io, String sql, int sqlErrno, String sqlError, Long behind) {
        Map<String, Object> row = new HashMap<>();
        row.put("Replica_IO_State", "Waiting for source to send event");
        row.put("Source_Host", "10.0.0.5");
        row.put("Replica_IO_Running", io);
        row.put("Replica_SQL_Running", sql);
        row.put("Last_IO_Errno", 0);
        row.put("Last_IO_Error", "");
        row.put("Last_SQL_Errno", sqlErrno);
        row.put("Last_SQL_Error", sqlError);
        row.put("Seconds_Behind_Source", behind);
        return RecordedResultSet.rows(List.of(row));
    }

    @Test
    void failsAReplicaClosedFromShowReplicaStatusWhenItsSqlThreadStoppedOnAnError() throws SQLException {
        answers.put("SHOW REPLICA STATUS", replicaStatus("Yes", "No", 1062, "Duplicate entry '7' for key 'PRIMARY'", null));
        MySqlDialect dialect = new MySqlDialect(MySqlFlavor.mysql(8, 0, 36));

        ReplicaStatus s = dialect.readReplica("replica-eu", connection, "app.deployclaw_heartbeat", Instant.now(),
                Duration.ofMillis(600));

        assertThat(s.healthy()).isFalse();
        assertThat(s.lagMs()).isEmpty();
        assertThat(s.problem()).hasValue("replica replica-eu is unhealthy: Replica_SQL_Running=No, Last_SQL_Errno=1062"
                + " (Duplicate entry '7' for key 'PRIMARY'), Seconds_Behind_Source=NULL (SHOW REPLICA STATUS); fix the error"
                + " and run START REPLICA on it");
        verify(statement).executeQuery("SHOW REPLICA STATUS");
    }

    @Test
    void reportsAServerWithoutReplicationSourceAsNotReplicating() throws SQLException {
        answers.put("SHOW REPLICA STATUS", RecordedResultSet.empty());

        ReplicaStatus s = new MySqlDialect(MySqlFlavor.mysql(8, 4, 0)).readReplica("r1", connection, "app.hb", Instant.now(),
                Duration.ofMillis(600));

        assertThat(s.problem()).get().asString().startsWith("replica r1 is not replicating: SHOW REPLICA STATUS returned no row");
    }

    @Test
    void usesShowSlaveStatusAndSlaveColumnsBeforeMySql8_0_22() throws SQLException {
        answers.put("SHOW SLAVE STATUS", RecordedResultSet.row("Slave_IO_Running", "Connecting", "Slave_SQL_Running", "Yes",
                "Last_IO_Errno", 2003, "Last_IO_Error", "error connecting to master", "Last_SQL_Errno", 0, "Last_SQL_Error", "",
                "Seconds_Behind_Master", null));

        ReplicaStatus s = new MySqlDialect(MySqlFlavor.mysql(8, 0, 21)).readReplica("old", connection, "app.hb", Instant.now(),
                Duration.ofMillis(600));

        assertThat(s.problem()).get().asString().contains("Slave_IO_Running=Connecting")
                .contains("Last_IO_Errno=2003 (error connecting to master)").endsWith("run START SLAVE on it");
    }

    @Test
    void readsIsolationFromTransactionIsolationOnMySql8() throws SQLException {
        answers.put("SELECT @@SESSION.transaction_isolation", RecordedResultSet.values("READ-COMMITTED"));

        assertThat(new MySqlDialect(MySqlFlavor.mysql(8, 0, 36)).readIsolation(connection)).isEqualTo(IsolationLevel.READ_COMMITTED);
    }

    @Test
    void setsLockWaitTimeoutInWholeSecondsAndMaxExecutionTimeInMillisecondsOnMySql8() throws SQLException {
        String sql = "SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?, max_execution_time = ?";
        PreparedStatement ps = mock(PreparedStatement.class);
        when(connection.prepareStatement(sql)).thenReturn(ps);

        new MySqlDialect(MySqlFlavor.mysql(8, 0, 36)).setMigrationTimeouts(connection, Duration.ofMillis(1_500),
                Duration.ofMinutes(5));

        verify(ps).setLong(1, 2L);
        verify(ps).setLong(2, 2L);
        verify(ps).setObject(3, 300_000L);
        verify(ps).execute();
    }

    @Test
    void boundsProbesWithMaxExecutionTimeAndTheJdbcQueryTimeoutOnMySql8() throws SQLException {
        PreparedStatement ps = mock(PreparedStatement.class);
        when(connection.prepareStatement("SET SESSION max_execution_time = ?, lock_wait_timeout = ?")).thenReturn(ps);
        answers.put("SELECT CONNECTION_ID()", RecordedResultSet.values(42L));
        MySqlDialect dialect = new MySqlDialect(MySqlFlavor.mysql(8, 0, 36));

        dialect.applyProbeTimeouts(connection, Duration.ofMillis(1_200));
        long id = dialect.sessionId(connection);

        verify(ps).setObject(1, 1_200L);
        verify(ps).setLong(2, 2L);
        verify(statement).setQueryTimeout(2);
        assertThat(id).isEqualTo(42L);
    }

    private void recordBinlog(long retentionSeconds) {
        answers.put("SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format", RecordedResultSet.values(1, "ROW"));
        answers.put("SELECT @@GLOBAL.binlog_expire_logs_seconds, NULL", RecordedResultSet.values(retentionSeconds, null));
        answers.put("SELECT 'gtid_mode', @@GLOBAL.gtid_mode, 'enforce_gtid_consistency', @@GLOBAL.enforce_gtid_consistency",
                RecordedResultSet.values("gtid_mode", "ON", "enforce_gtid_consistency", "ON"));
        answers.put("SHOW BINARY LOG STATUS", RecordedResultSet.row("File", "binlog.000042", "Position", 157L,
                "Binlog_Do_DB", "", "Binlog_Ignore_DB", "", "Executed_Gtid_Set", "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"));
    }

    @Test
    void acceptsMySql8_4DefaultRetentionAndReportsGtidModeAndTheBinaryLogPosition() throws SQLException {
        recordBinlog(2_592_000);

        RecoveryPoint rp = new MySqlDialect(MySqlFlavor.mysql(8, 4, 0)).recoveryPoint(connection, Duration.ofHours(24),
                Duration.ofDays(7));

        assertThat(rp.available()).as(rp.explanation()).isTrue();
        assertThat(rp.facts()).contains("server=MySQL 8.4.0", "log_bin=ON", "binlog_expire_logs_seconds=2592000", "gtid_mode=ON",
                "enforce_gtid_consistency=ON", "current binary log=binlog.000042:157");
        verify(statement).executeQuery("SHOW BINARY LOG STATUS");
    }

    @Test
    void failsRetentionBelowMinBinlogRetentionOnMySql8() throws SQLException {
        recordBinlog(86_400);

        RecoveryPoint rp = new MySqlDialect(MySqlFlavor.mysql(8, 4, 0)).recoveryPoint(connection, Duration.ofHours(24),
                Duration.ofDays(7));

        assertThat(rp.available()).isFalse();
        assertThat(rp.explanation()).isEqualTo("binary logs are kept 24 h 0 min (binlog_expire_logs_seconds=86400), less than"
                + " minBinlogRetention 168 h 0 min; raise it: SET GLOBAL binlog_expire_logs_seconds = 604800 (and in the"
                + " server's configuration), or lower minBinlogRetention");
    }

    @Test
    void readsProcessFromGrantsIncludingAllPrivileges() {
        assertThat(MySqlDialect.hasGlobalPrivilege(List.of("GRANT USAGE ON *.* TO `gate`@`%`",
                "GRANT SELECT, PROCESS, REPLICATION CLIENT ON *.* TO `gate`@`%`"), "PROCESS")).isTrue();
        assertThat(MySqlDialect.hasGlobalPrivilege(List.of("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"),
                "PROCESS")).isTrue();
        assertThat(MySqlDialect.hasGlobalPrivilege(List.of("GRANT USAGE ON *.* TO `gate`@`%`",
                "GRANT PROCESS ON `app`.* TO `gate`@`%`"), "PROCESS")).isFalse();
    }

    @Test
    void recognisesMetadataAndRowLockTimeoutsButNotStatementTimeouts() {
        MySqlDialect dialect = new MySqlDialect(MySqlFlavor.mysql(8, 0, 36));
        assertThat(dialect.isLockTimeout(new SQLException("Lock wait timeout exceeded", "HY000", 1205))).isTrue();
        assertThat(dialect.isLockTimeout(new SQLException("NOWAIT is set", "HY000", 3572))).isTrue();
        assertThat(dialect.isLockTimeout(new SQLException("max_statement_time exceeded", "70100", 1969))).isFalse();
    }

    @Test
    void refusesMySql5_7BecauseItsSqlWasNotWrittenForIt() {
        MySqlDialect dialect = new MySqlDialect(MySqlFlavor.mysql(5, 7, 44));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dialect.readIsolation(connection))
                .isInstanceOf(SQLException.class).hasMessageStartingWith("MySQL 5.7.44 is not supported: the gates need"
                        + " MariaDB 10.6+ or MySQL 8.0+");
    }

    @Test
    void quotesIdentifiersWithBackticks() {
        assertThat(new MySqlDialect(DatabaseKind.MYSQL).quote("we`ird")).isEqualTo("`we``ird`");
    }
}

package dev.deployclaw.gates.core.dialect;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MySqlFlavorTest {
    private static final MySqlFlavor MARIADB_10_11 = MySqlFlavor.mariadb(10, 11, 19);
    private static final MySqlFlavor MARIADB_11_4 = MySqlFlavor.mariadb(11, 4, 2);
    private static final MySqlFlavor MYSQL_8_0_21 = MySqlFlavor.mysql(8, 0, 21);
    private static final MySqlFlavor MYSQL_8_0_36 = MySqlFlavor.mysql(8, 0, 36);
    private static final MySqlFlavor MYSQL_8_4 = MySqlFlavor.mysql(8, 4, 0);

    @Test
    void parsesMariaDbVersionsWithAndWithoutTheReplicationPrefix() {
        assertThat(MySqlFlavor.parse("MySQL", "5.5.5-10.11.6-MariaDB-0+deb12u1")).isEqualTo(MySqlFlavor.mariadb(10, 11, 6));
        assertThat(MySqlFlavor.parse("MariaDB", "10.11.19-MariaDB-0+deb12u1-log")).isEqualTo(MARIADB_10_11);
        assertThat(MySqlFlavor.parse("MySQL", "11.4.2-MariaDB")).isEqualTo(MARIADB_11_4);
    }

    @Test
    void parsesMySqlVersions() {
        assertThat(MySqlFlavor.parse("MySQL", "8.0.36")).isEqualTo(MYSQL_8_0_36);
        assertThat(MySqlFlavor.parse("MySQL", "8.4.0-commercial")).isEqualTo(MYSQL_8_4);
        assertThat(MySqlFlavor.parse("MySQL", "9.1")).isEqualTo(MySqlFlavor.mysql(9, 1, 0));
    }

    @Test
    void rejectsAVersionItCannotRead() {
        assertThatThrownBy(() -> MySqlFlavor.parse("MySQL", "unknown")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server version must look like 8.0.36 or 10.11.6-MariaDB, but was 'unknown'");
    }

    @Test
    void readsIsolationFromTxIsolationOnlyOnMariaDbBefore11_1() {
        assertThat(MARIADB_10_11.isolationVariable()).isEqualTo("tx_isolation");
        assertThat(MARIADB_11_4.isolationVariable()).isEqualTo("transaction_isolation");
        assertThat(MYSQL_8_0_36.isolationVariable()).isEqualTo("transaction_isolation");
    }

    @Test
    void usesTheReplicaVocabularyFromMySql8_0_22AndTheSlaveVocabularyOnMariaDb() {
        assertThat(MYSQL_8_0_36.replicaStatusSql()).isEqualTo("SHOW REPLICA STATUS");
        assertThat(MYSQL_8_0_36.ioRunningColumn()).isEqualTo("Replica_IO_Running");
        assertThat(MYSQL_8_0_36.sqlRunningColumn()).isEqualTo("Replica_SQL_Running");
        assertThat(MYSQL_8_0_36.secondsBehindColumn()).isEqualTo("Seconds_Behind_Source");
        assertThat(MYSQL_8_0_21.replicaStatusSql()).isEqualTo("SHOW SLAVE STATUS");
        assertThat(MYSQL_8_0_21.ioRunningColumn()).isEqualTo("Slave_IO_Running");
        assertThat(MARIADB_11_4.replicaStatusSql()).isEqualTo("SHOW SLAVE STATUS");
        assertThat(MARIADB_11_4.secondsBehindColumn()).isEqualTo("Seconds_Behind_Master");
    }

    @Test
    void namesEachServersBinaryLogStatusStatement() {
        assertThat(MARIADB_10_11.binlogStatusSql()).isEqualTo("SHOW BINLOG STATUS");
        assertThat(MYSQL_8_0_36.binlogStatusSql()).isEqualTo("SHOW MASTER STATUS");
        assertThat(MySqlFlavor.mysql(8, 2, 0).binlogStatusSql()).isEqualTo("SHOW BINARY LOG STATUS");
        assertThat(MYSQL_8_4.binlogStatusSql()).isEqualTo("SHOW BINARY LOG STATUS");
        assertThat(MYSQL_8_4.binlogRetentionSql()).doesNotContain("expire_logs_days");
        assertThat(MARIADB_10_11.binlogRetentionSql()).contains("expire_logs_days");
    }

    @Test
    void namesEachServersPrivileges() {
        assertThat(MARIADB_10_11.replicaMonitorPrivilege()).isEqualTo("SLAVE MONITOR");
        assertThat(MYSQL_8_0_36.replicaMonitorPrivilege()).isEqualTo("REPLICATION CLIENT");
        assertThat(MARIADB_10_11.binlogMonitorPrivilege()).isEqualTo("BINLOG MONITOR");
        assertThat(MYSQL_8_4.binlogMonitorPrivilege()).isEqualTo("REPLICATION CLIENT");
    }

    @Test
    void usesMaxStatementTimeInSecondsOnMariaDbAndMaxExecutionTimeInMillisecondsOnMySql() {
        assertThat(MARIADB_10_11.statementTimeoutVariable()).isEqualTo("max_statement_time");
        assertThat(MARIADB_10_11.statementTimeoutValue(Duration.ofMillis(1_500))).isEqualTo(new BigDecimal("1.500"));
        assertThat(MARIADB_10_11.statementTimeoutCoversDdl()).isTrue();
        assertThat(MYSQL_8_0_36.statementTimeoutVariable()).isEqualTo("max_execution_time");
        assertThat(MYSQL_8_0_36.statementTimeoutValue(Duration.ofMillis(1_500))).isEqualTo(1_500L);
        assertThat(MYSQL_8_0_36.statementTimeoutCoversDdl()).isFalse();
    }

    @Test
    void roundsLockWaitTimeoutUpToWholeSeconds() {
        assertThat(MySqlFlavor.lockWaitSeconds(Duration.ofMillis(1))).isEqualTo(1);
        assertThat(MySqlFlavor.lockWaitSeconds(Duration.ofMillis(1_000))).isEqualTo(1);
        assertThat(MySqlFlavor.lockWaitSeconds(Duration.ofMillis(1_001))).isEqualTo(2);
        assertThat(MySqlFlavor.lockWaitSeconds(Duration.ofMillis(2_500))).isEqualTo(3);
    }

    @Test
    void knowsWhichVersionsAreSupported() {
        assertThat(MySqlFlavor.mariadb(10, 5, 20).supported()).isFalse();
        assertThat(MySqlFlavor.mariadb(10, 6, 0).supported()).isTrue();
        assertThat(MySqlFlavor.mysql(5, 7, 44).supported()).isFalse();
        assertThat(MYSQL_8_0_21.supported()).isTrue();
    }
}

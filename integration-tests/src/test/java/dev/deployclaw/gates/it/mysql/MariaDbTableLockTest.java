package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Evidence;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.MySqlDialect;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * table-lock on real MariaDB: a second connection holds a row lock (and with it a metadata lock) on the target table.
 * The primary (3306, performance_schema off) and the performance_schema server (3308) show every lock source:
 * performance_schema.metadata_locks, METADATA_LOCK_INFO, and the processlist + INNODB_TRX fallback.
 */
class MariaDbTableLockTest {
    private static final String DB = "my_lock";
    private static final String ALTER = "ALTER TABLE accounts ADD COLUMN note VARCHAR(40)";
    private String primary;

    @BeforeEach
    void tables() throws SQLException {
        primary = MariaDb.freshDatabase(MariaDb.primaryUrl(), DB,
                "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)", "INSERT INTO accounts VALUES (1, 10), (2, 20)",
                "CREATE TABLE other (id INT PRIMARY KEY)");
    }

    @AfterEach
    void cleanUp() throws SQLException {
        MariaDb.dropDatabase(MariaDb.primaryUrl(), DB);
        MariaDb.dropDatabase(MariaDb.primaryUrl(), DB + "_elsewhere");
        if (pfsUsed) {
            restorePfs();
        }
    }

    private boolean pfsUsed;

    private static Verdict tableLock(String url, AuditorConfig.Builder config, String sql) {
        return MariaDb.only(MariaDb.evaluate(config.build(), List.of(new TableLockGate()),
                b -> MariaDb.alter(sql).schema(DB).rollbackStatement("ALTER TABLE accounts DROP COLUMN note")));
    }

    private static String source(String url) throws SQLException {
        try (Connection c = TestDatabases.connect(url)) {
            return new MySqlDialect(DatabaseKind.MARIADB).chooseLockSource(c).label();
        }
    }

    private static String evidence(Verdict v, String name) {
        return v.evidence().stream().filter(e -> e.name().equals(name)).map(Evidence::measured).findFirst()
                .orElseThrow(() -> new AssertionError("no evidence '" + name + "' in " + v));
    }

    @Test
    void blocksWhenATransactionHoldsARowLockOnTheTargetTableAndTheAlterNeverRuns() throws Exception {
        String before = MariaDb.showCreate(primary, "accounts");
        try (LockHolder holder = LockHolder.mysql(primary, "UPDATE accounts SET balance = balance + 1 WHERE id = 1")) {
            Thread.sleep(1_100);
            SecurityAuditor auditor = new SecurityAuditor(MariaDb.config(primary).build());

            GateReport report = auditor.enforcePreMigrationGates(MariaDb.alter(ALTER).schema(DB)
                    .rollbackStatement("ALTER TABLE accounts DROP COLUMN note").build());
            if (report.allGatesPassed()) {
                auditor.executeWithMonitoring(report.approvedStatement().orElseThrow());
            }

            Verdict v = report.verdict(TableLockGate.ID).orElseThrow();
            System.out.println("table-lock on 3306: " + v.detail());
            assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("pid " + holder.pid() + " (").containsPattern("transaction age \\d+\\.\\d\\d s")
                    .contains("KILL <connection id>");
            assertThat(evidence(v, "blocking pid")).isEqualTo(String.valueOf(holder.pid()));
            assertThat(evidence(v, "lock source")).isEqualTo(source(primary));
            assertThat(v.detail()).contains("(lock source: " + source(primary) + ")");
        }
        assertThat(MariaDb.showCreate(primary, "accounts")).as("the ALTER never ran").isEqualTo(before).doesNotContain("note");
    }

    @Test
    void passesAndNamesTheLockSourceWhenNoSessionTouchesTheTable() throws Exception {
        try (LockHolder holder = LockHolder.mysql(MariaDb.primaryUrl(), "SELECT 1")) {
            Verdict v = tableLock(primary, MariaDb.config(primary), ALTER);

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
            assertThat(v.detail()).contains("0 other sessions hold or await locks").contains("lock source: " + source(primary));
        }
    }

    @Test
    void blocksOnATransactionOlderThanMaxTransactionAgeInAnotherDatabase() throws Exception {
        String elsewhere = MariaDb.freshDatabase(MariaDb.primaryUrl(), DB + "_elsewhere", "CREATE TABLE t (id INT PRIMARY KEY)");
        try (LockHolder holder = LockHolder.mysql(elsewhere, "INSERT INTO t VALUES (1)")) {
            Thread.sleep(2_100);
            Verdict v = tableLock(primary, MariaDb.config(primary).maxTransactionAge(Duration.ofSeconds(1)), ALTER);

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("pid " + holder.pid() + " (").contains("is older than maxTransactionAge 1.00 s");
            assertThat(evidence(v, "old transaction pid")).isEqualTo(String.valueOf(holder.pid()));
        }
    }

    @Test
    void listsASessionAlreadyWaitingForTheTablesMetadataLock() throws Exception {
        AtomicReference<Throwable> waiterResult = new AtomicReference<>();
        try (LockHolder holder = LockHolder.mysql(primary, "UPDATE accounts SET balance = 0 WHERE id = 2");
             Connection waiter = TestDatabases.connect(primary)) {
            long waiterId;
            try (Statement st = waiter.createStatement()) {
                st.execute("SET SESSION lock_wait_timeout = 5");
                var rs = st.executeQuery("SELECT CONNECTION_ID()");
                rs.next();
                waiterId = rs.getLong(1);
            }
            Thread t = new Thread(() -> {
                try (Statement st = waiter.createStatement()) {
                    st.execute("ALTER TABLE accounts ADD COLUMN waiting INT");
                } catch (SQLException e) {
                    waiterResult.set(e);
                }
            });
            t.start();
            MariaDbReplicaLagTest.waitUntil(() -> "1".equals(MariaDb.string(MariaDb.primaryUrl(), "SELECT COUNT(*) FROM"
                    + " information_schema.PROCESSLIST WHERE ID = " + waiterId + " AND STATE LIKE 'Waiting for table metadata lock%'")),
                    Duration.ofSeconds(4), "the ALTER to wait for its metadata lock");
            Thread.sleep(200); // INNODB_TRX is served from a cache refreshed at most every 100 ms

            Verdict v = tableLock(primary, MariaDb.config(primary), "CREATE INDEX ix_balance ON accounts (balance)");

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            // METADATA_LOCK_INFO lists the waiter with the upgradable lock it already holds; the processlist names the wait
            assertThat(v.detail()).contains("pid " + waiterId + " (Query: Waiting for table metadata lock")
                    .containsAnyOf("waits for a metadata lock on " + DB + ".accounts", "MDL_SHARED_UPGRADABLE on " + DB + ".accounts");
            assertThat(v.detail()).contains("pid " + holder.pid() + " (");
            t.join(10_000);
        }
        assertThat(waiterResult.get()).as("the waiting ALTER timed out (lock_wait_timeout) while the holder held on")
                .isInstanceOf(SQLException.class);
    }

    @Test
    void errorsClosedNamingTheGrantWhenTheGateUserLacksProcess() throws Exception {
        MariaDb.exec(MariaDb.primaryUrl(), "DROP USER IF EXISTS 'my_noproc'@'127.0.0.1'",
                "CREATE USER 'my_noproc'@'127.0.0.1' IDENTIFIED BY 'my_noproc_pw'",
                "GRANT ALL PRIVILEGES ON `" + DB + "`.* TO 'my_noproc'@'127.0.0.1'");
        try (LockHolder holder = LockHolder.mysql(primary, "UPDATE accounts SET balance = 1 WHERE id = 1")) {
            String url = primary.replace("user=root&password=", "user=my_noproc&password=my_noproc_pw");

            Verdict v = tableLock(url, MariaDb.config(url), ALTER);

            assertThat(v.outcome()).isEqualTo(Outcome.ERROR);
            assertThat(v.detail()).contains("user my_noproc@127.0.0.1 lacks the PROCESS privilege")
                    .contains("GRANT PROCESS ON *.* TO 'my_noproc'@'127.0.0.1';").contains("Blocking")
                    .doesNotContain("my_noproc_pw");
        } finally {
            MariaDb.exec(MariaDb.primaryUrl(), "DROP USER IF EXISTS 'my_noproc'@'127.0.0.1'");
        }
    }

    // ------------------------------------------------------------------ the three sources, on the performance_schema server

    private String pfsTable() throws SQLException {
        pfsUsed = true;
        restorePfs();
        return MariaDb.freshDatabase(MariaDb.pfsUrl(), DB,
                "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)", "INSERT INTO accounts VALUES (1, 10)");
    }

    private static void restorePfs() throws SQLException {
        String url = MariaDb.pfsUrl();
        if ("0".equals(MariaDb.string(url, "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'"))) {
            MariaDb.exec(url, "INSTALL SONAME 'metadata_lock_info'");
        }
        MariaDb.exec(url, "UPDATE performance_schema.setup_instruments SET ENABLED = 'YES' WHERE NAME = 'wait/lock/metadata/sql/mdl'");
        MariaDb.dropDatabase(url, DB);
    }

    private Verdict blockedOnPfsServer(String expectedSource) throws Exception {
        String url = MariaDb.withDatabase(MariaDb.pfsUrl(), DB);
        try (LockHolder holder = LockHolder.mysql(url, "UPDATE accounts SET balance = balance + 1 WHERE id = 1")) {
            Thread.sleep(1_100);
            Verdict v = tableLock(url, MariaDb.config(url), ALTER);
            System.out.println("table-lock via " + expectedSource + ": " + v.detail());

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            assertThat(evidence(v, "lock source")).isEqualTo(expectedSource);
            assertThat(v.detail()).contains("pid " + holder.pid() + " (").containsPattern("transaction age \\d+\\.\\d\\d s")
                    .contains("(lock source: " + expectedSource + ")");
            assertThat(evidence(v, "blocking pid")).isEqualTo(String.valueOf(holder.pid()));
            return v;
        }
    }

    @Test
    void readsPerformanceSchemaMetadataLocksWhenPerformanceSchemaIsOnAndInstrumented() throws Exception {
        pfsTable();
        assertThat(MariaDb.string(MariaDb.pfsUrl(), "SELECT @@performance_schema")).isEqualTo("1");

        Verdict v = blockedOnPfsServer(MySqlDialect.LockSource.PERFORMANCE_SCHEMA.label());

        assertThat(v.detail()).contains("holds SHARED_WRITE on " + DB + ".accounts");
    }

    @Test
    void readsMetadataLockInfoWhenThePerformanceSchemaInstrumentIsOff() throws Exception {
        pfsTable();
        MariaDb.exec(MariaDb.pfsUrl(), "UPDATE performance_schema.setup_instruments SET ENABLED = 'NO'"
                + " WHERE NAME = 'wait/lock/metadata/sql/mdl'");

        Verdict v = blockedOnPfsServer(MySqlDialect.LockSource.METADATA_LOCK_INFO.label());

        assertThat(v.detail()).contains("holds MDL_SHARED_WRITE on " + DB + ".accounts");
    }

    @Test
    void fallsBackToTheProcesslistAndInnodbTrxWithoutAnyMetadataLockSource() throws Exception {
        pfsTable();
        MariaDb.exec(MariaDb.pfsUrl(), "UPDATE performance_schema.setup_instruments SET ENABLED = 'NO'"
                + " WHERE NAME = 'wait/lock/metadata/sql/mdl'", "UNINSTALL SONAME 'metadata_lock_info'");

        Verdict v = blockedOnPfsServer(MySqlDialect.LockSource.PROCESSLIST.label());

        assertThat(v.detail()).contains("on database " + DB + " (1 rows and 1 tables locked");
    }

    @Test
    void passesOnThePerformanceSchemaServerWhenTheTableIsFree() throws Exception {
        pfsTable();
        String url = MariaDb.withDatabase(MariaDb.pfsUrl(), DB);

        Verdict v = tableLock(url, MariaDb.config(url), ALTER);

        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
        assertThat(v.detail()).contains("lock source: " + MySqlDialect.LockSource.PERFORMANCE_SCHEMA.label());
    }
}

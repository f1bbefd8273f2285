package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.gate.Evidence;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * replica-lag on the real MariaDB primary (3306) and replica (3307): real delay ({@code MASTER_DELAY}), a stopped SQL
 * thread, an unreachable replica. Every test that touches replication restores {@code MASTER_DELAY=0} and running
 * threads in {@code @AfterEach}.
 */
class MariaDbReplicaLagTest {
    private static final String DB = "my_lag";
    private static String primary;
    private static String replica;

    @BeforeAll
    static void databases() throws Exception {
        primary = MariaDb.freshDatabase(MariaDb.primaryUrl(), DB,
                "CREATE TABLE writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL)");
        replica = MariaDb.withDatabase(MariaDb.replicaUrl(), DB);
        waitUntil(() -> "1".equals(MariaDb.string(MariaDb.replicaUrl(),
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + DB + "' AND TABLE_NAME = 'writes'")),
                Duration.ofSeconds(30), "database " + DB + " to reach the replica");
    }

    @AfterAll
    static void drop() {
        MariaDb.dropDatabase(MariaDb.primaryUrl(), DB);
    }

    @AfterEach
    void restoreReplication() throws Exception {
        MariaDb.exec(MariaDb.replicaUrl(), "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE");
        // the next test starts from a replica that streams and has caught up: right after START SLAVE its I/O thread
        // may still be connecting (seen once in a full build: the next test's "caught up" check read FAILED)
        AuditorConfig config = config().build();
        waitUntil(() -> lagVerdict(config).outcome() == Outcome.PASSED, Duration.ofSeconds(30), "the replica to stream again");
    }

    private static AuditorConfig.Builder config() {
        return MariaDb.config(primary).replica("replica-3307", MariaDb.dataSource(replica));
    }

    private static Verdict lagVerdict(AuditorConfig config) {
        return MariaDb.only(MariaDb.evaluate(config, List.of(new ReplicaLagGate()),
                b -> b.environmentOnly(true).description("replica lag check")));
    }

    private static long measuredLag(Verdict v) {
        return v.evidence().stream().filter(e -> e.name().startsWith("lag of replica-3307")).map(Evidence::measured)
                .mapToLong(Long::parseLong).findFirst().orElseThrow(() -> new AssertionError("no lag evidence in " + v));
    }

    @Test
    void passesWithAMillisecondLagWhenTheReplicaIsCaughtUp() {
        Verdict v = lagVerdict(config().build());

        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
        assertThat(measuredLag(v)).isBetween(0L, 499L);
        assertThat(v.detail()).contains("replica-3307=").contains("below threshold (500ms)");
    }

    @Test
    void failsWithTheMeasuredLagWhenTheReplicaIsDelayedByTwoSecondsThenPassesOnceCaughtUp() throws Exception {
        AuditorConfig config = config().build();
        assertThat(lagVerdict(config).outcome()).as("caught up before the delay (creates the heartbeat table)")
                .isEqualTo(Outcome.PASSED);
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> writeUntilStopped(writing), "primary-writer");
        try {
            MariaDb.exec(MariaDb.replicaUrl(), "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 2", "START SLAVE");
            writer.start();
            Thread.sleep(300);
            // MASTER_DELAY counts from the event's binlog timestamp, which has whole seconds: a beat written late in a
            // second was seen 1.72 s behind with a 2 s delay; written early in a second, 1.99-2.54 s
            Thread.sleep(1_000 - System.currentTimeMillis() % 1_000 + 20);

            Verdict v = lagVerdict(config);
            System.out.println("delayed replica: " + v.detail());

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            assertThat(measuredLag(v)).isBetween(1_500L, 3_000L);
            assertThat(v.detail()).contains("replica replica-3307 is").contains("behind (heartbeat)").contains("(limit 500 ms)");
        } finally {
            writing.set(false);
            writer.join(5_000);
            MariaDb.exec(MariaDb.replicaUrl(), "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE");
        }
        waitUntil(() -> lagVerdict(config).outcome() == Outcome.PASSED, Duration.ofSeconds(30), "the replica to catch up");
        Verdict after = lagVerdict(config);
        assertThat(after.outcome()).as(after.detail()).isEqualTo(Outcome.PASSED);
    }

    @Test
    void failsClosedWhenTheReplicaSqlThreadIsStopped() throws Exception {
        MariaDb.exec(MariaDb.replicaUrl(), "STOP SLAVE SQL_THREAD");
        try {
            Verdict v = lagVerdict(config().build());

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("replica replica-3307 is unhealthy: Slave_SQL_Running=No")
                    .contains("SHOW SLAVE STATUS").contains("START SLAVE");
        } finally {
            MariaDb.exec(MariaDb.replicaUrl(), "START SLAVE");
        }
    }

    @Test
    void failsClosedWhenAReplicaIsUnreachable() {
        Verdict v = lagVerdict(config().replica("replica-gone", MariaDb.dataSource(
                "jdbc:mysql://127.0.0.1:3399/test?user=root&password=&connectTimeout=1000")).build());

        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("replica replica-gone is unreachable or failed to answer");
    }

    @Test
    void failsClosedWhenAConfiguredReplicaIsNotReplicating() {
        // the performance_schema server on 3308 is a stand-alone server, not a replica
        Verdict v = lagVerdict(config().replica("not-a-replica", MariaDb.dataSource(MariaDb.pfsUrl())).build());

        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("replica not-a-replica is not replicating: SHOW SLAVE STATUS returned no row");
    }

    @Test
    void skipsWithAnExplicitReasonWhenNoReplicaIsConfigured() {
        Verdict v = lagVerdict(MariaDb.config(primary).build());

        assertThat(v.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(v.detail()).contains("No replicas configured").contains("cannot report its replicas' lag");
    }

    @Test
    void reportsTheHeartbeatTableAsMissingWhenTheGateUserMayNotCreateIt() throws Exception {
        MariaDb.exec(MariaDb.primaryUrl(), "DROP USER IF EXISTS 'my_nocreate'@'127.0.0.1'",
                "CREATE USER 'my_nocreate'@'127.0.0.1' IDENTIFIED BY 'my_nocreate_pw'",
                "GRANT SELECT, INSERT, UPDATE ON `" + DB + "`.* TO 'my_nocreate'@'127.0.0.1'",
                "GRANT PROCESS ON *.* TO 'my_nocreate'@'127.0.0.1'");
        try {
            String url = primary.replace("user=root&password=", "user=my_nocreate&password=my_nocreate_pw");
            Verdict v = lagVerdict(MariaDb.config(url).heartbeatTable(DB + ".hb_missing")
                    .replica("replica-3307", MariaDb.dataSource(replica)).build());

            assertThat(v.outcome()).isEqualTo(Outcome.ERROR);
            assertThat(v.detail()).contains("heartbeat table `my_lag`.`hb_missing` is missing and could not be created")
                    .contains("create it on the primary as: CREATE TABLE IF NOT EXISTS `my_lag`.`hb_missing`")
                    .doesNotContain("my_nocreate_pw");
        } finally {
            MariaDb.exec(MariaDb.primaryUrl(), "DROP USER IF EXISTS 'my_nocreate'@'127.0.0.1'");
        }
    }

    @Test
    void failsClosedNamingTheGrantWhenTheReplicaUserLacksSlaveMonitor() throws Exception {
        MariaDb.exec(MariaDb.primaryUrl(), "DROP USER IF EXISTS 'my_nomon'@'127.0.0.1'",
                "CREATE USER 'my_nomon'@'127.0.0.1' IDENTIFIED BY 'my_nomon_pw'",
                "GRANT SELECT ON `" + DB + "`.* TO 'my_nomon'@'127.0.0.1'");
        try {
            waitUntil(() -> "1".equals(MariaDb.string(MariaDb.replicaUrl(),
                    "SELECT COUNT(*) FROM mysql.user WHERE User = 'my_nomon'")), Duration.ofSeconds(30), "the user to replicate");
            String url = replica.replace("user=root&password=", "user=my_nomon&password=my_nomon_pw");

            Verdict v = lagVerdict(MariaDb.config(primary).replica("replica-3307", MariaDb.dataSource(url)).build());

            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("replica replica-3307 is unreachable or failed to answer: cannot read SHOW SLAVE STATUS")
                    .contains("grant SLAVE MONITOR ON *.* to the gate user there").doesNotContain("my_nomon_pw");
        } finally {
            MariaDb.exec(MariaDb.primaryUrl(), "DROP USER IF EXISTS 'my_nomon'@'127.0.0.1'");
        }
    }

    private static void writeUntilStopped(AtomicBoolean writing) {
        try (Connection c = TestDatabases.connect(primary);
             PreparedStatement ps = c.prepareStatement("INSERT INTO writes (at) VALUES (NOW(6))")) {
            while (writing.get()) {
                ps.executeUpdate();
                Thread.sleep(50);
            }
        } catch (SQLException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitUntil(Check check, Duration max, String what) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + max + " waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}

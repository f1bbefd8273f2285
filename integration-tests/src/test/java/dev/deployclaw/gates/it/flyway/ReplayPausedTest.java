package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.core.tenant.TenantState;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * WAL replay paused on the real standby after the second tenant: the migrator waits between tenants, goes on by
 * itself when replay resumes within {@code maxLagWait}, and blocks with a replica-lag report when it does not.
 */
class ReplayPausedTest {
    private static final PGSimpleDataSource ds = FlywayFixtures.dataSource("fw-replay-test");

    @BeforeEach
    void clean() throws Exception {
        resumeReplay();
        FlywayFixtures.dropSchemasLike("fw\\_rp\\_%");
    }

    @AfterEach
    void resume() throws Exception {
        resumeReplay();
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_rp\\_%");
    }

    private static void resumeReplay() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresStandbyUrl()); Statement st = c.createStatement()) {
            st.execute("select pg_wal_replay_resume()");
        }
    }

    /** Pauses replay on the standby, then writes on the primary so the standby really falls behind. */
    private static void pauseReplay() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresStandbyUrl()); Statement st = c.createStatement()) {
            st.execute("select pg_wal_replay_pause()");
        }
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("create schema if not exists fw_rp_wal");
            st.execute("create table if not exists fw_rp_wal.t (x int)");
            st.execute("insert into fw_rp_wal.t values (1)");
        }
    }

    /** Pauses replay on the standby right after the second tenant is migrated, then signals {@code paused}. */
    private static final class PausingEngine implements MigrationEngine {
        private final FlywayEngine delegate = FlywayEngine.builder(Flyway.configure().dataSource(ds)
                .locations("classpath:db/fw/five")).build();
        private final CountDownLatch paused = new CountDownLatch(1);
        private int migrated;

        @Override public String name() { return "flyway"; }
        @Override public TenantState inspect(Tenant tenant) { return delegate.inspect(tenant); }

        @Override
        public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor) throws Exception {
            MigrationResult r = delegate.migrate(tenant, auditor);
            if (++migrated == 2) {
                pauseReplay();
                paused.countDown();
            }
            return r;
        }
    }

    private static List<String> tenants() {
        return IntStream.rangeClosed(1, 5).mapToObj(i -> "fw_rp_" + i).toList();
    }

    @Test
    void waitsWhileReplayIsPausedAndResumesByItselfWhenReplayResumesWithinTheBudget() throws Exception {
        PausingEngine engine = new PausingEngine();
        Thread resumer = new Thread(() -> {
            try {
                engine.paused.await();
                // let the migrator find the standby behind and start waiting, then resume replay
                TimeUnit.SECONDS.sleep(2);
                resumeReplay();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        resumer.start();
        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()), engine)
                .tenants(TenantSource.list(tenants())).maxLagWait(Duration.ofSeconds(60)).lagPollInterval(Duration.ofMillis(200))
                .build().run();
        resumer.join();
        System.out.println(report.toText());

        assertThat(report.count(TenantDecision.MIGRATED)).isEqualTo(5);
        assertThat(report.tenant("fw_rp_3").orElseThrow().lagWaitMs()).as("tenant 3 waited for the standby").isPositive();
        assertThat(report.tenant("fw_rp_2").orElseThrow().lagWaitMs()).isZero();
    }

    @Test
    void blocksWithAReplicaLagReportWhenReplayStaysPausedPastTheBudget() throws Exception {
        PausingEngine engine = new PausingEngine();
        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()), engine)
                .tenants(TenantSource.list(tenants())).maxLagWait(Duration.ofSeconds(1)).lagPollInterval(Duration.ofMillis(200))
                .failurePolicy(FailurePolicy.HALT).build().run();
        System.out.println(report.toText());

        RunReport.TenantRun t3 = report.tenant("fw_rp_3").orElseThrow();
        assertThat(t3.decision()).isEqualTo(TenantDecision.BLOCKED);
        assertThat(t3.failedGates()).containsExactly("replica-lag");
        assertThat(t3.detail()).startsWith("replica lag did not recover within maxLagWait 1.00 s: ").contains("deployclaw-standby");
        assertThat(t3.reports()).isNotEmpty().allSatisfy(r -> assertThat(r.blockingVerdicts())
                .extracting(v -> v.gate().value()).containsExactly("replica-lag"));
        assertThat(report.tenant("fw_rp_4").orElseThrow().decision()).isEqualTo(TenantDecision.NOT_STARTED);
        assertThat(FlywayFixtures.history("fw_rp_3")).isEmpty();
        assertThat(FlywayFixtures.history("fw_rp_2")).hasSize(5);
    }
}

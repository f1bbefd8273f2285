package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Evidence;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.Standby;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicaLagGateTest {
    private static final String SCHEMA = "fd_lag";

    @BeforeAll
    static void schema() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
    }

    @AfterAll
    static void cleanup() throws Exception {
        Standby.resumeReplay();
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    private static SecurityAuditor auditor() {
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica(TestDatabases.PG_STANDBY_NAME, TestDatabases.postgresStandby())
                .requirePointInTimeRecovery(false)
                .build());
    }

    private static MigrationRequest request() {
        return MigrationRequest.builder().schema(SCHEMA).operation("alter table users add column nickname text")
                .rollbackStatement("alter table users drop column nickname").build();
    }

    @Test
    void failsWithTheStandbysNameAndMeasuredLagWhileReplayIsPausedAndPassesOnceResumed() throws Exception {
        SecurityAuditor auditor = auditor();
        GateReport before = auditor.enforcePreMigrationGates(request());
        assertThat(before.verdict(ReplicaLagGate.ID).orElseThrow().outcome()).as(before.toText()).isEqualTo(Outcome.PASSED);
        Standby.pauseReplay();
        try {
            Standby.writeOnPrimary(SCHEMA);
            Thread.sleep(800); // let the standby fall behind: real lag, not a timing assertion
            Standby.writeOnPrimary(SCHEMA);
            GateReport blocked = auditor.enforcePreMigrationGates(request());
            Verdict lag = blocked.verdict(ReplicaLagGate.ID).orElseThrow();
            assertThat(lag.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(lag.detail()).contains("replica " + TestDatabases.PG_STANDBY_NAME + " is").contains("limit 500 ms");
            long measured = lag.evidence().stream().filter(e -> e.name().contains("heartbeat"))
                    .map(Evidence::measured).mapToLong(Long::parseLong).max().orElseThrow();
            assertThat(measured).isGreaterThan(500);
            assertThat(blocked.decision()).isEqualTo(Decision.BLOCKED);
            assertThat(blocked.approvedStatement()).isEmpty();
        } finally {
            Standby.resumeReplay();
        }
        GateReport healthy = auditor.enforcePreMigrationGates(request());
        assertThat(healthy.verdict(ReplicaLagGate.ID).orElseThrow().outcome()).as(healthy.toText()).isEqualTo(Outcome.PASSED);
        assertThat(healthy.verdict(ReplicaLagGate.ID).orElseThrow().detail()).contains(TestDatabases.PG_STANDBY_NAME);
    }

    @Test
    void failsClosedWhenAConfiguredReplicaIsUnreachable() {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica("replica-gone", TestDatabases.pgDataSource("jdbc:postgresql://127.0.0.1:5499/test?user=postgres&connectTimeout=2"))
                .requirePointInTimeRecovery(false).build());
        Verdict lag = auditor.enforcePreMigrationGates(request()).verdict(ReplicaLagGate.ID).orElseThrow();
        assertThat(lag.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(lag.detail()).contains("replica replica-gone is unreachable");
    }

    @Test
    void failsWhenAConfiguredReplicaIsNotAStandbyAtAll() {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica("not-a-replica", TestDatabases.postgres())
                .requirePointInTimeRecovery(false).build());
        Verdict lag = auditor.enforcePreMigrationGates(request()).verdict(ReplicaLagGate.ID).orElseThrow();
        assertThat(lag.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(lag.detail()).contains("not-a-replica is not a standby");
    }
}

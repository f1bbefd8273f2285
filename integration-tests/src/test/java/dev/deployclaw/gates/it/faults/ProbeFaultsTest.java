package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A probe that cannot finish in time ends as ERROR with the timeout named, and blocks. */
class ProbeFaultsTest {
    private static final String SCHEMA = "ft_probe";

    @BeforeAll
    static void schema() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
    }

    @AfterAll
    static void cleanup() throws Exception {
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    @Test
    void aProbeExceedingItsStatementTimeoutIsAnErrorThatBlocks() throws Exception {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica(TestDatabases.PG_STANDBY_NAME, TestDatabases.postgresStandby())
                .heartbeatTable(SCHEMA + ".heartbeat_locked")
                .probeTimeout(Duration.ofMillis(300)).requirePointInTimeRecovery(false).build());
        MigrationRequest request = MigrationRequest.builder().schema(SCHEMA).operation("alter table users add column x int")
                .rollbackStatement("alter table users drop column x").build();
        assertThat(auditor.enforcePreMigrationGates(request).decision()).as("creates the heartbeat table")
                .isEqualTo(Decision.SAFE_TO_MIGRATE);
        // a session holding the heartbeat table exclusively makes the heartbeat write wait past the probe timeout
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(),
                "lock table " + SCHEMA + ".heartbeat_locked in access exclusive mode")) {
            GateReport report = auditor.enforcePreMigrationGates(request);
            Verdict lag = report.verdict(ReplicaLagGate.ID).orElseThrow();
            assertThat(lag.outcome()).isEqualTo(Outcome.ERROR);
            assertThat(lag.sqlState()).contains("57014");
            assertThat(lag.detail()).contains("the probe exceeded its statement timeout").contains("fails closed");
            assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
        }
    }
}

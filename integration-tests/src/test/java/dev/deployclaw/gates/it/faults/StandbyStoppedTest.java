package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The local standby really stopped (pg_ctl stop), then rebuilt by the CI script. */
class StandbyStoppedTest {
    private static final String SCHEMA = "ft_standby";
    private static final Path DATA = Path.of("/var/lib/postgresql/deployclaw-standby-15");
    private static final Path CI_SCRIPT = Path.of("..", ".ci", "postgres.sh");

    @BeforeAll
    static void schema() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(DATA) && Files.exists(CI_SCRIPT),
                "needs the standby built by .ci/postgres.sh on this machine");
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
    }

    @AfterAll
    static void cleanup() throws Exception {
        run("bash", CI_SCRIPT.toString());
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    @Test
    void aStoppedStandbyBlocksWithTheReplicaNamedAndPassesOnceItIsBack() throws Exception {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica(TestDatabases.PG_STANDBY_NAME, TestDatabases.pgDataSource(
                        TestDatabases.postgresStandbyUrl() + "&connectTimeout=2"))
                .requirePointInTimeRecovery(false).build());
        MigrationRequest request = MigrationRequest.builder().schema(SCHEMA).operation("alter table users add column x int")
                .rollbackStatement("alter table users drop column x").build();
        assertThat(auditor.enforcePreMigrationGates(request).decision()).isEqualTo(Decision.SAFE_TO_MIGRATE);
        run("runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", DATA.toString(), "-m", "fast", "-w", "stop");
        try {
            GateReport report = auditor.enforcePreMigrationGates(request);
            Verdict lag = report.verdict(ReplicaLagGate.ID).orElseThrow();
            assertThat(lag.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(lag.detail()).contains("replica " + TestDatabases.PG_STANDBY_NAME + " is unreachable");
            assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
        } finally {
            run("bash", CI_SCRIPT.toString());
        }
        assertThat(auditor.enforcePreMigrationGates(request).decision()).isEqualTo(Decision.SAFE_TO_MIGRATE);
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }
}

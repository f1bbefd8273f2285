package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateContext;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Gates;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.gate.Verdicts;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FailClosedTest {
    private static final String SCHEMA = "fd_failclosed";
    private static final String ROLE = "deployclaw_it_nomonitor";

    @BeforeAll
    static void setUp() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + ROLE + "') then create role "
                    + ROLE + " login; end if; end $$");
            st.execute("grant usage on schema " + SCHEMA + " to " + ROLE);
        }
    }

    @AfterAll
    static void cleanup() throws Exception {
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    private static MigrationRequest request() {
        return MigrationRequest.builder().schema(SCHEMA).operation("alter table users add column x int")
                .rollbackStatement("alter table users drop column x").build();
    }

    /** A gate that kills the gate engine's own probe connection from a second session, as an operator might. */
    private static final class KillsTheProbe implements Gate {
        @Override
        public GateId id() {
            return GateId.of("kills-the-probe");
        }

        @Override
        public String action() {
            return "Terminating the gate engine's own connection";
        }

        @Override
        public Verdict evaluate(GateContext ctx) throws Exception {
            long pid = ctx.dialect().sessionId(ctx.probe());
            try (Connection other = TestDatabases.connect(TestDatabases.postgresUrl());
                 PreparedStatement ps = other.prepareStatement("select pg_terminate_backend(?::int)")) {
                ps.setLong(1, pid);
                ps.execute();
            }
            return Verdicts.passed(this, "terminated pid " + pid, List.of());
        }
    }

    @Test
    void theGatesOwnConnectionTerminatedMidEvaluationGivesErrorAndBlocksNeverSafe() {
        AuditorConfig config = AuditorConfig.builder(TestDatabases.postgres()).requirePointInTimeRecovery(false).build();
        List<Gate> gates = new ArrayList<>(Gates.defaults(config));
        gates.add(1, new KillsTheProbe());
        GateReport report = new SecurityAuditor(config, gates, List.of()).enforcePreMigrationGates(request());
        Verdict lag = report.verdict(ReplicaLagGate.ID).orElseThrow();
        Verdict lock = report.verdict(TableLockGate.ID).orElseThrow();
        assertThat(lag.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(lock.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(lock.detail()).contains("Gate table-lock could not decide").contains("fails closed");
        assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
        assertThat(report.approvedStatement()).isEmpty();
    }

    @Test
    void aRoleWithoutPgMonitorIsToldToGrantItAndBlocksInsteadOfReadingNulls() {
        String url = TestDatabases.postgresUrl().replace("user=postgres", "user=" + ROLE);
        GateReport report = new SecurityAuditor(AuditorConfig.builder(TestDatabases.pgDataSource(url))
                .requirePointInTimeRecovery(false).build()).enforcePreMigrationGates(request());
        Verdict lock = report.verdict(TableLockGate.ID).orElseThrow();
        assertThat(lock.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(lock.detail()).contains("grant pg_monitor to " + ROLE).contains("GRANT pg_monitor TO \"" + ROLE + "\"");
        assertThat(report.verdict(ReplicaLagGate.ID).orElseThrow().outcome()).isEqualTo(Outcome.ERROR);
        assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
    }

    @Test
    void anUnreachablePrimaryMakesEveryGateAnError() {
        GateReport report = new SecurityAuditor(AuditorConfig.builder(
                TestDatabases.pgDataSource("jdbc:postgresql://127.0.0.1:5499/test?user=postgres&connectTimeout=2")).build())
                .enforcePreMigrationGates(request());
        assertThat(report.verdicts()).isNotEmpty().allSatisfy(v -> assertThat(v.outcome()).isEqualTo(Outcome.ERROR));
        assertThat(report.verdicts().get(0).detail()).contains("Could not connect to or prepare the primary");
        assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
    }
}

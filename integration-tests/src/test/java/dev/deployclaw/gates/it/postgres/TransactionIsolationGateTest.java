package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.IsolationPolicy;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.TransactionIsolationGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionIsolationGateTest {
    private static final String SCHEMA = "fd_iso";

    @BeforeAll
    static void schema() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
    }

    @AfterAll
    static void cleanup() throws Exception {
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    private static GateReport evaluate(IsolationPolicy policy, Connection session) {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .isolationPolicy(policy).maxLockWait(Duration.ofSeconds(3)).requirePointInTimeRecovery(false).build());
        return auditor.enforcePreMigrationGates(MigrationRequest.builder().schema(SCHEMA).session(session)
                .operation("alter table users add column tenant_scope varchar(255)")
                .isolationLevel(IsolationLevel.SERIALIZABLE)
                .rollbackStatement("alter table users drop column tenant_scope").build());
    }

    private static String show(Connection c, String setting) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void rejectBlocksAReadCommittedSessionWhenSerializableIsRequired() throws Exception {
        try (Connection session = TestDatabases.connect(TestDatabases.postgresUrl())) {
            session.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            GateReport report = evaluate(IsolationPolicy.REJECT, session);
            Verdict v = report.verdict(TransactionIsolationGate.ID).orElseThrow();
            assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("runs READ COMMITTED but SERIALIZABLE is required and isolationPolicy is REJECT");
            assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
            assertThat(show(session, "transaction_isolation")).isEqualTo("read committed");
        }
    }

    @Test
    void adjustSetsSerializableAndTheLockTimeoutOnTheSessionAndPasses() throws Exception {
        try (Connection session = TestDatabases.connect(TestDatabases.postgresUrl())) {
            session.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            assertThat(show(session, "lock_timeout")).isEqualTo("0");
            Verdict v = evaluate(IsolationPolicy.ADJUST, session).verdict(TransactionIsolationGate.ID).orElseThrow();
            assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
            assertThat(v.detail()).contains("Isolation adjusted from READ COMMITTED to SERIALIZABLE").contains("lock wait bound set to 3000 ms");
            assertThat(session.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
            assertThat(show(session, "transaction_isolation")).isEqualTo("serializable");
            assertThat(show(session, "lock_timeout")).isEqualTo("3s");
        }
    }

    @Test
    void rejectBlocksASessionWithoutLockTimeoutEvenWhenTheIsolationIsRight() throws Exception {
        try (Connection session = TestDatabases.connect(TestDatabases.postgresUrl())) {
            session.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            Verdict v = evaluate(IsolationPolicy.REJECT, session).verdict(TransactionIsolationGate.ID).orElseThrow();
            assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("has no lock_timeout").contains("maxLockWait 3000 ms");
        }
    }
}

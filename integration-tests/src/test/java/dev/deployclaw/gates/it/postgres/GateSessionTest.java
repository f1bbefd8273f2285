package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.CountingDataSource;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One probe connection across the evaluations of a run, and a fresh one after it broke (a backend killed). */
class GateSessionTest {
    private static final String SCHEMA = "fd_session";
    private static final String APP = "deployclaw-gate-session-test";
    private final String url = TestDatabases.postgresUrl();
    private final CountingDataSource ds = new CountingDataSource(TestDatabases.pgDataSource(url));

    @BeforeEach
    void schema() throws Exception {
        ((PGSimpleDataSource) ds.target).setApplicationName(APP);
        PgSchemas.recreateWithUsers(url, SCHEMA);
    }

    @AfterEach
    void cleanup() throws Exception {
        PgSchemas.drop(url, SCHEMA);
    }

    private SecurityAuditor auditor() {
        return new SecurityAuditor(AuditorConfig.builder(ds).requirePointInTimeRecovery(false).build());
    }

    private static MigrationRequest request() {
        return MigrationRequest.builder().schema(SCHEMA).operation("alter table " + SCHEMA + ".users add column note text")
                .rollbackStatement("alter table " + SCHEMA + ".users drop column note").build();
    }

    @Test
    void evaluationsOfOneSessionShareOneProbeConnectionAndClosingGivesItBack() throws Exception {
        SecurityAuditor auditor = auditor();
        try (GateSession session = auditor.openSession()) {
            for (int i = 0; i < 3; i++) {
                assertThat(auditor.enforcePreMigrationGates(request(), session).allGatesPassed()).isTrue();
            }
            assertThat(ds.opened.get()).isEqualTo(1);
            assertThat(probes()).isEqualTo(1);
        }
        assertThat(probesOnceSettled()).as("closed with the session").isZero();

        for (int i = 0; i < 2; i++) {
            assertThat(auditor.enforcePreMigrationGates(request()).allGatesPassed()).isTrue();
        }
        assertThat(ds.opened.get()).as("without a session: one probe per evaluation").isEqualTo(3);
    }

    @Test
    void aKilledProbeFailsThatEvaluationClosedAndTheNextOneRunsOnANewConnection() throws Exception {
        SecurityAuditor auditor = auditor();
        try (GateSession session = auditor.openSession()) {
            assertThat(auditor.enforcePreMigrationGates(request(), session).allGatesPassed()).isTrue();
            try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
                st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = '" + APP + "'");
            }

            GateReport broken = auditor.enforcePreMigrationGates(request(), session);
            assertThat(broken.allGatesPassed()).isFalse();
            assertThat(broken.verdicts()).anyMatch(v -> v.outcome() == Outcome.ERROR);

            GateReport again = auditor.enforcePreMigrationGates(request(), session);
            assertThat(again.allGatesPassed()).as(again.toString()).isTrue();
            assertThat(ds.opened.get()).isEqualTo(2);
        }
    }

    @Test
    void aSessionServesOnlyTheConfigurationItWasOpenedFor() {
        GateSession other = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).build()).openSession();
        assertThatThrownBy(() -> auditor().enforcePreMigrationGates(request(), other))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openSession()");
        other.close();
        assertThatThrownBy(() -> new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).build())
                .enforcePreMigrationGates(request(), other)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The server ends a closed connection's backend a moment after the client goes: poll for up to 5 s. */
    private int probesOnceSettled() throws Exception {
        int n = probes();
        for (int i = 0; i < 50 && n > 0; i++) {
            Thread.sleep(100);
            n = probes();
        }
        return n;
    }

    private int probes() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from pg_stat_activity where application_name = '" + APP + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}

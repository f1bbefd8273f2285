package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.ddl.SizeThresholds;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.flyway.GateCallback;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Issue 6 through the Flyway adapter: the same CREATE INDEX is blocked on a big table and passes on an empty tenant. */
class FlywayDdlRiskTest {
    private static final List<String> SCHEMAS = List.of("fw_ddl_big", "fw_ddl_empty");
    private static final GateId DDL_RISK = GateId.of("ddl-risk");
    private static PGSimpleDataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.dataSource("fw-ddl-risk-test");
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    private static SecurityAuditor auditor() {
        // blocking at 1,000 rows keeps the test small; the production default is 1,000,000
        return new SecurityAuditor(FlywayFixtures.config(ds)
                .ddlSizeThresholds(new SizeThresholds(100, 1_000, 1L << 40, 1L << 41)).build());
    }

    @Test
    void createIndexIsBlockedOnATableAboveTheSizeThresholdAndPassesOnAnEmptyTenant() throws Exception {
        GateCallback gate = new GateCallback(auditor());
        GateCallback.register(FlywayFixtures.flyway(ds, "fw_ddl_big", "bigindex").target("1"), gate).load().migrate();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("insert into fw_ddl_big.events select g, 'kind-' || (g % 7) from generate_series(1, 5000) g");
            st.execute("analyze fw_ddl_big.events");
        }

        FlywayException e = catchThrowableOfType(FlywayException.class,
                () -> GateCallback.register(FlywayFixtures.flyway(ds, "fw_ddl_big", "bigindex"), gate).load().migrate());
        GateBlockedException blocked = (GateBlockedException) causeOfType(e, GateBlockedException.class);
        GateReport report = blocked.report();
        Verdict risk = report.verdict(DDL_RISK).orElseThrow();
        assertThat(risk.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(report.migrationVersion()).contains("2");
        assertThat(risk.detail()).contains("create-index-blocking").contains("fw_ddl_big.events has ≈ 5,000 rows")
                .contains("CONCURRENTLY");
        assertThat(blocked.getMessage()).contains("ddl-risk").contains("create-index-blocking");
        assertThat(FlywayFixtures.history("fw_ddl_big")).containsExactly("1:true");

        int applied = GateCallback.register(FlywayFixtures.flyway(ds, "fw_ddl_empty", "bigindex"), gate).load().migrate()
                .migrationsExecuted;
        assertThat(applied).isEqualTo(2);
        assertThat(FlywayFixtures.history("fw_ddl_empty")).containsExactly("1:true", "2:true");
    }

    private static Throwable causeOfType(Throwable t, Class<?> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return c;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the cause chain of " + t);
    }
}

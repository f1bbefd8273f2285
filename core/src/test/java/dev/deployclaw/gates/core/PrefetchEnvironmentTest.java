package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateContext;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.TopologyGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** The decisions of {@link SecurityAuditor#prefetchEnvironment}: which gates, which requests, what counts. */
class PrefetchEnvironmentTest {
    private final DataSource ds = mock(DataSource.class);
    private final Counting lock = new Counting(TableLockGate.ID, Outcome.FAILED);
    private final Counting topology = new Counting(TopologyGate.ID, Outcome.PASSED);
    private final Counting statements = new Counting(GateId.of("custom-statement-gate"), Outcome.PASSED);
    private SecurityAuditor auditor;

    /** A gate that counts its evaluations and answers {@code outcome}. */
    private static final class Counting implements Gate {
        final GateId id;
        final Outcome outcome;
        final AtomicInteger runs = new AtomicInteger();

        Counting(GateId id, Outcome outcome) {
            this.id = id;
            this.outcome = outcome;
        }

        @Override public GateId id() { return id; }
        @Override public String action() { return "counting " + id; }

        @Override
        public Verdict evaluate(GateContext context) {
            runs.incrementAndGet();
            return new Verdict(id, action(), outcome, id + " run " + runs.get(), List.of(), Optional.empty(), 0);
        }
    }

    @BeforeEach
    void postgres() throws Exception {
        Connection c = mock(Connection.class);
        DatabaseMetaData md = mock(DatabaseMetaData.class);
        when(ds.getConnection()).thenReturn(c);
        when(c.getMetaData()).thenReturn(md);
        when(md.getDatabaseProductName()).thenReturn("PostgreSQL");
        when(md.getDatabaseProductVersion()).thenReturn("15.10");
        auditor = new SecurityAuditor(AuditorConfig.builder(ds).build(), List.of(topology, lock, statements), List.of());
    }

    private static MigrationRequest environment(String schema) {
        return MigrationRequest.builder().environmentOnly(true).schema(schema).tenant(schema).toolTable("flyway_schema_history")
                .build();
    }

    @Test
    void onlyTheEnvironmentGatesRunInAdvanceAndTheirVerdictsBlockAsTheyWould() {
        try (GateSession session = auditor.openSession()) {
            auditor.prefetchEnvironment(environment("t1"), session, Runnable::run, Duration.ofMinutes(1));
            assertThat(topology.runs).hasValue(1);
            assertThat(lock.runs).hasValue(1);
            assertThat(statements.runs).as("not an environment gate: evaluated when asked").hasValue(0);

            GateReport r = auditor.enforcePreMigrationGates(environment("t1"), session);
            assertThat(topology.runs).as("its verdict from the check in advance stood").hasValue(1);
            assertThat(lock.runs).hasValue(1);
            assertThat(statements.runs).hasValue(1);
            assertThat(r.allGatesPassed()).as("a FAILED verdict checked in advance blocks like any other").isFalse();
            assertThat(r.blockingVerdicts()).singleElement().satisfies(v -> {
                assertThat(v.gate()).isEqualTo(TableLockGate.ID);
                assertThat(v.evidence()).anySatisfy(e -> assertThat(e.name()).isEqualTo("checked in advance"));
            });
        }
    }

    @Test
    void aRequestForAnotherTenantOrWithoutTheToolTableEvaluatesEveryGateItself() {
        try (GateSession session = auditor.openSession()) {
            auditor.prefetchEnvironment(environment("t1"), session, Runnable::run, Duration.ofMinutes(1));
            auditor.enforcePreMigrationGates(MigrationRequest.builder().environmentOnly(true).schema("t1").tenant("t1").build(),
                    session);
            assertThat(topology.runs).as("no tool table named: not the request checked in advance").hasValue(2);

            auditor.prefetchEnvironment(environment("t1"), session, Runnable::run, Duration.ofMinutes(1));
            GateReport r = auditor.enforcePreMigrationGates(environment("t2"), session);
            assertThat(topology.runs).hasValue(4);
            assertThat(r.prefetchMicros()).isZero();
        }
    }

    @Test
    void aRefusedCheckLeavesEveryGateToTheEvaluation() {
        Executor refusing = task -> {
            throw new RejectedExecutionException("shut down");
        };
        try (GateSession session = auditor.openSession()) {
            auditor.prefetchEnvironment(environment("t1"), session, refusing, Duration.ofMinutes(1));
            GateReport r = auditor.enforcePreMigrationGates(environment("t1"), session);
            assertThat(topology.runs).hasValue(1);
            assertThat(r.prefetchMicros()).isZero();
        }
    }

    @Test
    void onlyAnEnvironmentOnlyRequestWithoutStatementsCanBeCheckedInAdvance() {
        try (GateSession session = auditor.openSession()) {
            MigrationRequest ddl = MigrationRequest.builder().schema("t1").operation("alter table accounts add column x int").build();
            assertThatThrownBy(() -> auditor.prefetchEnvironment(ddl, session, Runnable::run, Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("only an environment-only request without statements");
            assertThatThrownBy(() -> auditor.prefetchEnvironment(environment("t1"), session, Runnable::run, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("maxAge must be zero or positive, but was PT-0.001S");
            SecurityAuditor other = new SecurityAuditor(AuditorConfig.builder(mock(DataSource.class)).build());
            assertThatThrownBy(() -> other.prefetchEnvironment(environment("t1"), session, Runnable::run, Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another data source");
        }
        assertThat(topology.runs).hasValue(0);
    }
}

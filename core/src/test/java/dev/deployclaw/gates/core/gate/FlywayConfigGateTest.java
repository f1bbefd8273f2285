package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialect;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

class FlywayConfigGateTest {
    private final Dialect postgres = mock(Dialect.class);

    private Verdict evaluate(MigrationRequest r) {
        when(postgres.kind()).thenReturn(DatabaseKind.POSTGRESQL);
        return new FlywayConfigGate().evaluate(new GateContext(AuditorConfig.builder(mock(DataSource.class)).build(), r,
                postgres, mock(Connection.class), "s", Optional.empty(), List.of()));
    }

    @Test
    void blocksAConcurrentIndexBuildBehindACommentUnderTheTransactionalLock() {
        Verdict v = evaluate(MigrationRequest.builder().migrationVersion("7").attribute(FlywayConfigGate.TRANSACTIONAL_LOCK, "true")
                .statements(List.of("-- why\n/* more */ CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)")).build());
        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).startsWith("Migration 7 runs CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) outside a transaction")
                .contains("setTransactionalLock(false)").contains("FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK=false");
    }

    @Test
    void passesTheSameBuildWithASessionLevelLock() {
        Verdict v = evaluate(MigrationRequest.builder().attribute(FlywayConfigGate.TRANSACTIONAL_LOCK, "false")
                .statements(List.of("reindex (verbose) index concurrently i")).build());
        assertThat(v.outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    void passesAPlainIndexAndSkipsRequestsWithoutFlywaySettings() {
        assertThat(evaluate(MigrationRequest.builder().attribute(FlywayConfigGate.TRANSACTIONAL_LOCK, "true")
                .statements(List.of("create index i on t (a)")).build()).outcome()).isEqualTo(Outcome.PASSED);
        assertThat(evaluate(MigrationRequest.builder().statements(List.of("create index concurrently i on t (a)")).build())
                .outcome()).isEqualTo(Outcome.SKIPPED);
    }
}

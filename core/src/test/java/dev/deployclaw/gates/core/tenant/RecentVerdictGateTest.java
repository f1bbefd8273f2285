package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.gate.Evidence;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateContext;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

class RecentVerdictGateTest {
    private static final GateId LAG = GateId.of("replica-lag");
    private final Gate real = mock(Gate.class);
    private final GateContext ctx = new GateContext(AuditorConfig.builder(mock(DataSource.class)).build(),
            MigrationRequest.builder().environmentOnly(true).build(), mock(Dialect.class), mock(Connection.class), "t1",
            Optional.of(Set.of()), List.of());

    private static Verdict verdict(Outcome outcome) {
        return new Verdict(LAG, "Querying replica lag", outcome, "Replica lag: standby=3ms.",
                List.of(Evidence.of("lag", 3, 500, "ms")), Optional.empty(), 4);
    }

    @Test
    void aYoungPassingVerdictStandsAndSaysWhereItComesFrom() throws Exception {
        when(real.id()).thenReturn(LAG);
        RecentVerdictGate gate = new RecentVerdictGate(real, verdict(Outcome.PASSED), System.nanoTime(), Duration.ofMinutes(1));

        Verdict v = gate.evaluate(ctx);

        assertThat(v.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(v.detail()).startsWith("Measured ").contains("by the migrator's between-tenant check: Replica lag: standby=3ms.");
        assertThat(v.evidence()).hasSize(1);
        verify(real, never()).evaluate(any());
    }

    @Test
    void anOldVerdictIsMeasuredAgainByTheRealGate() throws Exception {
        when(real.id()).thenReturn(LAG);
        Verdict fresh = verdict(Outcome.FAILED);
        when(real.evaluate(ctx)).thenReturn(fresh);
        long twoSecondsAgo = System.nanoTime() - Duration.ofSeconds(2).toNanos();
        RecentVerdictGate gate = new RecentVerdictGate(real, verdict(Outcome.PASSED), twoSecondsAgo, Duration.ofSeconds(1));

        assertThat(gate.evaluate(ctx)).isSameAs(fresh);
    }

    @Test
    void onlyAPassingVerdictOfTheSameGateCanStandForIt() {
        when(real.id()).thenReturn(LAG);
        assertThatThrownBy(() -> new RecentVerdictGate(real, verdict(Outcome.FAILED), System.nanoTime(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only a passing verdict");
        when(real.id()).thenReturn(GateId.of("table-lock"));
        assertThatThrownBy(() -> new RecentVerdictGate(real, verdict(Outcome.PASSED), System.nanoTime(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.AuditorConfig;

import java.util.List;

/**
 * The one ordered registry of gates. Order matters: the same failure always gives the same report, and the
 * report's steps follow the brief (topology first).
 */
public final class Gates {
    private Gates() {
    }

    public static List<Gate> defaults(AuditorConfig config) {
        return List.of(
                new TopologyGate(),
                new ReplicaLagGate(),
                new TableLockGate(),
                new TransactionIsolationGate(),
                new RollbackValidationGate(),
                new DdlRiskGate(),
                new FlywayConfigGate());
    }
}

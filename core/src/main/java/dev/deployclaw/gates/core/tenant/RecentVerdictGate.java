package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.GateContext;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Verdict;

import java.time.Duration;

/**
 * A gate whose passing verdict was measured a moment ago by the migrator itself (the between-tenant replica-lag
 * check): while that verdict is younger than {@code maxAge} it stands, said as such in the report; after that the
 * real gate measures again.
 */
final class RecentVerdictGate implements Gate {
    private final Gate gate;
    private final Verdict verdict;
    private final long atNanos;
    private final Duration maxAge;

    RecentVerdictGate(Gate gate, Verdict verdict, long atNanos, Duration maxAge) {
        if (!verdict.gate().equals(gate.id()) || verdict.blocks()) {
            throw new IllegalArgumentException("only a passing verdict of gate " + gate.id() + " can stand for it, not "
                    + verdict.gate() + " " + verdict.outcome());
        }
        this.gate = gate;
        this.verdict = verdict;
        this.atNanos = atNanos;
        this.maxAge = maxAge;
    }

    @Override
    public GateId id() {
        return gate.id();
    }

    @Override
    public String action() {
        return gate.action();
    }

    @Override
    public boolean readsOtherSessions() {
        return gate.readsOtherSessions();
    }

    @Override
    public Verdict evaluate(GateContext context) throws Exception {
        long age = System.nanoTime() - atNanos;
        if (age < 0 || age >= maxAge.toNanos()) {
            return gate.evaluate(context);
        }
        return new Verdict(verdict.gate(), verdict.action(), verdict.outcome(), "Measured " + age / 1_000_000
                + " ms before this tenant's run by the migrator's between-tenant check: " + verdict.detail(),
                verdict.evidence(), verdict.sqlState(), 0);
    }
}

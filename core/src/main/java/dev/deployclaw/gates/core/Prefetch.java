package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.gate.Evidence;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.Verdict;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * The environment gates of one schema, evaluated in advance on a {@link GateSession} by another thread while the
 * migration tool starts its run (see {@link SecurityAuditor#prefetchEnvironment}). The session's next evaluation
 * of a matching request takes these verdicts instead of evaluating the same gates again, if they are younger than
 * {@code maxAge} (counted from when the check started, not when it ended).
 */
final class Prefetch {
    private final SecurityAuditor auditor;
    private final MigrationRequest request;
    private final List<Gate> gates;
    private final Duration maxAge;
    private final CountDownLatch done = new CountDownLatch(1);
    /** Written by the evaluating thread before {@link #done} counts down, read after it. */
    private Map<Gate, Verdict> verdicts = Map.of();
    private long startNanos;
    private long micros;

    Prefetch(SecurityAuditor auditor, MigrationRequest request, List<Gate> gates, Duration maxAge) {
        this.auditor = Objects.requireNonNull(auditor, "auditor");
        this.request = Objects.requireNonNull(request, "request");
        this.gates = List.copyOf(gates);
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
    }

    /** Evaluates the gates on {@code session} (the evaluating thread). Never throws: a check that fails is not used. */
    void run(GateSession session) {
        startNanos = System.nanoTime();
        try {
            // a probe kept from the worker's previous tenant may have died since (a restart): give it up, open a new one
            session.discardIfBrokenNow();
            List<Verdict> list = auditor.evaluateInAdvance(request, session, gates);
            Map<Gate, Verdict> byGate = new IdentityHashMap<>();
            for (int i = 0; i < list.size(); i++) {
                byGate.put(gates.get(i), list.get(i));
            }
            verdicts = byGate;
        } catch (RuntimeException | Error e) {
            verdicts = Map.of();
        } finally {
            micros = (System.nanoTime() - startNanos) / 1000;
            done.countDown();
        }
    }

    /** Marks a check that never ran (its executor refused it): it has no verdicts. */
    void skip() {
        startNanos = System.nanoTime();
        done.countDown();
    }

    /** Waits for the check to end, keeping (not acting on) an interrupt: the session's connection must be free after. */
    void await() {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long the check took (microseconds), on the thread that ran it. */
    long micros() {
        return micros;
    }

    /**
     * The verdicts this check holds for {@code current}'s gates, if it was made by {@code by} for the same schema,
     * tenant and tool tables, as an environment-only check, and is younger than its maximum age; else empty. Each
     * verdict says in its evidence that it was checked in advance, and how long before.
     */
    Map<Gate, Verdict> verdictsFor(SecurityAuditor by, MigrationRequest current) {
        long age = System.nanoTime() - startNanos;
        if (verdicts.isEmpty() || by.config() != auditor.config() || age < 0 || age > maxAge.toNanos()
                || !current.environmentOnly() || !current.statements().isEmpty() || current.environmentChecked()
                || !current.schema().equals(request.schema()) || !current.tenant().equals(request.tenant())
                || !current.toolTables().equals(request.toolTables())) {
            return Map.of();
        }
        Map<Gate, Verdict> out = new IdentityHashMap<>();
        String when = age / 1_000_000 + " ms before this decision, while the migration tool started its run (valid for at most "
                + maxAge.toMillis() + " ms)";
        for (Gate g : by.gates()) {
            Verdict v = verdicts.get(g);
            if (v != null) {
                List<Evidence> ev = new ArrayList<>(v.evidence());
                ev.add(Evidence.fact("checked in advance", when));
                out.put(g, new Verdict(v.gate(), v.action(), v.outcome(), v.detail(), ev, v.sqlState(), v.durationMs()));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "Prefetch{" + request.schema().orElse("?") + ", " + gates.size() + " gates, maxAge " + maxAge.toMillis() + " ms}";
    }
}

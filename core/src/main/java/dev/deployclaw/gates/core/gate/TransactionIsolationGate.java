package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.IsolationPolicy;
import dev.deployclaw.gates.core.dialect.Dialect;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks the migration session: its isolation level against the required one (REJECT blocks; ADJUST sets it,
 * re-reads it and records the change) and that a lock wait bound ({@code lock_timeout}) no longer than
 * {@code maxLockWait} is in force, so the DDL can never queue for long behind a lock.
 *
 * <p>Without a session in the request (the raw {@code SecurityAuditor} API), the session is the one
 * {@code executeWithMonitoring} opens: it applies both settings itself, and the gate checks what it will start from.
 */
public final class TransactionIsolationGate implements Gate {
    public static final GateId ID = GateId.of("transaction-isolation");

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public String action() {
        return "Enforcing transaction isolation and lock timeout on the migration session";
    }

    @Override
    public Verdict evaluate(GateContext ctx) throws Exception {
        IsolationLevel required = ctx.requiredIsolation();
        IsolationPolicy policy = ctx.config().isolationPolicy();
        Duration maxLockWait = ctx.config().maxLockWait();
        boolean own = ctx.request().session().isEmpty();
        Connection session = ctx.request().session().orElse(ctx.probe());
        List<Evidence> ev = new ArrayList<>();
        List<String> notes = new ArrayList<>();

        if (!own && ctx.request().sessionChecked()) {
            return Verdicts.passed(this, "Isolation and lock wait bound verified on this session before the previous migration;"
                    + " the statements run on it since set no session setting.", List.of(Evidence.fact(
                    "isolation and lock wait bound of the migration session", "verified before the previous migration, unchanged since")));
        }
        Dialect.SessionBounds bounds = ctx.dialect().readSessionBounds(session);
        IsolationLevel current = bounds.isolation();
        ev.add(Evidence.of("isolation level" + (own ? " of a new session" : " of the migration session"), current.sql(),
                required.sql(), ""));
        if (current != required) {
            if (policy == IsolationPolicy.REJECT) {
                return Verdicts.failed(this, "The migration session runs " + current.sql() + " but " + required.sql()
                        + " is required and isolationPolicy is REJECT. Run the migration under " + required.sql()
                        + ", or set isolationPolicy ADJUST to let the gate set it.", ev);
            }
            if (own) {
                notes.add("a new session starts in " + current.sql() + "; executeWithMonitoring runs the statements under "
                        + required.sql());
            } else {
                ctx.dialect().setIsolation(session, required);
                bounds = ctx.dialect().readSessionBounds(session);
                IsolationLevel after = bounds.isolation();
                ev.add(Evidence.of("isolation level after adjustment", after.sql(), required.sql(), ""));
                if (after != required) {
                    return Verdicts.failed(this, "Set the migration session to " + required.sql() + " but it still reads "
                            + after.sql() + " (an open transaction keeps its level). Start the migration with "
                            + required.sql() + ".", ev);
                }
                notes.add("isolation adjusted from " + current.sql() + " to " + required.sql());
            }
        } else {
            notes.add("isolation " + current.sql() + " as required");
        }

        // MySQL's lock_wait_timeout takes whole seconds: the bound it can enforce is maxLockWait rounded up
        Duration bound = ctx.dialect().effectiveLockWait(maxLockWait);
        if (!bound.equals(maxLockWait)) {
            notes.add("lock_wait_timeout takes whole seconds, so maxLockWait " + maxLockWait.toMillis() + " ms is enforced as "
                    + bound.toSeconds() + " s (rounded up)");
        }
        Optional<Duration> lockTimeout = own ? Optional.of(bound) : bounds.lockTimeout();
        boolean lockOk = lockTimeout.isPresent() && lockTimeout.get().compareTo(bound) <= 0;
        if (!lockOk && !own) {
            if (policy == IsolationPolicy.REJECT) {
                ev.add(Evidence.of("lock wait bound of the migration session", lockTimeout.map(d -> d.toMillis() + "").orElse("none"),
                        maxLockWait.toMillis(), "ms"));
                return Verdicts.failed(this, "The migration session has " + lockTimeout.map(d -> "lock_timeout "
                        + d.toMillis() + " ms").orElse("no lock_timeout") + "; a DDL could queue behind a lock for longer than"
                        + " maxLockWait " + maxLockWait.toMillis() + " ms and stall every query behind it. Set lock_timeout to "
                        + maxLockWait.toMillis() + "ms, or use isolationPolicy ADJUST.", ev);
            }
            lockTimeout = ctx.dialect().setMigrationTimeoutsAndRead(session, maxLockWait, ctx.config().statementTimeout());
            notes.add("lock wait bound set to " + lockTimeout.map(d -> d.toMillis() + " ms").orElse("none"));
            lockOk = lockTimeout.isPresent() && lockTimeout.get().compareTo(bound) <= 0;
        } else {
            notes.add("lock wait bound " + lockTimeout.map(d -> d.toMillis() + " ms").orElse("none")
                    + (own ? " (lock_timeout set by executeWithMonitoring)" : " in force"));
        }
        ev.add(Evidence.of("lock wait bound", lockTimeout.map(d -> d.toMillis() + "").orElse("none"), bound.toMillis(), "ms"));
        if (!lockOk) {
            return Verdicts.failed(this, "Could not put a lock wait bound of at most " + bound.toMillis()
                    + " ms in force on the migration session.", ev);
        }
        if (ctx.dialect().ddlAutoCommits()) {
            notes.add("note: on " + ctx.dialect().kind() + " every DDL statement commits on its own (an implicit commit before"
                    + " and after it), so isolation cannot protect a DDL statement and a failed multi-statement migration stays"
                    + " half-applied; the lock wait bound (lock_wait_timeout = maxLockWait, " + bound.toSeconds()
                    + " s) is what limits how long a DDL waits for its metadata lock");
        }
        return Verdicts.passed(this, capitalize(String.join("; ", notes)) + ".", ev);
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}

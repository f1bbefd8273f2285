package dev.deployclaw.gates.core.gate;

/**
 * One pre-migration check. Implementations are small final classes with a kebab-case {@link #id()}; they are
 * listed once, in order, in {@link Gates}.
 *
 * <p>{@link #evaluate(GateContext)} returns a verdict for every situation it can name. The runner turns an
 * exception escaping from it into an {@link Outcome#ERROR} verdict, which blocks.
 */
public interface Gate {
    GateId id();

    /** The step's action in the report, e.g. "Querying replica lag across read-only instances". */
    String action();

    Verdict evaluate(GateContext context) throws Exception;

    /**
     * True when the gate reads other sessions or replication state, which needs a monitoring privilege
     * ({@code pg_monitor}); without it the gate is not run and reports ERROR.
     */
    default boolean readsOtherSessions() {
        return false;
    }
}

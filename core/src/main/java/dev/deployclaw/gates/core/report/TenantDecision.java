package dev.deployclaw.gates.core.report;

/** What happened to one tenant in a multi-tenant run. */
public enum TenantDecision {
    /** Gates passed and the pending migrations were applied. */
    MIGRATED,
    /** Nothing was pending (already at the target version): left alone. */
    UP_TO_DATE,
    /** A gate blocked; the migration that would have started did not start. */
    BLOCKED,
    /** The migration tool failed (or the tenant could not be read). */
    FAILED,
    /** Not started: the run halted (failure policy HALT, or a canary was blocked or failed). */
    NOT_STARTED;

    /** True for the decisions that make a run unsuccessful. */
    public boolean problem() {
        return this == BLOCKED || this == FAILED;
    }
}

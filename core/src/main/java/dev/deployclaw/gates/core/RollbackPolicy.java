package dev.deployclaw.gates.core;

/** Whether a missing rollback plan blocks a migration. */
public enum RollbackPolicy {
    /** A migration without a rollback plan (or an explicit roll-forward-only marker) is blocked. */
    REQUIRE_PLAN,
    /** A missing plan is reported as WARNED and does not block. */
    REPORT
}

package dev.deployclaw.gates.core;

/** What the {@code transaction-isolation} gate does when the migration session's isolation is not the required one. */
public enum IsolationPolicy {
    /** Set the required level on the session, re-read it, and pass with the change recorded. */
    ADJUST,
    /** Block the migration. */
    REJECT
}

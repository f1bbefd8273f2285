package dev.deployclaw.gates.core.report;

/** The overall decision of a gate evaluation. */
public enum Decision {
    SAFE_TO_MIGRATE,
    BLOCKED
}

package dev.deployclaw.gates.core.gate;

/**
 * The verdict of one gate. {@link #FAILED} and {@link #ERROR} block the migration; everything else lets it pass.
 */
public enum Outcome {
    /** The condition was measured and is within its limit. */
    PASSED,
    /** Measured, within limits, but worth a human look (never blocks). */
    WARNED,
    /** Explicitly not applicable, with a reason in the report. Never hides a configured check. */
    SKIPPED,
    /** A finding the operator acknowledged with a reasoned override; does not block. */
    ACKNOWLEDGED,
    /** Measured and over its limit: blocks. */
    FAILED,
    /** The gate could not decide (SQL error, timeout, missing privilege): blocks, fail closed. */
    ERROR;

    public boolean blocks() {
        return this == FAILED || this == ERROR;
    }
}

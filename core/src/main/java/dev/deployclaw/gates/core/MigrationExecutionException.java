package dev.deployclaw.gates.core;

/** An approved statement failed while executing; the message says which, why, and what was left applied. */
public class MigrationExecutionException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean lockTimeout;

    public MigrationExecutionException(String message, boolean lockTimeout, Throwable cause) {
        super(message, cause);
        this.lockTimeout = lockTimeout;
    }

    /** True when the statement gave up waiting for its lock (lock_timeout / lock_wait_timeout). */
    public boolean lockTimeout() {
        return lockTimeout;
    }
}

package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.IsolationLevel;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What {@link SecurityAuditor#executeWithMonitoring(ApprovedStatement)} did.
 *
 * @param executionId the approving report's id
 * @param statements  one entry per statement
 * @param isolation   the isolation the statements ran under
 * @param lockTimeout the lock wait bound in force
 * @param transactional whether the statements ran in one transaction (false when a statement cannot, e.g.
 *                    {@code CREATE INDEX CONCURRENTLY}, or on MySQL where DDL commits on its own)
 * @param totalMs     wall time of the whole execution
 * @param lockRetries how many times a lock timeout was retried (with exponential backoff) before it succeeded
 */
public record ExecutionResult(String executionId, List<StatementExecution> statements, IsolationLevel isolation,
                              Duration lockTimeout, boolean transactional, long totalMs, int lockRetries) {
    public ExecutionResult {
        statements = List.copyOf(statements);
    }

    /** Without retries, as before {@code lockRetries} existed. */
    public ExecutionResult(String executionId, List<StatementExecution> statements, IsolationLevel isolation,
                           Duration lockTimeout, boolean transactional, long totalMs) {
        this(executionId, statements, isolation, lockTimeout, transactional, totalMs, 0);
    }

    /**
     * @param sql        the statement
     * @param lockWaitMs how long acquiring its table lock took, when it was taken explicitly first
     * @param durationMs how long the statement ran (after the lock)
     */
    public record StatementExecution(String sql, Optional<Long> lockWaitMs, long durationMs) {
    }

    /** The brief's sentence: "Migration executed under SERIALIZABLE isolation. Lock acquired in 45ms, completed in 1,240ms." */
    public String describe() {
        long lock = statements.stream().mapToLong(s -> s.lockWaitMs().orElse(0L)).sum();
        boolean measured = statements.stream().anyMatch(s -> s.lockWaitMs().isPresent());
        return "Migration executed under " + isolation.sql() + " isolation with lock_timeout " + lockTimeout.toMillis() + "ms"
                + (transactional ? " in one transaction" : " statement by statement")
                + (lockRetries > 0 ? " after " + lockRetries + " lock-timeout retr" + (lockRetries == 1 ? "y" : "ies") : "") + ". "
                + (measured ? "Lock acquired in " + lock + "ms, completed in " + totalMs + "ms." : "Completed in " + totalMs + "ms.");
    }
}

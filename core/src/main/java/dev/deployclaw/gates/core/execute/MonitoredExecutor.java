package dev.deployclaw.gates.core.execute;

import dev.deployclaw.gates.core.ApprovedStatement;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.ExecutionResult;
import dev.deployclaw.gates.core.MigrationExecutionException;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TouchedTables;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.internal.Secrets;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runs approved statements with {@code lock_timeout} = maxLockWait and {@code statement_timeout} in force, under the
 * approved isolation, in one transaction where the database and the statements allow it. On PostgreSQL the table
 * lock a DDL needs is taken explicitly first ({@code LOCK TABLE … IN … MODE}) so the time spent waiting for it is
 * measured apart from the statement's own run time.
 */
public final class MonitoredExecutor {
    private final AuditorConfig config;
    private final Dialect dialect;

    public MonitoredExecutor(AuditorConfig config, Dialect dialect) {
        this.config = config;
        this.dialect = dialect;
    }

    public ExecutionResult execute(ApprovedStatement approved) {
        long start = System.nanoTime();
        boolean transactional = approved.database() == DatabaseKind.POSTGRESQL
                && approved.statements().stream().allMatch(MonitoredExecutor::canRunInTransaction);
        List<ExecutionResult.StatementExecution> done = new ArrayList<>();
        try (Connection c = config.dataSource().getConnection()) {
            boolean autoCommitBefore = c.getAutoCommit();
            int isolationBefore = c.getTransactionIsolation();
            try {
                c.setAutoCommit(true);
                dialect.setIsolation(c, approved.isolation());
                dialect.setMigrationTimeouts(c, config.maxLockWait(), config.statementTimeout());
                dialect.useSchema(c, approved.schema());
                c.setAutoCommit(!transactional);
                int index = 0;
                for (String sql : approved.statements()) {
                    index++;
                    done.add(run(c, sql, index, approved, transactional));
                }
                if (transactional) {
                    c.commit();
                }
            } catch (SQLException e) {
                if (transactional) {
                    rollbackQuietly(c);
                }
                throw failure(e, approved, done, transactional);
            } finally {
                resetQuietly(c, autoCommitBefore, isolationBefore);
            }
        } catch (SQLException e) {
            throw new MigrationExecutionException("Could not open or reset the migration session on the primary: "
                    + Secrets.mask(e.getMessage()), false, e);
        }
        return new ExecutionResult(approved.executionId(), done, approved.isolation(), config.maxLockWait(), transactional,
                (System.nanoTime() - start) / 1_000_000);
    }

    private ExecutionResult.StatementExecution run(Connection c, String sql, int index, ApprovedStatement approved,
                                                    boolean transactional) throws SQLException {
        Optional<Long> lockWait = Optional.empty();
        try (Statement st = c.createStatement()) {
            Optional<String> lockMode = transactional ? explicitLockMode(sql) : Optional.empty();
            Optional<Set<TableRef>> tables = TouchedTables.of(sql);
            if (lockMode.isPresent() && tables.isPresent() && !tables.get().isEmpty()) {
                String list = tables.get().stream().map(t -> t.schema().map(s -> dialect.quote(s) + ".").orElse("")
                        + dialect.quote(t.name())).collect(Collectors.joining(", "));
                long l0 = System.nanoTime();
                st.execute("lock table " + list + " in " + lockMode.get() + " mode");
                lockWait = Optional.of((System.nanoTime() - l0) / 1_000_000);
            }
            long s0 = System.nanoTime();
            st.execute(sql);
            return new ExecutionResult.StatementExecution(sql, lockWait, (System.nanoTime() - s0) / 1_000_000);
        }
    }

    /** The lock PostgreSQL takes for the statement, for an explicit, timed LOCK TABLE first; empty = don't. */
    static Optional<String> explicitLockMode(String sql) {
        String u = normalized(sql);
        if (u.startsWith("ALTER TABLE") || u.startsWith("DROP TABLE") || u.startsWith("TRUNCATE")) {
            return Optional.of("access exclusive");
        }
        if ((u.startsWith("CREATE INDEX") || u.startsWith("CREATE UNIQUE INDEX")) && !u.contains(" CONCURRENTLY ")) {
            return Optional.of("share");
        }
        return Optional.empty();
    }

    /** False for statements PostgreSQL refuses inside a transaction block. */
    static boolean canRunInTransaction(String sql) {
        String u = normalized(sql);
        return !(u.contains(" CONCURRENTLY ") || u.startsWith("VACUUM") || u.startsWith("CREATE DATABASE")
                || u.startsWith("DROP DATABASE") || u.startsWith("ALTER SYSTEM") || u.startsWith("CREATE TABLESPACE")
                || u.startsWith("DROP TABLESPACE") || (u.startsWith("ALTER TYPE") && u.contains(" ADD VALUE ")));
    }

    private static String normalized(String sql) {
        return sql.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\\n]*", " ").replaceAll("\\s+", " ").strip()
                .toUpperCase(Locale.ROOT) + " ";
    }

    private MigrationExecutionException failure(SQLException e, ApprovedStatement approved,
                                                List<ExecutionResult.StatementExecution> done, boolean transactional) {
        int failedIndex = done.size() + 1;
        String sql = approved.statements().get(Math.min(failedIndex, approved.statements().size()) - 1);
        String applied = transactional ? "nothing was applied (the transaction was rolled back)"
                : done.size() + " earlier statement(s) stay applied (they could not run in one transaction)";
        if (dialect.isLockTimeout(e)) {
            boolean mysql = dialect.kind().mysqlFamily();
            return new MigrationExecutionException("Statement " + failedIndex + " could not get its lock within maxLockWait "
                    + config.maxLockWait().toMillis() + " ms (" + (mysql ? "lock_wait_timeout "
                    + dialect.effectiveLockWait(config.maxLockWait()).toSeconds() + " s, whole seconds rounded up" : "lock_timeout")
                    + "), so it failed fast instead of queueing and stalling the queries behind it; " + applied
                    + ". Statement: " + abbreviate(sql) + ". Find the blocking session ("
                    + (mysql ? "the table-lock gate's report, or SHOW PROCESSLIST" : "pg_blocking_pids") + ") and retry.", true, e);
        }
        return new MigrationExecutionException("Statement " + failedIndex + " failed: " + Secrets.mask(e.getMessage())
                + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")") + "; " + applied
                + ". Statement: " + abbreviate(sql), false, e);
    }

    private static String abbreviate(String sql) {
        String one = Secrets.mask(sql).replaceAll("\\s+", " ");
        return one.length() > 200 ? one.substring(0, 197) + "..." : one;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; closing it is all that is left
        }
    }

    private void resetQuietly(Connection c, boolean autoCommit, int isolation) {
        try {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
            c.setAutoCommit(true);
            dialect.resetMigrationSession(c);
            c.setTransactionIsolation(isolation);
            c.setAutoCommit(autoCommit);
        } catch (SQLException ignored) {
            // a broken connection is discarded by its pool
        }
    }
}

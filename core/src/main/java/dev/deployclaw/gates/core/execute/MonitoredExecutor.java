package dev.deployclaw.gates.core.execute;

import dev.deployclaw.gates.core.ApprovedStatement;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.ExecutionResult;
import dev.deployclaw.gates.core.MigrationExecutionException;
import dev.deployclaw.gates.core.ddl.LockMode;
import dev.deployclaw.gates.core.ddl.StatementAnalysis;
import dev.deployclaw.gates.core.ddl.StatementAnalyzer;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TouchedTables;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.SessionInfo;
import dev.deployclaw.gates.core.internal.Secrets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runs approved statements with {@code lock_timeout} = maxLockWait and {@code statement_timeout} in force, under the
 * approved isolation, in one transaction where the database and the statements allow it. On PostgreSQL the table
 * locks a statement needs (as {@link StatementAnalyzer} predicts them) are taken explicitly first
 * ({@code LOCK TABLE … IN … MODE}) so the time spent waiting for them is measured apart from the statement's own run
 * time.
 *
 * <p>On a lock timeout it retries up to {@code lockRetries} times, waiting {@code lockRetryBackoff}, then twice
 * that, and so on: a transactional run starts again from its first statement (the rollback undid everything), a
 * statement-by-statement run from the statement that timed out. When the retries are spent it fails with the
 * sessions holding the conflicting locks, read from a separate probe connection at that moment.
 */
public final class MonitoredExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(MonitoredExecutor.class);
    private static final String UNDEFINED_TABLE = "42P01";
    private static final int HOLDERS_LISTED = 5;

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
        int retries = 0;
        try (Connection c = config.dataSource().getConnection()) {
            boolean autoCommitBefore = c.getAutoCommit();
            int isolationBefore = c.getTransactionIsolation();
            try {
                c.setAutoCommit(true);
                dialect.setIsolation(c, approved.isolation());
                dialect.setMigrationTimeouts(c, config.maxLockWait(), config.statementTimeout());
                dialect.useSchema(c, approved.schema());
                long ownPid = dialect.sessionId(c);
                c.setAutoCommit(!transactional);
                while (true) {
                    try {
                        for (int index = done.size() + 1; index <= approved.statements().size(); index++) {
                            done.add(run(c, approved.statements().get(index - 1), transactional, approved.database()));
                        }
                        if (transactional) {
                            c.commit();
                        }
                        break;
                    } catch (SQLException e) {
                        int failedIndex = done.size() + 1;
                        if (!dialect.isLockTimeout(e)) {
                            if (transactional) {
                                rollbackQuietly(c);
                            }
                            throw failure(e, approved, done, transactional, retries, List.of());
                        }
                        List<String> holders = holders(approved, failedIndex, ownPid);
                        if (transactional) {
                            rollbackQuietly(c);
                        }
                        if (retries >= config.lockRetries()) {
                            throw lockFailure(e, approved, done, transactional, retries, holders, failedIndex);
                        }
                        Duration wait = backoff(retries);
                        retries++;
                        LOG.info("{}: statement {} could not get its lock within {} ms; retry {} of {} in {} ms",
                                approved.executionId(), failedIndex, config.maxLockWait().toMillis(), retries,
                                config.lockRetries(), wait.toMillis());
                        if (transactional) {
                            done.clear();
                        }
                        sleep(wait, e);
                    }
                }
            } finally {
                resetQuietly(c, autoCommitBefore, isolationBefore);
            }
        } catch (SQLException e) {
            throw new MigrationExecutionException("Could not open or reset the migration session on the primary: "
                    + Secrets.mask(e.getMessage()), false, e);
        }
        return new ExecutionResult(approved.executionId(), done, approved.isolation(), config.maxLockWait(), transactional,
                (System.nanoTime() - start) / 1_000_000, retries);
    }

    /** The wait before retry {@code n + 1}: backoff × 2^n. */
    Duration backoff(int n) {
        return config.lockRetryBackoff().multipliedBy(1L << Math.min(n, 20));
    }

    private static void sleep(Duration d, SQLException cause) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new MigrationExecutionException("Interrupted while waiting to retry after a lock timeout; nothing more"
                    + " was run.", true, cause);
        }
    }

    private ExecutionResult.StatementExecution run(Connection c, String sql, boolean transactional, DatabaseKind db)
            throws SQLException {
        Optional<Long> lockWait = Optional.empty();
        try (Statement st = c.createStatement()) {
            Map<LockMode, List<TableRef>> explicit = transactional ? explicitLocks(sql) : Map.of();
            if (!explicit.isEmpty()) {
                long l0 = System.nanoTime();
                for (Map.Entry<LockMode, List<TableRef>> e : explicit.entrySet()) {
                    String list = e.getValue().stream().map(t -> t.schema().map(s -> dialect.quote(s) + ".").orElse("")
                            + dialect.quote(t.name())).collect(Collectors.joining(", "));
                    Savepoint sp = c.setSavepoint();
                    try {
                        st.execute("lock table " + list + " in " + e.getKey().sqlName() + " mode");
                        c.releaseSavepoint(sp);
                    } catch (SQLException ex) {
                        if (!UNDEFINED_TABLE.equals(ex.getSQLState())) {
                            throw ex;
                        }
                        // e.g. DROP TABLE IF EXISTS of a table that is not there: the statement itself decides
                        c.rollback(sp);
                    }
                }
                lockWait = Optional.of((System.nanoTime() - l0) / 1_000_000);
            }
            long s0 = System.nanoTime();
            st.execute(sql);
            return new ExecutionResult.StatementExecution(sql, lockWait, (System.nanoTime() - s0) / 1_000_000);
        }
    }

    /**
     * The table locks PostgreSQL takes for the statement, for explicit, timed {@code LOCK TABLE}s first, strongest
     * first; empty when the statement takes nothing stronger than row locks (DML) or creates the table.
     */
    static Map<LockMode, List<TableRef>> explicitLocks(String sql) {
        StatementAnalysis a = StatementAnalyzer.of(DatabaseKind.POSTGRESQL).analyze(sql);
        Map<LockMode, List<TableRef>> out = new EnumMap<>(LockMode.class);
        if (!a.understood() || a.kind() == dev.deployclaw.gates.core.ddl.StatementKind.LOCK_TABLE) {
            return out;
        }
        a.locks().forEach((t, m) -> {
            if (m.ordinal() >= LockMode.SHARE_UPDATE_EXCLUSIVE.ordinal() && !a.createdTables().contains(t)) {
                out.computeIfAbsent(m, k -> new ArrayList<>()).add(t);
            }
        });
        Map<LockMode, List<TableRef>> strongestFirst = new LinkedHashMap<>();
        List<LockMode> modes = new ArrayList<>(out.keySet());
        java.util.Collections.reverse(modes);
        modes.forEach(m -> strongestFirst.put(m, out.get(m)));
        return strongestFirst;
    }

    /** The lock PostgreSQL takes for the statement (strongest), in LOCK TABLE words; empty = don't lock explicitly. */
    static Optional<String> explicitLockMode(String sql) {
        return explicitLocks(sql).keySet().stream().findFirst().map(LockMode::sqlName);
    }

    /** False for statements PostgreSQL refuses inside a transaction block. */
    static boolean canRunInTransaction(String sql) {
        String u = normalized(sql);
        boolean legacy = !(u.contains(" CONCURRENTLY ") || u.startsWith("VACUUM") || u.startsWith("CREATE DATABASE")
                || u.startsWith("DROP DATABASE") || u.startsWith("ALTER SYSTEM") || u.startsWith("CREATE TABLESPACE")
                || u.startsWith("DROP TABLESPACE") || (u.startsWith("ALTER TYPE") && u.contains(" ADD VALUE ")));
        return legacy && StatementAnalyzer.of(DatabaseKind.POSTGRESQL).analyze(sql).canRunInTransaction();
    }

    private static String normalized(String sql) {
        return sql.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\\n]*", " ").replaceAll("\\s+", " ").strip()
                .toUpperCase(Locale.ROOT) + " ";
    }

    /**
     * Who holds the locks the statement waited for, read now from a separate probe connection ({@code pg_locks}),
     * keeping only modes that conflict with the one requested when that is known. Never throws: a failed probe
     * says so in the list.
     */
    private List<String> holders(ApprovedStatement approved, int failedIndex, long ownPid) {
        String sql = approved.statements().get(failedIndex - 1);
        Optional<Set<TableRef>> tables = TouchedTables.of(sql);
        Optional<LockMode> requested = approved.database() == DatabaseKind.POSTGRESQL
                ? StatementAnalyzer.of(DatabaseKind.POSTGRESQL).analyze(sql).strongestLock() : Optional.empty();
        try (Connection probe = config.dataSource().getConnection()) {
            probe.setAutoCommit(true);
            dialect.applyProbeTimeouts(probe, config.probeTimeout());
            try {
                List<SessionInfo> all = dialect.lockHolders(probe, tables.orElse(Set.of()), approved.schema(),
                        tables.isPresent() ? List.of() : List.of(approved.schema()), List.of(ownPid));
                List<SessionInfo> granted = all.stream().filter(SessionInfo::granted).toList();
                List<SessionInfo> conflicting = requested.map(r -> granted.stream().filter(s -> s.lockMode()
                        .map(m -> conflicts(r, m)).orElse(true)).toList()).orElse(granted);
                List<SessionInfo> shown = conflicting.isEmpty() ? all : conflicting;
                Map<Long, SessionInfo> byPid = new LinkedHashMap<>();
                shown.forEach(s -> byPid.putIfAbsent(s.pid(), s));
                List<String> out = new ArrayList<>();
                byPid.values().stream().limit(HOLDERS_LISTED).forEach(s -> out.add(Secrets.mask(s.describe())));
                if (byPid.size() > HOLDERS_LISTED) {
                    out.add("and " + (byPid.size() - HOLDERS_LISTED) + " more");
                }
                return out;
            } finally {
                try {
                    dialect.resetProbeTimeouts(probe);
                } catch (SQLException ignored) {
                    // a broken probe connection is discarded by its pool
                }
            }
        } catch (SQLException | RuntimeException e) {
            return List.of("the holder could not be read: " + Secrets.mask(String.valueOf(e.getMessage())));
        }
    }

    private static boolean conflicts(LockMode requested, String held) {
        try {
            return requested.conflictsWith(LockMode.parse(held));
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    private MigrationExecutionException lockFailure(SQLException e, ApprovedStatement approved,
                                                    List<ExecutionResult.StatementExecution> done, boolean transactional,
                                                    int retries, List<String> holders, int failedIndex) {
        String sql = approved.statements().get(failedIndex - 1);
        String applied = transactional ? "nothing was applied (the transaction was rolled back)"
                : done.size() + " earlier statement(s) stay applied (they could not run in one transaction)";
        StringBuilder waits = new StringBuilder();
        for (int i = 0; i < retries; i++) {
            waits.append(i == 0 ? "" : ", ").append(backoff(i).toMillis()).append(" ms");
        }
        String attempts = (retries + 1) + " attempt" + (retries == 0 ? "" : "s") + (retries == 0 ? ""
                : " (retried " + retries + " time" + (retries == 1 ? "" : "s") + " after waiting " + waits + ")");
        String who = holders.isEmpty() ? "no session holds a conflicting lock any more (it ended just now)"
                : "blocked by " + String.join("; ", holders);
        return new MigrationExecutionException("Statement " + failedIndex + " could not get its lock within maxLockWait "
                + config.maxLockWait().toMillis() + " ms (" + (dialect.kind().mysqlFamily() ? "lock_wait_timeout "
                + dialect.effectiveLockWait(config.maxLockWait()).toSeconds() + " s, whole seconds rounded up" : "lock_timeout")
                + ") in " + attempts + "; " + who
                + ". It failed fast instead of queueing and stalling the queries behind it; " + applied
                + ". Statement: " + abbreviate(sql) + ". End or terminate the blocking session"
                + (approved.database() == DatabaseKind.POSTGRESQL ? " (pg_terminate_backend(pid))" : " (KILL <id>)")
                + " and retry, or raise lockRetries.", true, e);
    }

    private MigrationExecutionException failure(SQLException e, ApprovedStatement approved,
                                                List<ExecutionResult.StatementExecution> done, boolean transactional,
                                                int retries, List<String> holders) {
        int failedIndex = done.size() + 1;
        String sql = approved.statements().get(Math.min(failedIndex, approved.statements().size()) - 1);
        String applied = transactional ? "nothing was applied (the transaction was rolled back)"
                : done.size() + " earlier statement(s) stay applied (they could not run in one transaction)";
        return new MigrationExecutionException("Statement " + failedIndex + " failed: " + Secrets.mask(e.getMessage())
                + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")") + "; " + applied
                + (retries > 0 ? " (after " + retries + " lock-timeout retries)" : "")
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

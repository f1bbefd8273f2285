package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one statement will do to the tables it touches, predicted before it runs.
 *
 * @param sql                 the statement as written
 * @param database            the database family it was analysed for
 * @param kind                the statement's kind; for an {@code ALTER TABLE} with several actions, the riskiest one
 * @param actions             every action, in order (one element for most statements)
 * @param tables              the tables the statement names
 * @param locks               PostgreSQL: the strongest table lock taken on each named table (empty on MySQL)
 * @param namedIndex          the index a statement names instead of its table ({@code DROP INDEX i}, {@code REINDEX INDEX i})
 * @param indexTableLock      PostgreSQL: the lock taken on the table that owns {@code namedIndex}
 * @param rewrites            true when the table's data is rewritten (new relfilenode / table copy or rebuild)
 * @param scansUnderLock      true when the whole table is read while the lock is held (validation, index build)
 * @param canRunInTransaction false for statements the server refuses in a transaction block; on MySQL every DDL
 *                            commits on its own, so false for DDL there
 * @param algorithm           MySQL family: the least-locking {@code ALGORITHM}/{@code LOCK} the server accepts
 * @param understood          false when neither the classifier nor the parser could read it: needs approval
 * @param notes               assumptions the prediction rests on, in one sentence each
 * @param createdTables       tables this statement creates (they count as empty for later statements)
 */
public record StatementAnalysis(String sql, DatabaseKind database, StatementKind kind, List<StatementKind> actions,
                                List<TableRef> tables, Map<TableRef, LockMode> locks, Optional<TableRef> namedIndex,
                                Optional<LockMode> indexTableLock, boolean rewrites, boolean scansUnderLock,
                                boolean canRunInTransaction, Optional<MySqlAlgorithm> algorithm, boolean understood,
                                List<String> notes, Set<TableRef> createdTables) {
    public StatementAnalysis {
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(kind, "kind");
        actions = List.copyOf(actions);
        tables = List.copyOf(tables);
        locks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(locks));
        Objects.requireNonNull(namedIndex, "namedIndex");
        Objects.requireNonNull(indexTableLock, "indexTableLock");
        Objects.requireNonNull(algorithm, "algorithm");
        notes = List.copyOf(notes);
        createdTables = Set.copyOf(createdTables);
    }

    public boolean has(StatementKind k) {
        return actions.contains(k);
    }

    /** The strongest lock the statement takes on any table (including an index's table); empty when none. */
    public Optional<LockMode> strongestLock() {
        LockMode m = indexTableLock.orElse(null);
        for (LockMode l : locks.values()) {
            m = l.max(m);
        }
        return Optional.ofNullable(m);
    }

    /** True when ordinary writes to a touched table wait while this statement runs. */
    public boolean blocksWrites() {
        return strongestLock().map(LockMode::blocksWrites).orElse(false)
                || algorithm.map(MySqlAlgorithm::blocksWrites).orElse(false);
    }
}

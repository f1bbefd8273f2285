package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.deployclaw.gates.core.ddl.DdlRule.Match;
import static dev.deployclaw.gates.core.ddl.Severity.BLOCK;
import static dev.deployclaw.gates.core.ddl.Severity.INFO;
import static dev.deployclaw.gates.core.ddl.Severity.WARN;
import static dev.deployclaw.gates.core.ddl.SizePolicy.FIXED;
import static dev.deployclaw.gates.core.ddl.SizePolicy.NEW_TABLE_EXEMPT;
import static dev.deployclaw.gates.core.ddl.SizePolicy.SIZE_AWARE;
import static dev.deployclaw.gates.core.ddl.StatementKind.*;

/**
 * The one ordered registry of DDL rules. Adding a rule = one entry here, one page {@code docs/rules/<id>.md}, one
 * test. Ids are public API: reports, overrides ({@code -- deployclaw:allow <id> <reason>}) and docs use them.
 */
public final class DdlRules {
    private static final List<DdlRule> DEFAULTS = List.of(
            new DdlRule("unparseable-statement", BLOCK, FIXED,
                    "The analyser could not read this statement, so nobody knows what it locks or rewrites.",
                    "Whatever the statement does: DO blocks and CALL run code the analyser cannot see into.",
                    "Rewrite it in a form the analyser reads, or review it by hand and acknowledge it with an override.",
                    (a, s) -> a.understood() ? Optional.empty()
                            : Match.of(String.join(" ", a.notes()))),
            new DdlRule("create-index-blocking", BLOCK, SIZE_AWARE,
                    "Building an index without CONCURRENTLY blocks every write to the table until the build ends.",
                    "PostgreSQL takes ShareLock on the table for the whole build (reads go on, INSERT/UPDATE/DELETE wait);"
                            + " MySQL/MariaDB build in place with LOCK=NONE except FULLTEXT/SPATIAL (LOCK=SHARED).",
                    "PostgreSQL: CREATE INDEX CONCURRENTLY in a migration of its own (not in a transaction);"
                            + " MySQL/MariaDB: ALTER TABLE … ADD INDEX …, ALGORITHM=INPLACE, LOCK=NONE.",
                    (a, s) -> {
                        if (a.has(CREATE_INDEX) || a.has(CREATE_UNIQUE_INDEX)) {
                            if (a.database() == DatabaseKind.POSTGRESQL) {
                                return Match.of("CREATE INDEX without CONCURRENTLY takes ShareLock on " + tables(a)
                                        + ": writes wait for the whole index build");
                            }
                            if (a.blocksWrites()) {
                                return Match.of("the index build needs " + a.algorithm().map(MySqlAlgorithm::clause)
                                        .orElse("a copy") + " on " + tables(a) + ": writes wait for the whole build");
                            }
                        }
                        return Optional.empty();
                    }),
            new DdlRule("drop-index-blocking", BLOCK, SIZE_AWARE,
                    "DROP INDEX without CONCURRENTLY waits for every query on the table and then blocks all of them.",
                    "PostgreSQL takes AccessExclusiveLock on the index's table: reads and writes wait.",
                    "DROP INDEX CONCURRENTLY in a migration of its own (not in a transaction).",
                    (a, s) -> a.has(DROP_INDEX) && a.database() == DatabaseKind.POSTGRESQL
                            ? Match.of("DROP INDEX " + a.namedIndex().map(Object::toString).orElse("") + " without CONCURRENTLY"
                            + " takes AccessExclusiveLock on its table")
                            : Optional.empty()),
            new DdlRule("table-rewrite", BLOCK, SIZE_AWARE,
                    "The statement rewrites the whole table while holding a lock, which takes time proportional to its size.",
                    "PostgreSQL writes a new copy of the table and its indexes under AccessExclusiveLock; MySQL/MariaDB"
                            + " rebuild it (COPY blocks writes, INPLACE with LOCK=NONE allows them).",
                    "Create a new table or column, backfill in batches, then switch over (expand/contract).",
                    (a, s) -> {
                        if (!a.rewrites() || a.has(ALTER_COLUMN_TYPE) || a.has(ADD_COLUMN_VOLATILE_DEFAULT) || a.has(TRUNCATE)
                                || a.has(VACUUM_FULL) || a.has(CLUSTER) || a.has(OPTIMIZE_TABLE) || a.has(DROP_TABLE)
                                || a.has(ADD_FOREIGN_KEY) || a.has(ADD_CHECK)) {
                            return Optional.empty();
                        }
                        if (a.database().mysqlFamily() && !a.blocksWrites()) {
                            return Match.capped(kindText(a) + " rebuilds " + tables(a) + " in place ("
                                    + a.algorithm().map(MySqlAlgorithm::clause).orElse("") + "): writes continue, I/O is heavy", WARN);
                        }
                        return Match.of(kindText(a) + " rewrites " + tables(a) + " under "
                                + a.strongestLock().map(LockMode::pgName).orElse(a.algorithm().map(MySqlAlgorithm::clause).orElse("a lock")));
                    }),
            new DdlRule("volatile-default", BLOCK, SIZE_AWARE,
                    "A new column whose DEFAULT is volatile (random(), gen_random_uuid(), clock_timestamp(), a serial or"
                            + " identity) must be computed for every existing row.",
                    "PostgreSQL rewrites the table under AccessExclusiveLock; a constant or stable default (now()) is"
                            + " stored once in the catalog instead (PostgreSQL 11+).",
                    "Add the column without a default (or with a constant one), set the default for new rows, backfill"
                            + " existing rows in batches, then add constraints.",
                    (a, s) -> a.has(ADD_COLUMN_VOLATILE_DEFAULT)
                            ? Match.of("ADD COLUMN with a volatile default rewrites " + tables(a) + " under AccessExclusiveLock")
                            : Optional.empty()),
            new DdlRule("column-type-change", BLOCK, SIZE_AWARE,
                    "Changing a column's type rewrites the table and its indexes unless the change is binary-coercible,"
                            + " and breaks code that reads the old type.",
                    "PostgreSQL rewrites under AccessExclusiveLock (not for varchar(n) to a longer varchar or text);"
                            + " MySQL/MariaDB copy the table (ALGORITHM=COPY).",
                    "Add a new column of the new type, write both, backfill in batches, switch readers, drop the old column.",
                    (a, s) -> {
                        if (!a.has(ALTER_COLUMN_TYPE)) {
                            return Optional.empty();
                        }
                        if (a.rewrites()) {
                            return Match.of("the type change rewrites " + tables(a));
                        }
                        if (a.notes().stream().anyMatch(n -> n.startsWith(PostgresRules.ASSUMED_COERCIBLE))) {
                            return Match.capped("the type change on " + tables(a) + " is assumed binary-coercible (the current"
                                    + " type is not known without a database): if the column is not a shorter varchar/text or a"
                                    + " numeric of lower precision, PostgreSQL rewrites the table under AccessExclusiveLock", WARN);
                        }
                        return Match.capped("the type change on " + tables(a) + " is binary-coercible (no rewrite):"
                                + " AccessExclusiveLock is held only briefly", INFO);
                    }),
            new DdlRule("constraint-validation-under-lock", BLOCK, SIZE_AWARE,
                    "Adding a foreign key or CHECK constraint validates every existing row while holding a lock that"
                            + " blocks writes.",
                    "PostgreSQL scans the table (and for a foreign key checks the referenced table) under"
                            + " ShareRowExclusiveLock (foreign key) or AccessExclusiveLock (CHECK); MySQL/MariaDB copy the table.",
                    "ADD CONSTRAINT … NOT VALID (instant), then ALTER TABLE … VALIDATE CONSTRAINT … in a later"
                            + " transaction (ShareUpdateExclusiveLock: reads and writes go on).",
                    (a, s) -> a.has(ADD_FOREIGN_KEY) || a.has(ADD_CHECK)
                            ? Match.of((a.has(ADD_FOREIGN_KEY) ? "the foreign key" : "the CHECK constraint")
                            + " is validated by scanning " + tables(a) + " under "
                            + a.strongestLock().map(LockMode::pgName).orElse(a.algorithm().map(MySqlAlgorithm::clause).orElse("lock")))
                            : Optional.empty()),
            new DdlRule("set-not-null-scan", BLOCK, SIZE_AWARE,
                    "SET NOT NULL checks every row while holding AccessExclusiveLock: nothing can read or write the table.",
                    "PostgreSQL scans the whole table under AccessExclusiveLock, unless a valid CHECK (col IS NOT NULL)"
                            + " constraint already proves it (PostgreSQL 12+).",
                    "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (no"
                            + " scan); then DROP CONSTRAINT c.",
                    (a, s) -> a.has(SET_NOT_NULL) && a.database() == DatabaseKind.POSTGRESQL
                            ? Match.of("SET NOT NULL scans " + tables(a) + " under AccessExclusiveLock") : Optional.empty()),
            new DdlRule("unique-constraint-under-lock", BLOCK, SIZE_AWARE,
                    "Adding a UNIQUE or PRIMARY KEY constraint builds its index while holding AccessExclusiveLock.",
                    "PostgreSQL builds the index under AccessExclusiveLock (reads and writes wait); MySQL/MariaDB add a"
                            + " primary key by rebuilding the table.",
                    "CREATE UNIQUE INDEX CONCURRENTLY, then ALTER TABLE … ADD CONSTRAINT … UNIQUE/PRIMARY KEY USING INDEX.",
                    (a, s) -> {
                        if (!(a.has(ADD_UNIQUE_CONSTRAINT) || a.has(ADD_PRIMARY_KEY) || a.has(ADD_EXCLUSION_CONSTRAINT))) {
                            return Optional.empty();
                        }
                        if (a.database().mysqlFamily()) {
                            return a.blocksWrites() ? Match.of("the key is built on " + tables(a) + " with writes blocked")
                                    : a.rewrites() ? Match.capped("the primary key rebuilds " + tables(a) + " in place", WARN)
                                    : Optional.empty();
                        }
                        return Match.of("the constraint's index is built on " + tables(a) + " under AccessExclusiveLock");
                    }),
            new DdlRule("long-lock-maintenance", BLOCK, SIZE_AWARE,
                    "VACUUM FULL, CLUSTER and REINDEX hold a lock for as long as they take to rewrite the table or rebuild"
                            + " its indexes.",
                    "VACUUM FULL and CLUSTER rewrite the table under AccessExclusiveLock; REINDEX blocks writes (ShareLock)"
                            + " and every query using the index (AccessExclusiveLock on it); OPTIMIZE TABLE rebuilds the table.",
                    "REINDEX … CONCURRENTLY; pg_repack or pg_squeeze instead of VACUUM FULL / CLUSTER; run maintenance"
                            + " outside migrations, in a window.",
                    (a, s) -> {
                        if (a.has(VACUUM_FULL) || a.has(CLUSTER) || a.has(REINDEX)) {
                            return Match.of(kindText(a) + " holds " + a.strongestLock().map(LockMode::pgName).orElse("a lock")
                                    + " on " + tables(a) + " for its whole run");
                        }
                        return a.has(OPTIMIZE_TABLE)
                                ? Match.capped("OPTIMIZE TABLE rebuilds " + tables(a) + " (online on InnoDB)", WARN) : Optional.empty();
                    }),
            new DdlRule("concurrently-in-transaction", BLOCK, FIXED,
                    "A statement that cannot run in a transaction block (CREATE/DROP INDEX CONCURRENTLY, REINDEX"
                            + " CONCURRENTLY, VACUUM) shares its migration with other statements, which Flyway and Liquibase run"
                            + " in one transaction.",
                    "PostgreSQL refuses it with SQLSTATE 25001 (… cannot run inside a transaction block): the migration fails.",
                    "Put the statement in a migration of its own, run outside a transaction (Flyway detects it;"
                            + " Liquibase: runInTransaction=\"false\").",
                    (a, s) -> {
                        if (a.database() != DatabaseKind.POSTGRESQL || a.canRunInTransaction()) {
                            return Optional.empty();
                        }
                        if (s.inExplicitTransaction()) {
                            return Match.of(kindText(a) + " follows BEGIN in the same script: PostgreSQL refuses it inside a"
                                    + " transaction block");
                        }
                        long others = s.otherWorkingStatements();
                        return others > 0 ? Match.of(kindText(a) + " shares its migration with " + others + " other statement(s)"
                                + " that would run in the same transaction") : Optional.empty();
                    }),
            new DdlRule("missing-lock-timeout", WARN, FIXED,
                    "A statement that needs a strong lock has no lock timeout: it queues behind a long transaction and every"
                            + " query on the table queues behind it.",
                    "The lock request waits without limit (PostgreSQL lock_timeout = 0, MySQL lock_wait_timeout = 1 year by default)"
                            + " while blocking later requests.",
                    "SET lock_timeout = '3s' (PostgreSQL) or SET SESSION lock_wait_timeout = 3 (MySQL/MariaDB) first, and"
                            + " retry on timeout; executeWithMonitoring does both.",
                    (a, s) -> !s.lockTimeoutSet() && takesStrongLock(a)
                            ? Match.of(kindText(a) + " on " + tables(a) + " runs without a lock timeout set earlier in the script")
                            : Optional.empty()),
            new DdlRule("missing-statement-timeout", INFO, FIXED,
                    "A statement that scans or rewrites a table under lock has no statement timeout.",
                    "It holds its lock until it finishes, however long that is.",
                    "SET statement_timeout (PostgreSQL) or SET SESSION max_statement_time (MariaDB) before it.",
                    (a, s) -> !s.statementTimeoutSet() && (a.rewrites() || a.scansUnderLock()) && takesStrongLock(a)
                            ? Match.of(kindText(a) + " on " + tables(a) + " runs without a statement timeout") : Optional.empty()),
            new DdlRule("drop-column", BLOCK, NEW_TABLE_EXEMPT,
                    "Dropping a column breaks every running version of the application that still reads or writes it.",
                    "The column disappears at commit; queries naming it fail (PostgreSQL takes AccessExclusiveLock briefly).",
                    "Expand/contract: stop using the column in the code and deploy, then drop it in a later migration.",
                    (a, s) -> a.has(DROP_COLUMN) ? Match.of("DROP COLUMN on " + tables(a) + " is destructive") : Optional.empty()),
            new DdlRule("drop-table", BLOCK, NEW_TABLE_EXEMPT,
                    "Dropping a table destroys its data and breaks every running query that names it.",
                    "The table and its data are gone at commit (AccessExclusiveLock, also on tables its foreign keys reference).",
                    "Rename it aside or revoke access first, keep a backup, and drop it in a later migration once unused.",
                    (a, s) -> a.has(DROP_TABLE) ? Match.of("DROP of " + tables(a) + " is destructive") : Optional.empty()),
            new DdlRule("truncate-table", BLOCK, NEW_TABLE_EXEMPT,
                    "TRUNCATE deletes every row at once.",
                    "PostgreSQL swaps in an empty file under AccessExclusiveLock; the old data is gone at commit.",
                    "Delete the rows you mean to delete with a WHERE clause, in batches, after a backup.",
                    (a, s) -> a.has(TRUNCATE) ? Match.of("TRUNCATE of " + tables(a) + " deletes every row") : Optional.empty()),
            new DdlRule("delete-without-where", BLOCK, NEW_TABLE_EXEMPT,
                    "DELETE without WHERE removes every row of the table.",
                    "Every row is deleted and row-locked in one transaction.",
                    "Add the WHERE clause you mean; delete in batches (… WHERE id IN (SELECT … LIMIT 10000)).",
                    (a, s) -> a.has(DELETE_ALL_ROWS) ? Match.of("DELETE without WHERE on " + tables(a)) : Optional.empty()),
            new DdlRule("update-without-where", BLOCK, SIZE_AWARE,
                    "UPDATE without WHERE rewrites every row in one transaction, holding every row lock until it commits.",
                    "Every row gets a new version (PostgreSQL) and stays locked against other writers until commit.",
                    "Backfill in batches of a few thousand rows by key range, committing between batches.",
                    (a, s) -> a.has(UPDATE_ALL_ROWS) ? Match.of("UPDATE without WHERE on " + tables(a)) : Optional.empty()),
            new DdlRule("rename-column", BLOCK, NEW_TABLE_EXEMPT,
                    "Renaming a column breaks every running version of the application that uses the old name.",
                    "The rename is instant; queries naming the old column fail from the commit on.",
                    "Expand/contract: add the new column, write both, backfill, switch readers, drop the old column later"
                            + " (or a view that exposes both names during the switch).",
                    (a, s) -> a.has(RENAME_COLUMN) ? Match.of("RENAME COLUMN on " + tables(a) + " breaks code using the old name")
                            : Optional.empty()),
            new DdlRule("rename-table", BLOCK, NEW_TABLE_EXEMPT,
                    "Renaming a table breaks every running version of the application that uses the old name.",
                    "The rename is instant; queries naming the old table fail from the commit on.",
                    "Expand/contract: create the new table (or a view with the new name), migrate code, drop the old later.",
                    (a, s) -> a.has(RENAME_TABLE) ? Match.of("RENAME of " + tables(a) + " breaks code using the old name")
                            : Optional.empty()),
            new DdlRule("grant-to-public", BLOCK, FIXED,
                    "GRANT … TO PUBLIC gives every role of the database, including other tenants' roles, these privileges.",
                    "Every present and future role gets the privilege.",
                    "Grant to the application's own role (or a tenant's role) instead of PUBLIC.",
                    (a, s) -> a.has(GRANT_TO_PUBLIC) ? Match.of("GRANT … TO PUBLIC") : Optional.empty()),
            new DdlRule("disable-row-level-security", BLOCK, FIXED,
                    "Disabling row level security removes tenant isolation on the table: every tenant sees every row.",
                    "Policies stop applying at commit (AccessExclusiveLock briefly).",
                    "Keep RLS enabled; change the policy (CREATE POLICY / ALTER POLICY) instead.",
                    (a, s) -> a.has(DISABLE_ROW_LEVEL_SECURITY)
                            ? Match.of("row level security disabled on " + tables(a)) : Optional.empty()),
            new DdlRule("drop-policy", BLOCK, FIXED,
                    "Dropping a row level security policy can widen (permissive) or remove (restrictive) tenant isolation.",
                    "The policy stops applying at commit (AccessExclusiveLock briefly).",
                    "Create the replacement policy first, in the same transaction, then drop the old one.",
                    (a, s) -> a.has(DROP_POLICY) ? Match.of("DROP POLICY on " + tables(a)) : Optional.empty()));

    private DdlRules() {
    }

    /** Every rule, in the order findings are reported. */
    public static List<DdlRule> defaults() {
        return DEFAULTS;
    }

    public static Optional<DdlRule> byId(String id) {
        return DEFAULTS.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    public static Set<String> ids() {
        return DEFAULTS.stream().map(DdlRule::id).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    private static boolean takesStrongLock(StatementAnalysis a) {
        if (a.database() == DatabaseKind.POSTGRESQL) {
            return a.strongestLock().map(m -> m.ordinal() >= LockMode.SHARE.ordinal()).orElse(false)
                    && !a.has(CREATE_TABLE);
        }
        return a.algorithm().isPresent() || a.has(DROP_TABLE) || a.has(TRUNCATE) || a.has(RENAME_TABLE);
    }

    private static String tables(StatementAnalysis a) {
        if (a.tables().isEmpty()) {
            return a.namedIndex().map(i -> "the table of index " + i).orElse("its tables");
        }
        return a.tables().stream().map(TableRef::toString).collect(Collectors.joining(", "));
    }

    private static String kindText(StatementAnalysis a) {
        return a.kind().name().replace('_', ' ');
    }
}

package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Predicts, for one statement, the tables it touches, the lock it takes on each (PostgreSQL's names), whether it
 * rewrites or scans the table under that lock, whether it can run in a transaction, and on MySQL/MariaDB the
 * least-locking {@code ALGORITHM}/{@code LOCK} the server accepts.
 *
 * <p>A tolerant keyword classifier, not a grammar: it reads the forms migrations use, including the ones
 * JSqlParser 5.4 rejects ({@code NOT VALID}, {@code SET DATA TYPE}, {@code DROP INDEX CONCURRENTLY}, {@code REINDEX},
 * {@code VACUUM}, {@code LOCK TABLE}, MySQL {@code DROP FOREIGN KEY}, {@code OPTIMIZE TABLE}). A form it does not
 * know is {@code understood = false}, which the {@code unparseable-statement} rule turns into a finding that needs
 * approval: nothing unknown passes silently.
 *
 * <p>References: PostgreSQL's "Explicit Locking" table of lock levels per command and the {@code ALTER TABLE} notes
 * on which forms rewrite; MariaDB's "InnoDB Online DDL Operations" pages; MySQL 8.0's "Online DDL Operations". The
 * PostgreSQL and MariaDB predictions are checked against the real servers by the integration tests.
 */
public final class StatementAnalyzer {
    /**
     * Analyses of statements seen before, for this database and version, without a column catalog: a multi-tenant run
     * checks the same migration's statements once per tenant, and an analysis depends on the text alone. Bounded: it
     * starts afresh past {@link #CACHED} entries, and statements over {@link #CACHED_CHARS} characters are not kept.
     */
    private static final java.util.concurrent.ConcurrentHashMap<Key, StatementAnalysis> SEEN = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHED = 4096;
    private static final int CACHED_CHARS = 16_384;

    private record Key(DatabaseKind database, ServerVersion version, String sql) {
    }

    private final DatabaseKind database;
    private final ServerVersion version;

    private StatementAnalyzer(DatabaseKind database, ServerVersion version) {
        this.database = Objects.requireNonNull(database, "database");
        this.version = Objects.requireNonNull(version, "version");
    }

    /** An analyser for one server. */
    public static StatementAnalyzer of(DatabaseKind database, ServerVersion version) {
        return new StatementAnalyzer(database, version);
    }

    /** An analyser for the newest release this library is tested against (PostgreSQL 15, MariaDB 10.11, MySQL 8.4). */
    public static StatementAnalyzer of(DatabaseKind database) {
        return new StatementAnalyzer(database, defaultVersion(database));
    }

    public static ServerVersion defaultVersion(DatabaseKind database) {
        return switch (database) {
            case POSTGRESQL -> ServerVersion.of(15, 0, 0);
            case MARIADB -> ServerVersion.of(10, 11, 0);
            case MYSQL -> ServerVersion.of(8, 4, 0);
        };
    }

    public DatabaseKind database() {
        return database;
    }

    public ServerVersion version() {
        return version;
    }

    public StatementAnalysis analyze(String sql) {
        return analyze(sql, ColumnCatalog.NONE);
    }

    /** With current column types from the live catalog, {@code ALTER COLUMN … TYPE} is judged exactly. */
    public StatementAnalysis analyze(String sql, ColumnCatalog catalog) {
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(catalog, "catalog");
        if (catalog != ColumnCatalog.NONE || sql.length() > CACHED_CHARS) {
            return classify(sql, catalog);
        }
        Key key = new Key(database, version, sql);
        StatementAnalysis seen = SEEN.get(key);
        if (seen == null) {
            seen = classify(sql, catalog);
            if (SEEN.size() >= CACHED) {
                SEEN.clear();
            }
            SEEN.put(key, seen);
        }
        return seen;
    }

    private StatementAnalysis classify(String sql, ColumnCatalog catalog) {
        Builder b = new Builder(sql);
        Sql s = Sql.of(sql);
        try {
            if (s.size() == 0) {
                b.kind(StatementKind.OTHER_OBJECT);
            } else if (database == DatabaseKind.POSTGRESQL) {
                new PostgresRules(s, b, version, catalog).classify();
            } else {
                new MySqlRules(s, b, version, database, catalog).classify();
            }
        } catch (RuntimeException e) {
            // a classifier bug must not pass a statement: treat it as not understood
            b.unknown("the classifier failed on it (" + e + ")");
        }
        return b.build(database);
    }

    /** Accumulates one statement's analysis. */
    static final class Builder {
        final String sql;
        final List<StatementKind> actions = new ArrayList<>();
        final Set<TableRef> tables = new LinkedHashSet<>();
        final Map<TableRef, LockMode> locks = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();
        final Set<TableRef> created = new LinkedHashSet<>();
        TableRef namedIndex;
        LockMode indexTableLock;
        boolean rewrites;
        boolean scans;
        boolean canRunInTransaction = true;
        MySqlAlgorithm algorithm;
        boolean understood = true;

        Builder(String sql) {
            this.sql = sql;
        }

        Builder kind(StatementKind k) {
            actions.add(k);
            return this;
        }

        Builder table(TableRef t) {
            tables.add(t);
            return this;
        }

        Builder lock(TableRef t, LockMode m) {
            tables.add(t);
            locks.merge(t, m, LockMode::max);
            return this;
        }

        Builder algorithm(MySqlAlgorithm a) {
            algorithm = a.max(algorithm);
            return this;
        }

        Builder note(String n) {
            if (!notes.contains(n)) {
                notes.add(n);
            }
            return this;
        }

        Builder unknown(String why) {
            understood = false;
            if (actions.isEmpty() || !actions.contains(StatementKind.UNKNOWN)) {
                actions.add(StatementKind.UNKNOWN);
            }
            notes.add("Not understood: " + why + ".");
            return this;
        }

        StatementAnalysis build(DatabaseKind db) {
            if (actions.isEmpty()) {
                unknown("no known statement form");
            }
            StatementKind kind = actions.stream().max((a, c) -> Integer.compare(risk(a), risk(c))).orElseThrow();
            return new StatementAnalysis(sql, db, kind, actions, new ArrayList<>(tables), locks, Optional.ofNullable(namedIndex),
                    Optional.ofNullable(indexTableLock), rewrites, scans, canRunInTransaction, Optional.ofNullable(algorithm),
                    understood, notes, created);
        }

        /** Which action names an ALTER TABLE with several: unknown first, then the ones rules care about most. */
        private static int risk(StatementKind k) {
            return switch (k) {
                case UNKNOWN, OPAQUE -> 100;
                case DROP_TABLE, TRUNCATE, DROP_COLUMN, DELETE_ALL_ROWS, UPDATE_ALL_ROWS -> 90;
                case ALTER_COLUMN_TYPE, ADD_COLUMN_VOLATILE_DEFAULT, ADD_COLUMN_GENERATED_STORED, SET_LOGGED, SET_TABLESPACE,
                     REBUILD_TABLE, CONVERT_CHARSET, VACUUM_FULL, CLUSTER -> 80;
                case RENAME_COLUMN, RENAME_TABLE, DISABLE_ROW_LEVEL_SECURITY, DROP_POLICY, GRANT_TO_PUBLIC -> 75;
                case ADD_FOREIGN_KEY, ADD_CHECK, SET_NOT_NULL, ADD_UNIQUE_CONSTRAINT, ADD_PRIMARY_KEY, ADD_EXCLUSION_CONSTRAINT,
                     CREATE_INDEX, CREATE_UNIQUE_INDEX, DROP_INDEX, REINDEX, DROP_PRIMARY_KEY -> 70;
                case OTHER_OBJECT, SET_OTHER, SELECT, COMMENT, TRANSACTION_BEGIN, TRANSACTION_END -> 0;
                default -> 10;
            };
        }
    }
}

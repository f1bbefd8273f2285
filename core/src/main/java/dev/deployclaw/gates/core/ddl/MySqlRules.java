package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.util.List;

import static dev.deployclaw.gates.core.ddl.MySqlAlgorithm.COPY;
import static dev.deployclaw.gates.core.ddl.MySqlAlgorithm.INPLACE_LOCK_NONE;
import static dev.deployclaw.gates.core.ddl.MySqlAlgorithm.INPLACE_LOCK_SHARED;
import static dev.deployclaw.gates.core.ddl.MySqlAlgorithm.INSTANT;
import static dev.deployclaw.gates.core.ddl.MySqlAlgorithm.NOCOPY;

/**
 * The MySQL / MariaDB classifier: the least-locking online-DDL algorithm per {@code ALTER TABLE} action, by server
 * and version (MariaDB 10.3 instant ADD COLUMN at the end, 10.4 anywhere and instant DROP COLUMN; MySQL 8.0.12
 * instant ADD COLUMN at the end, 8.0.28 instant RENAME COLUMN, 8.0.29 instant ADD/DROP COLUMN anywhere). Every DDL
 * statement commits on its own on these servers.
 */
final class MySqlRules {
    private final Sql s;
    private final StatementAnalyzer.Builder b;
    private final ServerVersion v;
    private final boolean maria;
    private final ColumnCatalog catalog;

    MySqlRules(Sql s, StatementAnalyzer.Builder b, ServerVersion v, DatabaseKind kind, ColumnCatalog catalog) {
        this.s = s;
        this.b = b;
        this.v = v;
        this.maria = kind == DatabaseKind.MARIADB;
        this.catalog = catalog;
    }

    private MySqlAlgorithm nocopy() {
        return maria && v.atLeast(10, 3, 0) ? NOCOPY : INPLACE_LOCK_NONE;
    }

    void classify() {
        switch (s.up(0)) {
            case "ALTER" -> {
                int i = s.skip(1, "ONLINE", "IGNORE");
                if (s.is(i, "TABLE")) {
                    b.canRunInTransaction = false;
                    alterTable(i + 1);
                } else if (s.is(i, "VIEW", "FUNCTION", "PROCEDURE", "EVENT", "USER", "DATABASE", "SCHEMA", "SEQUENCE",
                        "SERVER", "TABLESPACE", "LOGFILE", "INSTANCE", "RESOURCE")) {
                    b.canRunInTransaction = false;
                    b.kind(StatementKind.OTHER_OBJECT);
                } else {
                    b.unknown("ALTER " + s.tok(i));
                }
            }
            case "CREATE" -> create();
            case "DROP" -> drop();
            case "RENAME" -> {
                b.canRunInTransaction = false;
                if (!s.is(1, "TABLE", "TABLES")) {
                    b.kind(StatementKind.OTHER_OBJECT);
                    return;
                }
                b.kind(StatementKind.RENAME_TABLE);
                List<TableRef> from = s.nameList(2);
                from.forEach(b::table);
                b.algorithm(INSTANT);
            }
            case "TRUNCATE" -> {
                b.canRunInTransaction = false;
                List<TableRef> list = s.nameList(s.skip(1, "TABLE"));
                b.kind(StatementKind.TRUNCATE);
                list.forEach(b::table);
                b.rewrites = true;
            }
            case "DELETE" -> {
                int from = s.indexOf("FROM", 1);
                List<String> n = from < 0 ? List.of() : s.qualifiedName(from + 1);
                if (n.isEmpty()) {
                    b.unknown("DELETE without FROM table");
                    return;
                }
                b.kind(s.indexAtDepth0("WHERE", from, s.size()) < 0 && s.indexAtDepth0("LIMIT", from, s.size()) < 0
                        ? StatementKind.DELETE_ALL_ROWS : StatementKind.DELETE).table(Sql.ref(n));
            }
            case "UPDATE" -> {
                List<String> n = s.qualifiedName(s.skip(1, "LOW_PRIORITY", "IGNORE"));
                if (n.isEmpty()) {
                    b.unknown("UPDATE without a table");
                    return;
                }
                b.kind(s.indexAtDepth0("WHERE", 1, s.size()) < 0 && s.indexAtDepth0("LIMIT", 1, s.size()) < 0
                        ? StatementKind.UPDATE_ALL_ROWS : StatementKind.UPDATE).table(Sql.ref(n));
            }
            case "INSERT", "REPLACE" -> {
                int i = s.skip(1, "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO");
                List<String> n = s.qualifiedName(i);
                if (n.isEmpty()) {
                    b.unknown("INSERT without a table");
                    return;
                }
                b.kind(StatementKind.INSERT).table(Sql.ref(n));
            }
            case "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "DO" -> {
                if (s.containsWord(1, s.size(), "INSERT") || s.containsWord(1, s.size(), "UPDATE")
                        || s.containsWord(1, s.size(), "DELETE") || s.indexAtDepth0("INTO", 1, s.size()) > 0) {
                    b.unknown("a query that writes (WITH … UPDATE/DELETE, SELECT … INTO)");
                    return;
                }
                b.kind(StatementKind.SELECT);
            }
            case "OPTIMIZE" -> {
                b.canRunInTransaction = false;
                b.kind(StatementKind.OPTIMIZE_TABLE);
                s.nameList(s.skip(1, "NO_WRITE_TO_BINLOG", "LOCAL", "TABLE")).forEach(b::table);
                b.rewrites = true;
                b.algorithm(INPLACE_LOCK_NONE);
                b.note("OPTIMIZE TABLE on InnoDB is a table rebuild (ALTER TABLE … FORCE) followed by ANALYZE.");
            }
            case "ANALYZE" -> {
                b.kind(StatementKind.ANALYZE);
                s.nameList(s.skip(1, "NO_WRITE_TO_BINLOG", "LOCAL", "TABLE")).forEach(b::table);
            }
            case "LOCK" -> {
                b.kind(StatementKind.LOCK_TABLE);
                int i = s.skip(1, "TABLE", "TABLES");
                s.nameList(i).forEach(b::table);
            }
            case "UNLOCK" -> b.kind(StatementKind.SET_OTHER);
            case "GRANT", "REVOKE" -> {
                int to = s.indexOf(s.is(0, "GRANT") ? "TO" : "FROM", 1);
                boolean toPublic = s.is(0, "GRANT") && to > 0 && s.containsWord(to + 1, s.size(), "PUBLIC");
                b.kind(toPublic ? StatementKind.GRANT_TO_PUBLIC : s.is(0, "GRANT") ? StatementKind.GRANT : StatementKind.REVOKE);
            }
            case "SET" -> {
                String all = s.text(1, s.size()).toUpperCase(java.util.Locale.ROOT);
                if (all.contains("LOCK_WAIT_TIMEOUT")) {
                    b.kind(StatementKind.SET_LOCK_TIMEOUT);
                } else if (all.contains("MAX_STATEMENT_TIME") || all.contains("MAX_EXECUTION_TIME")) {
                    b.kind(StatementKind.SET_STATEMENT_TIMEOUT);
                } else {
                    b.kind(StatementKind.SET_OTHER);
                }
            }
            case "START", "BEGIN" -> b.kind(StatementKind.TRANSACTION_BEGIN);
            case "COMMIT", "ROLLBACK" -> b.kind(StatementKind.TRANSACTION_END);
            case "SAVEPOINT", "RELEASE", "USE", "FLUSH" -> b.kind(StatementKind.SET_OTHER);
            case "CALL", "EXECUTE", "PREPARE", "LOAD", "HANDLER" -> {
                b.kind(StatementKind.OPAQUE);
                b.understood = false;
                b.note("Not understood: " + s.up(0) + " runs code or loads data the analyser cannot see into.");
            }
            default -> b.unknown("'" + s.tok(0) + "' is not a statement form the analyser knows");
        }
    }

    private void create() {
        b.canRunInTransaction = false;
        int i = s.skip(1, "OR", "REPLACE", "ONLINE", "OFFLINE", "DEFINER", "=");
        boolean unique = s.is(i, "UNIQUE");
        boolean fulltext = s.is(i, "FULLTEXT", "SPATIAL");
        i = s.skip(i, "UNIQUE", "FULLTEXT", "SPATIAL");
        if (s.is(i, "INDEX")) {
            int on = s.indexOf("ON", i);
            List<String> n = on < 0 ? List.of() : s.qualifiedName(on + 1);
            if (n.isEmpty()) {
                b.unknown("CREATE INDEX without ON table");
                return;
            }
            b.kind(unique ? StatementKind.CREATE_UNIQUE_INDEX : StatementKind.CREATE_INDEX).table(Sql.ref(n));
            b.scans = true;
            b.algorithm(fulltext ? INPLACE_LOCK_SHARED : nocopy());
        } else if (s.is(i, "TABLE", "TEMPORARY")) {
            int t = s.indexOf("TABLE", i);
            List<String> n = t < 0 ? List.of() : s.qualifiedName(s.skip(t + 1, "IF", "NOT", "EXISTS"));
            if (n.isEmpty()) {
                b.unknown("CREATE TABLE without a name");
                return;
            }
            b.kind(StatementKind.CREATE_TABLE).table(Sql.ref(n));
            b.created.add(Sql.ref(n));
        } else if (s.is(i, "TRIGGER")) {
            int on = s.indexOf("ON", i);
            List<String> n = on < 0 ? List.of() : s.qualifiedName(on + 1);
            b.kind(StatementKind.CREATE_TRIGGER);
            if (!n.isEmpty()) {
                b.table(Sql.ref(n));
            }
        } else {
            b.kind(StatementKind.OTHER_OBJECT);
        }
    }

    private void drop() {
        b.canRunInTransaction = false;
        if (s.is(1, "TABLE", "TEMPORARY")) {
            List<TableRef> list = s.nameList(s.skip(1, "TEMPORARY", "TABLE", "IF", "EXISTS"));
            b.kind(StatementKind.DROP_TABLE);
            list.forEach(b::table);
        } else if (s.is(1, "INDEX")) {
            int on = s.indexOf("ON", 2);
            List<String> n = on < 0 ? List.of() : s.qualifiedName(on + 1);
            if (n.isEmpty()) {
                b.unknown("DROP INDEX without ON table");
                return;
            }
            b.kind(StatementKind.DROP_INDEX).table(Sql.ref(n));
            b.algorithm(nocopy());
        } else if (s.is(1, "DATABASE", "SCHEMA")) {
            b.kind(StatementKind.DROP_TABLE);
            b.note("DROP DATABASE drops every table it holds; the tables are not listed.");
        } else {
            b.kind(StatementKind.OTHER_OBJECT);
        }
    }

    private void alterTable(int i) {
        List<String> n = s.qualifiedName(i);
        if (n.isEmpty()) {
            b.unknown("ALTER TABLE without a table name");
            return;
        }
        TableRef table = Sql.ref(n);
        b.table(table);
        i += Sql.span(n);
        if (i >= s.size()) {
            b.unknown("ALTER TABLE " + table + " without an action");
            return;
        }
        boolean addsPk = false;
        boolean dropsPk = false;
        for (int[] r : s.splitOnCommas(i, s.size())) {
            if (s.is(r[0], "ADD") && (s.is(r[0] + 1, "PRIMARY") || (s.is(r[0] + 1, "CONSTRAINT") && s.is(r[0] + 3, "PRIMARY")))) {
                addsPk = true;
            }
            if (s.is(r[0], "DROP") && s.is(r[0] + 1, "PRIMARY")) {
                dropsPk = true;
            }
        }
        for (int[] r : s.splitOnCommas(i, s.size())) {
            action(table, r[0], r[1], addsPk && dropsPk);
        }
        if (b.algorithm == null && b.understood) {
            b.algorithm(INSTANT);
        }
    }

    private void action(TableRef table, int from, int to, boolean replacesPk) {
        String w = s.up(from);
        switch (w) {
            case "ALGORITHM", "LOCK" -> b.note("The statement names " + s.text(from, to)
                    + ": the server refuses it when that is not possible; the prediction is the least the server accepts.");
            case "ADD" -> add(from + 1, to);
            case "DROP" -> {
                String x = s.up(from + 1);
                switch (x) {
                    case "PRIMARY" -> {
                        b.kind(StatementKind.DROP_PRIMARY_KEY);
                        b.algorithm(replacesPk ? INPLACE_LOCK_NONE : COPY);
                        b.rewrites = true;
                    }
                    case "FOREIGN" -> {
                        b.kind(StatementKind.DROP_FOREIGN_KEY);
                        b.algorithm(maria ? INSTANT : INPLACE_LOCK_NONE);
                    }
                    case "INDEX", "KEY" -> {
                        b.kind(StatementKind.DROP_INDEX);
                        b.algorithm(nocopy());
                    }
                    case "CONSTRAINT", "CHECK" -> {
                        b.kind(StatementKind.DROP_CONSTRAINT);
                        b.algorithm(maria ? INSTANT : INPLACE_LOCK_NONE);
                    }
                    default -> {
                        b.kind(StatementKind.DROP_COLUMN);
                        boolean instant = maria ? v.atLeast(10, 4, 0) : v.atLeast(8, 0, 29);
                        b.algorithm(instant ? INSTANT : INPLACE_LOCK_NONE);
                        if (!instant) {
                            b.rewrites = true;
                        }
                    }
                }
            }
            case "MODIFY", "CHANGE" -> modify(table, from, to, w.equals("CHANGE"));
            case "RENAME" -> {
                if (s.is(from + 1, "COLUMN")) {
                    b.kind(StatementKind.RENAME_COLUMN);
                    b.algorithm(maria ? (v.atLeast(10, 3, 0) ? INSTANT : INPLACE_LOCK_NONE)
                            : (v.atLeast(8, 0, 28) ? INSTANT : INPLACE_LOCK_NONE));
                } else if (s.is(from + 1, "INDEX", "KEY")) {
                    b.kind(StatementKind.RENAME_INDEX);
                    b.algorithm(maria ? (v.atLeast(10, 5, 2) ? INSTANT : nocopy()) : INPLACE_LOCK_NONE);
                } else {
                    b.kind(StatementKind.RENAME_TABLE);
                    b.algorithm(INSTANT);
                }
            }
            case "ALTER" -> {
                int col = s.skip(from + 1, "COLUMN");
                if (s.is(col + 1, "SET") && s.is(col + 2, "DEFAULT") || s.is(col + 1, "DROP") && s.is(col + 2, "DEFAULT")) {
                    b.kind(s.is(col + 1, "SET") ? StatementKind.SET_DEFAULT : StatementKind.DROP_DEFAULT);
                    b.algorithm(INSTANT);
                } else {
                    b.unknown("ALTER TABLE " + table + " " + s.text(from, to));
                }
            }
            case "ENGINE", "FORCE", "ROW_FORMAT", "KEY_BLOCK_SIZE" -> {
                b.kind(StatementKind.REBUILD_TABLE);
                b.algorithm(INPLACE_LOCK_NONE);
                b.rewrites = true;
            }
            case "CONVERT" -> {
                b.kind(StatementKind.CONVERT_CHARSET);
                b.algorithm(COPY);
                b.rewrites = true;
            }
            case "COMMENT" -> {
                b.kind(StatementKind.TABLE_OPTION);
                b.algorithm(INSTANT);
            }
            case "AUTO_INCREMENT" -> {
                b.kind(StatementKind.TABLE_OPTION);
                b.algorithm(maria ? INSTANT : INPLACE_LOCK_NONE);
            }
            default -> b.unknown("ALTER TABLE " + table + " " + s.text(from, to));
        }
    }

    private static final java.util.Set<String> DEFINITION_WORDS = java.util.Set.of("NOT", "NULL", "DEFAULT", "COMMENT",
            "AFTER", "FIRST", "COLLATE", "CHARACTER", "CHARSET", "AUTO_INCREMENT", "PRIMARY", "UNIQUE", "KEY", "GENERATED",
            "AS", "ON", "INVISIBLE", "CHECK", "REFERENCES", "VISIBLE");

    /**
     * MODIFY / CHANGE: with the current definition from the catalog (type, and {@code not null}), the change is
     * judged: same type (rename, default, comment, position) INSTANT; NULL-ness changed: a rebuild in place;
     * VARCHAR lengthened: INSTANT on MariaDB 10.4+, in place on MySQL unless the length byte count changes; anything
     * else COPY. Without the catalog: COPY, stated as an assumption.
     */
    private void modify(TableRef table, int from, int to, boolean change) {
        int col = s.skip(from + 1, "COLUMN");
        int typeAt = change ? col + 2 : col + 1;
        if (change && !Tokens.unquote(s.tok(col)).equals(Tokens.unquote(s.tok(col + 1)))) {
            b.kind(StatementKind.RENAME_COLUMN);
        }
        int typeEnd = typeAt + 1;
        int depth = 0;
        while (typeEnd < to) {
            String tk = s.tok(typeEnd);
            if ("(".equals(tk)) {
                depth++;
            } else if (")".equals(tk)) {
                depth--;
            } else if (depth == 0 && DEFINITION_WORDS.contains(s.up(typeEnd))) {
                break;
            }
            typeEnd++;
        }
        String newType = normalizeType(s.text(typeAt, typeEnd));
        boolean newNotNull = false;
        for (int k = typeEnd; k < to - 1; k++) {
            if (s.is(k, "NOT") && s.is(k + 1, "NULL")) {
                newNotNull = true;
            }
        }
        java.util.Optional<String> current = catalog.typeOf(table, Tokens.unquote(s.tok(col)));
        if (current.isEmpty()) {
            b.kind(StatementKind.ALTER_COLUMN_TYPE);
            b.algorithm(COPY);
            b.rewrites = true;
            b.note(ASSUMED_COPY + ": the current definition of " + s.tok(col) + " is not known without a database; only"
                    + " renaming, a new default or comment, or lengthening a VARCHAR is cheaper.");
            return;
        }
        String cur = current.get().toLowerCase(java.util.Locale.ROOT);
        boolean oldNotNull = cur.endsWith(" not null");
        String oldType = normalizeType(oldNotNull ? cur.substring(0, cur.length() - " not null".length()) : cur);
        b.note("Current definition " + current.get() + " (live catalog).");
        if (oldType.equals(newType)) {
            if (oldNotNull != newNotNull) {
                b.kind(newNotNull ? StatementKind.SET_NOT_NULL : StatementKind.DROP_NOT_NULL);
                b.algorithm(INPLACE_LOCK_NONE);
                b.rewrites = true;
                b.scans = true;
            } else {
                b.kind(StatementKind.TABLE_OPTION);
                boolean positioned = s.indexAtDepth0("FIRST", typeAt, to) > 0 || s.indexAtDepth0("AFTER", typeAt, to) > 0;
                boolean renamed = change && !Tokens.unquote(s.tok(col)).equals(Tokens.unquote(s.tok(col + 1)));
                if (maria) {
                    b.algorithm(INSTANT); // MariaDB 10.4+: rename, default, comment and reordering are metadata only
                } else if (positioned) {
                    b.algorithm(INPLACE_LOCK_NONE);
                    b.rewrites = true;
                } else {
                    b.algorithm(renamed && !v.atLeast(8, 0, 28) ? INPLACE_LOCK_NONE : INSTANT);
                }
            }
            return;
        }
        java.util.regex.Matcher mo = VARCHAR.matcher(oldType);
        java.util.regex.Matcher mn = VARCHAR.matcher(newType);
        if (mo.matches() && mn.matches() && Integer.parseInt(mn.group(1)) >= Integer.parseInt(mo.group(1))
                && oldNotNull == newNotNull) {
            b.kind(StatementKind.ALTER_COLUMN_TYPE);
            if (maria && v.atLeast(10, 4, 0)) {
                b.algorithm(INSTANT);
            } else {
                // MySQL: in place while the length prefix stays 1 byte (<= 255 bytes, 4 bytes per utf8mb4 character)
                boolean crosses = Integer.parseInt(mo.group(1)) * 4 <= 255 && Integer.parseInt(mn.group(1)) * 4 > 255;
                b.algorithm(crosses ? COPY : INPLACE_LOCK_NONE);
                b.rewrites |= crosses;
            }
            return;
        }
        b.kind(StatementKind.ALTER_COLUMN_TYPE);
        b.algorithm(COPY);
        b.rewrites = true;
    }

    /** Marks a MODIFY/CHANGE predicted as COPY by assumption, not from the catalog. */
    static final String ASSUMED_COPY = "Predicted as a type change (COPY)";
    private static final java.util.regex.Pattern VARCHAR = java.util.regex.Pattern.compile("varchar\\((\\d+)\\)");

    /** {@code INT(11)} → {@code int}, {@code varchar ( 40 )} → {@code varchar(40)}, {@code integer} → {@code int}. */
    static String normalizeType(String t) {
        String x = t.toLowerCase(java.util.Locale.ROOT).replaceAll("\\s*\\(\\s*", "(").replaceAll("\\s*\\)", ")")
                .replaceAll("\\s*,\\s*", ",").replaceAll("\\s+", " ").strip();
        x = x.replaceFirst("^integer", "int").replaceFirst("^(tinyint|smallint|mediumint|int|bigint)\\(\\d+\\)", "$1");
        return x;
    }

    private void add(int i, int to) {
        int c = i;
        if (s.is(c, "CONSTRAINT")) {
            c += 1 + Sql.span(s.qualifiedName(c + 1));
            if (!s.is(c, "PRIMARY", "UNIQUE", "FOREIGN", "CHECK")) {
                c = i + 1; // CONSTRAINT without a name: ADD CONSTRAINT CHECK (...)
            }
        }
        switch (s.up(c)) {
            case "PRIMARY" -> {
                b.kind(StatementKind.ADD_PRIMARY_KEY);
                b.algorithm(INPLACE_LOCK_NONE);
                b.rewrites = true;
                b.scans = true;
            }
            case "UNIQUE", "INDEX", "KEY" -> {
                b.kind(s.is(c, "UNIQUE") ? StatementKind.ADD_UNIQUE_CONSTRAINT : StatementKind.CREATE_INDEX);
                b.algorithm(nocopy());
                b.scans = true;
            }
            case "FULLTEXT", "SPATIAL" -> {
                b.kind(StatementKind.CREATE_INDEX);
                b.algorithm(INPLACE_LOCK_SHARED);
                b.scans = true;
            }
            case "FOREIGN" -> {
                b.kind(StatementKind.ADD_FOREIGN_KEY);
                int r = s.indexOf("REFERENCES", c);
                List<String> ref = r < 0 ? List.of() : s.qualifiedName(r + 1);
                if (!ref.isEmpty()) {
                    b.table(Sql.ref(ref));
                }
                b.algorithm(COPY);
                b.rewrites = true;
                b.scans = true;
                b.note("With foreign_key_checks=1 (the default) adding a foreign key copies the table; with"
                        + " foreign_key_checks=0 it runs in place without validating existing rows.");
            }
            case "CHECK" -> {
                b.kind(StatementKind.ADD_CHECK);
                b.algorithm(COPY);
                b.rewrites = true;
                b.scans = true;
            }
            default -> addColumn(s.skip(c, "COLUMN", "IF", "NOT", "EXISTS"), to);
        }
    }

    private void addColumn(int i, int to) {
        if ("(".equals(s.tok(i))) {
            b.unknown("ADD COLUMN with a parenthesised column list");
            return;
        }
        boolean positioned = s.indexAtDepth0("FIRST", i, to) > 0 || s.indexAtDepth0("AFTER", i, to) > 0;
        boolean autoIncrement = s.indexAtDepth0("AUTO_INCREMENT", i, to) > 0;
        boolean stored = s.indexAtDepth0("STORED", i, to) > 0 || s.indexAtDepth0("PERSISTENT", i, to) > 0;
        boolean keyed = s.indexAtDepth0("PRIMARY", i, to) > 0 || s.indexAtDepth0("UNIQUE", i, to) > 0;
        b.kind(stored ? StatementKind.ADD_COLUMN_GENERATED_STORED : autoIncrement ? StatementKind.ADD_COLUMN_VOLATILE_DEFAULT
                : StatementKind.ADD_COLUMN);
        if (stored) {
            b.algorithm(COPY);
            b.rewrites = true;
        } else if (autoIncrement) {
            b.algorithm(INPLACE_LOCK_SHARED);
            b.rewrites = true;
        } else if (keyed) {
            b.algorithm(INPLACE_LOCK_NONE);
            b.rewrites = true;
            b.scans = true;
        } else {
            boolean instant = maria ? (v.atLeast(10, 4, 0) || (v.atLeast(10, 3, 0) && !positioned))
                    : (v.atLeast(8, 0, 29) || (v.atLeast(8, 0, 12) && !positioned));
            b.algorithm(instant ? INSTANT : INPLACE_LOCK_NONE);
            b.rewrites |= !instant;
        }
    }
}

package dev.deployclaw.gates.core.ddl;

import java.util.List;
import java.util.Set;

import static dev.deployclaw.gates.core.ddl.LockMode.ACCESS_EXCLUSIVE;
import static dev.deployclaw.gates.core.ddl.LockMode.ROW_EXCLUSIVE;
import static dev.deployclaw.gates.core.ddl.LockMode.SHARE;
import static dev.deployclaw.gates.core.ddl.LockMode.SHARE_ROW_EXCLUSIVE;
import static dev.deployclaw.gates.core.ddl.LockMode.SHARE_UPDATE_EXCLUSIVE;

/** The PostgreSQL classifier: lock levels per command as in the manual's "Explicit Locking" chapter. */
final class PostgresRules {
    /** Functions known not to be VOLATILE, so a DEFAULT calling them is stored as a fast default (PostgreSQL 11+). */
    private static final Set<String> NON_VOLATILE = Set.of("NOW", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
            "LOCALTIME", "LOCALTIMESTAMP", "STATEMENT_TIMESTAMP", "TRANSACTION_TIMESTAMP", "LOWER", "UPPER", "COALESCE",
            "NULLIF", "CONCAT", "TO_CHAR", "TO_TIMESTAMP", "TO_DATE", "MAKE_INTERVAL", "JSONB_BUILD_OBJECT",
            "JSON_BUILD_OBJECT", "JSONB_BUILD_ARRAY", "JSON_BUILD_ARRAY", "ARRAY", "ROW", "GREATEST", "LEAST", "ABS",
            "ROUND", "LENGTH", "MD5", "CURRENT_USER", "CURRENT_SETTING", "CURRENT_SCHEMA", "SESSION_USER", "CAST");
    private static final Set<String> KNOWN_VOLATILE = Set.of("RANDOM", "CLOCK_TIMESTAMP", "TIMEOFDAY", "GEN_RANDOM_UUID",
            "UUID_GENERATE_V1", "UUID_GENERATE_V1MC", "UUID_GENERATE_V4", "NEXTVAL", "SETVAL", "TXID_CURRENT");
    private static final Set<String> SERIAL = Set.of("SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL2", "SERIAL4", "SERIAL8");
    private static final Set<String> COLUMN_CONSTRAINT_WORDS = Set.of("NOT", "NULL", "CONSTRAINT", "CHECK", "REFERENCES",
            "PRIMARY", "UNIQUE", "GENERATED", "COLLATE", "DEFAULT");

    /** Marks a type change predicted without a rewrite by assumption, not from the catalog. */
    static final String ASSUMED_COERCIBLE = "Predicted without a rewrite";

    private final Sql s;
    private final StatementAnalyzer.Builder b;
    private final ServerVersion version;
    private final ColumnCatalog catalog;

    PostgresRules(Sql s, StatementAnalyzer.Builder b, ServerVersion version, ColumnCatalog catalog) {
        this.s = s;
        this.b = b;
        this.version = version;
        this.catalog = catalog;
    }

    void classify() {
        switch (s.up(0)) {
            case "CREATE" -> create();
            case "DROP" -> drop();
            case "ALTER" -> alter();
            case "TRUNCATE" -> {
                List<TableRef> list = s.nameList(s.skip(1, "TABLE", "ONLY"));
                if (list.isEmpty()) {
                    b.unknown("TRUNCATE without a table name");
                    return;
                }
                b.kind(StatementKind.TRUNCATE);
                list.forEach(t -> b.lock(t, ACCESS_EXCLUSIVE));
                b.rewrites = true;
            }
            case "DELETE" -> {
                int from = s.indexOf("FROM", 1);
                List<String> n = s.qualifiedName(s.skip(from + 1, "ONLY"));
                if (from < 0 || n.isEmpty()) {
                    b.unknown("DELETE without FROM table");
                    return;
                }
                b.kind(s.indexAtDepth0("WHERE", from, s.size()) < 0 ? StatementKind.DELETE_ALL_ROWS : StatementKind.DELETE);
                b.lock(Sql.ref(n), ROW_EXCLUSIVE);
            }
            case "UPDATE" -> {
                List<String> n = s.qualifiedName(s.skip(1, "ONLY"));
                if (n.isEmpty()) {
                    b.unknown("UPDATE without a table name");
                    return;
                }
                b.kind(s.indexAtDepth0("WHERE", 1, s.size()) < 0 ? StatementKind.UPDATE_ALL_ROWS : StatementKind.UPDATE);
                b.lock(Sql.ref(n), ROW_EXCLUSIVE);
            }
            case "INSERT" -> {
                int into = s.indexOf("INTO", 1);
                List<String> n = s.qualifiedName(into + 1);
                if (into < 0 || n.isEmpty()) {
                    b.unknown("INSERT without INTO table");
                    return;
                }
                b.kind(StatementKind.INSERT).lock(Sql.ref(n), ROW_EXCLUSIVE);
                b.note("An INSERT … SELECT also takes AccessShareLock on the tables it reads.");
            }
            case "SELECT", "WITH", "VALUES", "SHOW", "EXPLAIN", "TABLE" -> {
                if (s.containsWord(1, s.size(), "INSERT") || s.containsWord(1, s.size(), "UPDATE")
                        || s.containsWord(1, s.size(), "DELETE") || s.containsWord(1, s.size(), "MERGE")
                        || (s.is(0, "SELECT") && s.indexAtDepth0("INTO", 1, s.size()) > 0)) {
                    b.unknown("a query that writes (data-modifying WITH, SELECT … INTO)");
                    return;
                }
                b.kind(StatementKind.SELECT)
                        .note("A SELECT takes AccessShareLock on what it reads; functions it calls are not analysed.");
            }
            case "LOCK" -> lockTable();
            case "VACUUM" -> vacuum();
            case "ANALYZE", "ANALYSE" -> {
                int i = s.afterParens(1);
                i = s.skip(i, "VERBOSE");
                b.kind(StatementKind.ANALYZE);
                s.nameList(i).forEach(t -> b.lock(t, SHARE_UPDATE_EXCLUSIVE));
            }
            case "CLUSTER" -> {
                int i = s.skip(s.afterParens(1), "VERBOSE");
                List<String> n = s.qualifiedName(i);
                b.kind(StatementKind.CLUSTER);
                b.rewrites = true;
                b.scans = true;
                if (n.isEmpty()) {
                    b.canRunInTransaction = false;
                    b.note("CLUSTER without a table reclusters every clustered table and cannot run in a transaction.");
                } else {
                    b.lock(Sql.ref(n), ACCESS_EXCLUSIVE);
                }
            }
            case "REINDEX" -> reindex();
            case "GRANT", "REVOKE" -> grant();
            case "COMMENT" -> {
                b.kind(StatementKind.COMMENT);
                if (s.is(2, "TABLE")) {
                    List<String> n = s.qualifiedName(3);
                    if (!n.isEmpty()) {
                        b.lock(Sql.ref(n), SHARE_UPDATE_EXCLUSIVE);
                    }
                } else if (s.is(2, "COLUMN")) {
                    List<String> n = s.qualifiedName(3);
                    if (n.size() >= 2) {
                        b.lock(Sql.ref(n.subList(0, n.size() - 1)), SHARE_UPDATE_EXCLUSIVE);
                    }
                }
            }
            case "SET", "RESET" -> setting();
            case "BEGIN", "START" -> b.kind(StatementKind.TRANSACTION_BEGIN);
            case "COMMIT", "END", "ROLLBACK", "ABORT" -> b.kind(StatementKind.TRANSACTION_END);
            case "SAVEPOINT", "RELEASE" -> b.kind(StatementKind.SET_OTHER);
            case "REFRESH" -> {
                boolean conc = s.is(3, "CONCURRENTLY");
                List<String> n = s.qualifiedName(s.skip(3, "CONCURRENTLY"));
                if (!s.is(1, "MATERIALIZED") || n.isEmpty()) {
                    b.unknown("REFRESH " + s.tok(1));
                    return;
                }
                b.kind(StatementKind.REFRESH_MATERIALIZED_VIEW);
                b.lock(Sql.ref(n), conc ? LockMode.EXCLUSIVE : ACCESS_EXCLUSIVE);
                b.rewrites = !conc;
                b.scans = true;
                b.note("REFRESH MATERIALIZED VIEW also reads every table of the view's query (AccessShareLock).");
            }
            case "DO", "CALL", "EXECUTE", "PREPARE", "COPY", "IMPORT", "MERGE" -> {
                b.kind(StatementKind.OPAQUE);
                b.understood = false;
                b.note("Not understood: " + s.up(0) + " runs code or reads data the analyser cannot see into.");
            }
            default -> b.unknown("'" + s.tok(0) + "' is not a statement form the analyser knows");
        }
    }

    private void setting() {
        int i = s.skip(1, "SESSION", "LOCAL");
        String name = s.up(i);
        if (name.equals("LOCK_TIMEOUT")) {
            b.kind(StatementKind.SET_LOCK_TIMEOUT);
        } else if (name.equals("STATEMENT_TIMEOUT")) {
            b.kind(StatementKind.SET_STATEMENT_TIMEOUT);
        } else {
            b.kind(StatementKind.SET_OTHER);
        }
    }

    private void create() {
        int i = s.skip(1, "OR", "REPLACE");
        boolean unique = s.is(i, "UNIQUE");
        i = s.skip(i, "UNIQUE");
        String what = s.up(i);
        switch (what) {
            case "INDEX" -> {
                boolean conc = s.is(i + 1, "CONCURRENTLY");
                int on = s.indexOf("ON", i);
                List<String> n = on < 0 ? List.of() : s.qualifiedName(s.skip(on + 1, "ONLY"));
                if (n.isEmpty()) {
                    b.unknown("CREATE INDEX without ON table");
                    return;
                }
                b.kind(conc ? (unique ? StatementKind.CREATE_UNIQUE_INDEX_CONCURRENTLY : StatementKind.CREATE_INDEX_CONCURRENTLY)
                        : (unique ? StatementKind.CREATE_UNIQUE_INDEX : StatementKind.CREATE_INDEX));
                b.lock(Sql.ref(n), conc ? SHARE_UPDATE_EXCLUSIVE : SHARE);
                b.scans = true;
                b.canRunInTransaction = !conc;
            }
            case "TABLE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL" -> {
                int t = s.indexOf("TABLE", i);
                List<String> n = t < 0 ? List.of() : s.qualifiedName(s.skip(t + 1, "IF", "NOT", "EXISTS"));
                if (n.isEmpty()) {
                    b.unknown("CREATE TABLE without a name");
                    return;
                }
                TableRef created = Sql.ref(n);
                b.kind(StatementKind.CREATE_TABLE);
                b.lock(created, ACCESS_EXCLUSIVE);
                b.created.add(created);
                for (int r = s.indexOf("REFERENCES", t); r > 0; r = s.indexOf("REFERENCES", r + 1)) {
                    List<String> ref = s.qualifiedName(r + 1);
                    if (!ref.isEmpty() && !Sql.ref(ref).equals(created)) {
                        b.lock(Sql.ref(ref), SHARE_ROW_EXCLUSIVE);
                    }
                }
                int partOf = s.indexOf("PARTITION", t);
                if (partOf > 0 && s.is(partOf + 1, "OF")) {
                    List<String> parent = s.qualifiedName(partOf + 2);
                    if (!parent.isEmpty()) {
                        b.lock(Sql.ref(parent), ACCESS_EXCLUSIVE);
                    }
                } else if (s.indexAtDepth0("AS", t, s.size()) > 0 || s.indexOf("LIKE", t) > 0 || s.indexOf("INHERITS", t) > 0) {
                    b.note("CREATE TABLE … AS / LIKE / INHERITS / PARTITION OF also locks the tables it reads from.");
                }
            }
            case "TRIGGER", "CONSTRAINT" -> {
                int on = s.indexOf("ON", i);
                List<String> n = on < 0 ? List.of() : s.qualifiedName(on + 1);
                if (n.isEmpty()) {
                    b.unknown("CREATE TRIGGER without ON table");
                    return;
                }
                b.kind(StatementKind.CREATE_TRIGGER).lock(Sql.ref(n), SHARE_ROW_EXCLUSIVE);
            }
            case "POLICY" -> {
                int on = s.indexOf("ON", i);
                List<String> n = on < 0 ? List.of() : s.qualifiedName(on + 1);
                if (n.isEmpty()) {
                    b.unknown("CREATE POLICY without ON table");
                    return;
                }
                b.kind(StatementKind.CREATE_POLICY).lock(Sql.ref(n), ACCESS_EXCLUSIVE);
            }
            case "DATABASE", "TABLESPACE" -> {
                b.kind(StatementKind.DATABASE_COMMAND);
                b.canRunInTransaction = false;
            }
            case "SCHEMA", "SEQUENCE", "TYPE", "EXTENSION", "FUNCTION", "PROCEDURE", "DOMAIN", "ROLE", "USER", "VIEW",
                 "MATERIALIZED", "RECURSIVE", "COLLATION", "AGGREGATE", "OPERATOR", "CAST", "PUBLICATION", "SUBSCRIPTION",
                 "STATISTICS", "TEXT", "SERVER", "FOREIGN", "EVENT", "GROUP", "LANGUAGE", "TRANSFORM", "CONVERSION" -> {
                b.kind(StatementKind.OTHER_OBJECT);
                if (what.equals("VIEW") || what.equals("MATERIALIZED") || what.equals("RECURSIVE")) {
                    b.note("A view takes AccessShareLock on the tables it reads; a materialized view also reads them all.");
                }
                if (what.equals("SUBSCRIPTION")) {
                    b.canRunInTransaction = false;
                }
            }
            default -> b.unknown("CREATE " + s.tok(i) + " is not a form the analyser knows");
        }
    }

    private void drop() {
        String what = s.up(1);
        switch (what) {
            case "TABLE" -> {
                List<TableRef> list = s.nameList(s.skip(2, "IF", "EXISTS"));
                if (list.isEmpty()) {
                    b.unknown("DROP TABLE without a name");
                    return;
                }
                b.kind(StatementKind.DROP_TABLE);
                list.forEach(t -> b.lock(t, ACCESS_EXCLUSIVE));
                b.note("Tables referenced by its foreign keys are locked too (AccessExclusiveLock, to drop the triggers).");
            }
            case "INDEX" -> {
                boolean conc = s.is(2, "CONCURRENTLY");
                int i = s.skip(2, "CONCURRENTLY", "IF", "EXISTS");
                List<String> n = s.qualifiedName(i);
                if (n.isEmpty()) {
                    b.unknown("DROP INDEX without a name");
                    return;
                }
                b.kind(conc ? StatementKind.DROP_INDEX_CONCURRENTLY : StatementKind.DROP_INDEX);
                b.namedIndex = Sql.ref(n);
                b.indexTableLock = conc ? SHARE_UPDATE_EXCLUSIVE : ACCESS_EXCLUSIVE;
                b.canRunInTransaction = !conc;
            }
            case "TRIGGER", "POLICY", "RULE" -> {
                int on = s.indexOf("ON", 2);
                List<String> n = on < 0 ? List.of() : s.qualifiedName(on + 1);
                if (n.isEmpty()) {
                    b.unknown("DROP " + what + " without ON table");
                    return;
                }
                b.kind(what.equals("POLICY") ? StatementKind.DROP_POLICY : StatementKind.DROP_TRIGGER);
                b.lock(Sql.ref(n), ACCESS_EXCLUSIVE);
            }
            case "DATABASE", "TABLESPACE" -> {
                b.kind(StatementKind.DATABASE_COMMAND);
                b.canRunInTransaction = false;
            }
            case "SCHEMA", "OWNED" -> {
                b.kind(StatementKind.DROP_TABLE);
                b.note("DROP " + what + " drops every table it holds (with CASCADE); the tables are not listed.");
            }
            case "SEQUENCE", "TYPE", "FUNCTION", "PROCEDURE", "DOMAIN", "ROLE", "USER", "EXTENSION", "VIEW", "MATERIALIZED",
                 "COLLATION", "AGGREGATE", "OPERATOR", "CAST", "PUBLICATION", "SUBSCRIPTION", "STATISTICS", "SERVER",
                 "FOREIGN", "EVENT", "GROUP", "LANGUAGE" -> {
                b.kind(StatementKind.OTHER_OBJECT);
                if (what.equals("SUBSCRIPTION")) {
                    b.canRunInTransaction = false;
                }
            }
            default -> b.unknown("DROP " + s.tok(1) + " is not a form the analyser knows");
        }
    }

    private void alter() {
        String what = s.up(1);
        switch (what) {
            case "TABLE" -> alterTable();
            case "INDEX" -> {
                int i = s.skip(2, "IF", "EXISTS");
                List<String> n = s.qualifiedName(i);
                int after = i + Sql.span(n);
                if (n.isEmpty()) {
                    b.unknown("ALTER INDEX without a name");
                } else if (s.is(after, "RENAME")) {
                    b.kind(StatementKind.RENAME_INDEX);
                } else if (s.is(after, "SET", "RESET")) {
                    b.kind(StatementKind.SET_STORAGE_PARAMETER);
                } else {
                    b.unknown("ALTER INDEX " + s.tok(after) + " is not a form the analyser knows");
                }
            }
            case "SYSTEM", "DATABASE" -> {
                b.kind(StatementKind.DATABASE_COMMAND);
                b.canRunInTransaction = !what.equals("SYSTEM");
            }
            case "TYPE" -> {
                b.kind(StatementKind.OTHER_OBJECT);
                if (s.containsWord(2, s.size(), "VALUE") && !version.atLeast(12, 0, 0)) {
                    b.canRunInTransaction = false;
                }
            }
            case "SEQUENCE", "VIEW", "FUNCTION", "PROCEDURE", "SCHEMA", "ROLE", "USER", "DOMAIN", "EXTENSION", "DEFAULT",
                 "MATERIALIZED", "COLLATION", "AGGREGATE", "OPERATOR", "PUBLICATION", "SUBSCRIPTION", "STATISTICS",
                 "SERVER", "GROUP", "LANGUAGE", "POLICY", "TRIGGER", "EVENT" -> b.kind(StatementKind.OTHER_OBJECT);
            default -> b.unknown("ALTER " + s.tok(1) + " is not a form the analyser knows");
        }
    }

    private void alterTable() {
        int i = s.skip(2, "IF", "EXISTS", "ONLY");
        List<String> n = s.qualifiedName(i);
        if (n.isEmpty()) {
            b.unknown("ALTER TABLE without a table name");
            return;
        }
        TableRef table = Sql.ref(n);
        b.table(table);
        i += Sql.span(n);
        if ("*".equals(s.tok(i))) {
            i++;
        }
        if (i >= s.size()) {
            b.unknown("ALTER TABLE " + table + " without an action");
            return;
        }
        if (s.is(i, "RENAME")) {
            rename(table, i + 1);
            return;
        }
        if (s.is(i, "SET") && s.is(i + 1, "SCHEMA")) {
            b.kind(StatementKind.SET_SCHEMA).lock(table, ACCESS_EXCLUSIVE);
            return;
        }
        for (int[] r : s.splitOnCommas(i, s.size())) {
            action(table, r[0], r[1]);
        }
    }

    private void rename(TableRef table, int i) {
        if (s.is(i, "TO")) {
            b.kind(StatementKind.RENAME_TABLE).lock(table, ACCESS_EXCLUSIVE);
        } else if (s.is(i, "CONSTRAINT")) {
            b.kind(StatementKind.RENAME_CONSTRAINT).lock(table, ACCESS_EXCLUSIVE);
        } else {
            b.kind(StatementKind.RENAME_COLUMN).lock(table, ACCESS_EXCLUSIVE);
        }
    }

    private void action(TableRef table, int from, int to) {
        String w = s.up(from);
        switch (w) {
            case "ADD" -> add(table, from + 1, to);
            case "DROP" -> {
                if (s.is(from + 1, "CONSTRAINT")) {
                    b.kind(StatementKind.DROP_CONSTRAINT).lock(table, ACCESS_EXCLUSIVE);
                    b.note("Dropping a foreign key also takes a lock on the referenced table.");
                } else if (s.is(from + 1, "ROW") || s.is(from + 1, "EXPRESSION")) {
                    b.unknown("ALTER TABLE DROP " + s.tok(from + 1));
                } else {
                    b.kind(StatementKind.DROP_COLUMN).lock(table, ACCESS_EXCLUSIVE);
                }
            }
            case "ALTER" -> alterColumn(table, s.skip(from + 1, "COLUMN"), to);
            case "VALIDATE" -> {
                b.kind(StatementKind.VALIDATE_CONSTRAINT).lock(table, SHARE_UPDATE_EXCLUSIVE);
                b.scans = true;
                b.note("Validating a foreign key also takes RowShareLock on the referenced table.");
            }
            case "ENABLE", "DISABLE", "FORCE", "NO" -> {
                if (s.containsWord(from, to, "SECURITY")) {
                    b.kind(w.equals("DISABLE") || w.equals("NO") ? StatementKind.DISABLE_ROW_LEVEL_SECURITY
                            : StatementKind.ENABLE_ROW_LEVEL_SECURITY).lock(table, ACCESS_EXCLUSIVE);
                } else if (s.containsWord(from, to, "TRIGGER")) {
                    b.kind(StatementKind.ENABLE_DISABLE_TRIGGER).lock(table, SHARE_ROW_EXCLUSIVE);
                } else if (s.containsWord(from, to, "RULE")) {
                    b.kind(StatementKind.TABLE_OPTION).lock(table, ACCESS_EXCLUSIVE);
                } else {
                    b.unknown("ALTER TABLE " + s.text(from, to));
                }
            }
            case "SET" -> {
                if (s.is(from + 1, "LOGGED", "UNLOGGED")) {
                    b.kind(StatementKind.SET_LOGGED).lock(table, ACCESS_EXCLUSIVE);
                    b.rewrites = true;
                    b.note("SET " + s.tok(from + 1) + " is a no-op (no rewrite) when the table already is "
                            + s.tok(from + 1).toLowerCase(java.util.Locale.ROOT) + ".");
                } else if (s.is(from + 1, "TABLESPACE")) {
                    b.kind(StatementKind.SET_TABLESPACE).lock(table, ACCESS_EXCLUSIVE);
                    b.rewrites = true;
                } else if ("(".equals(s.tok(from + 1))) {
                    b.kind(StatementKind.SET_STORAGE_PARAMETER).lock(table, SHARE_UPDATE_EXCLUSIVE);
                } else if (s.is(from + 1, "WITHOUT") && s.is(from + 2, "CLUSTER")) {
                    b.kind(StatementKind.TABLE_OPTION).lock(table, SHARE_UPDATE_EXCLUSIVE);
                } else {
                    b.unknown("ALTER TABLE " + s.text(from, to));
                }
            }
            case "RESET" -> b.kind(StatementKind.SET_STORAGE_PARAMETER).lock(table, SHARE_UPDATE_EXCLUSIVE);
            case "ATTACH" -> {
                List<String> part = s.qualifiedName(from + 2);
                if (!s.is(from + 1, "PARTITION") || part.isEmpty()) {
                    b.unknown("ALTER TABLE " + s.text(from, to));
                    return;
                }
                b.kind(StatementKind.PARTITION_CHANGE);
                b.lock(table, version.atLeast(12, 0, 0) ? SHARE_UPDATE_EXCLUSIVE : ACCESS_EXCLUSIVE);
                b.lock(Sql.ref(part), ACCESS_EXCLUSIVE);
                b.scans = true;
                b.note("ATTACH PARTITION scans the partition to check its rows fit the bounds, unless a CHECK constraint"
                        + " already proves it (and scans the default partition, if there is one).");
            }
            case "DETACH" -> {
                List<String> part = s.qualifiedName(from + 2);
                if (!s.is(from + 1, "PARTITION") || part.isEmpty()) {
                    b.unknown("ALTER TABLE " + s.text(from, to));
                    return;
                }
                boolean conc = s.containsWord(from + 2, to, "CONCURRENTLY");
                b.kind(StatementKind.PARTITION_CHANGE);
                b.lock(table, conc ? SHARE_UPDATE_EXCLUSIVE : ACCESS_EXCLUSIVE);
                b.lock(Sql.ref(part), conc ? SHARE_UPDATE_EXCLUSIVE : ACCESS_EXCLUSIVE);
                b.canRunInTransaction &= !conc;
            }
            case "INHERIT" -> {
                List<String> parent = s.qualifiedName(from + 1);
                b.kind(StatementKind.TABLE_OPTION).lock(table, ACCESS_EXCLUSIVE);
                if (!parent.isEmpty()) {
                    b.lock(Sql.ref(parent), SHARE_UPDATE_EXCLUSIVE);
                }
            }
            case "CLUSTER" -> b.kind(StatementKind.TABLE_OPTION).lock(table, SHARE_UPDATE_EXCLUSIVE);
            case "OWNER" -> b.kind(StatementKind.OWNER_TO).lock(table, ACCESS_EXCLUSIVE);
            case "REPLICA" -> b.kind(StatementKind.TABLE_OPTION).lock(table, ACCESS_EXCLUSIVE);
            default -> b.unknown("ALTER TABLE " + s.text(from, to));
        }
    }

    private void add(TableRef table, int i, int to) {
        int c = i;
        if (s.is(c, "CONSTRAINT")) {
            c += 1 + Sql.span(s.qualifiedName(c + 1));
        }
        boolean notValid = s.is(to - 1, "VALID") && s.is(to - 2, "NOT");
        switch (s.up(c)) {
            case "FOREIGN" -> {
                int r = s.indexOf("REFERENCES", c);
                List<String> ref = r < 0 ? List.of() : s.qualifiedName(r + 1);
                b.kind(notValid ? StatementKind.ADD_FOREIGN_KEY_NOT_VALID : StatementKind.ADD_FOREIGN_KEY);
                b.lock(table, SHARE_ROW_EXCLUSIVE);
                if (!ref.isEmpty()) {
                    b.lock(Sql.ref(ref), SHARE_ROW_EXCLUSIVE);
                }
                b.scans |= !notValid;
            }
            case "CHECK" -> {
                b.kind(notValid ? StatementKind.ADD_CHECK_NOT_VALID : StatementKind.ADD_CHECK).lock(table, ACCESS_EXCLUSIVE);
                b.scans |= !notValid;
            }
            case "UNIQUE", "PRIMARY" -> {
                boolean usingIndex = s.indexOf("USING", c) > 0 && s.is(s.indexOf("USING", c) + 1, "INDEX");
                b.kind(usingIndex ? StatementKind.ADD_CONSTRAINT_USING_INDEX
                        : s.is(c, "PRIMARY") ? StatementKind.ADD_PRIMARY_KEY : StatementKind.ADD_UNIQUE_CONSTRAINT);
                b.lock(table, ACCESS_EXCLUSIVE);
                if (!usingIndex) {
                    b.scans = true;
                } else if (s.is(c, "PRIMARY")) {
                    b.note("PRIMARY KEY USING INDEX scans the table under the lock when a key column is not yet NOT NULL.");
                }
            }
            case "EXCLUDE" -> {
                b.kind(StatementKind.ADD_EXCLUSION_CONSTRAINT).lock(table, ACCESS_EXCLUSIVE);
                b.scans = true;
            }
            default -> addColumn(table, s.skip(s.skip(c, "COLUMN"), "IF", "NOT", "EXISTS"), to);
        }
    }

    private void addColumn(TableRef table, int i, int to) {
        b.lock(table, ACCESS_EXCLUSIVE);
        int typeAt = i + 1;
        String type = s.up(typeAt);
        boolean rewrite = false;
        boolean generatedStored = false;
        StatementKind kind = StatementKind.ADD_COLUMN;
        if (SERIAL.contains(type)) {
            rewrite = true;
            kind = StatementKind.ADD_COLUMN_VOLATILE_DEFAULT;
        }
        int gen = s.indexAtDepth0("GENERATED", typeAt, to);
        if (gen > 0) {
            if (s.containsWord(gen, to, "STORED")) {
                generatedStored = true;
                rewrite = true;
            } else if (s.containsWord(gen, to, "IDENTITY")) {
                rewrite = true;
                kind = StatementKind.ADD_COLUMN_VOLATILE_DEFAULT;
            }
        }
        int def = s.indexAtDepth0("DEFAULT", typeAt, to);
        if (def > 0) {
            int end = def + 1;
            int depth = 0;
            while (end < to) {
                String tk = s.tok(end);
                if ("(".equals(tk)) {
                    depth++;
                } else if (")".equals(tk)) {
                    depth--;
                } else if (depth == 0 && COLUMN_CONSTRAINT_WORDS.contains(s.up(end))) {
                    break;
                }
                end++;
            }
            boolean nullDefault = end == def + 2 && s.is(def + 1, "NULL");
            if (!nullDefault) {
                if (!version.atLeast(11, 0, 0)) {
                    rewrite = true;
                    kind = StatementKind.ADD_COLUMN_VOLATILE_DEFAULT;
                    b.note("Before PostgreSQL 11 every non-null DEFAULT on a new column rewrites the table.");
                } else if (volatileExpression(def + 1, end)) {
                    rewrite = true;
                    kind = StatementKind.ADD_COLUMN_VOLATILE_DEFAULT;
                }
            }
        }
        b.kind(generatedStored ? StatementKind.ADD_COLUMN_GENERATED_STORED : kind);
        b.rewrites |= rewrite;
        b.scans |= rewrite;
        if (s.indexAtDepth0("PRIMARY", typeAt, to) > 0 || s.indexAtDepth0("UNIQUE", typeAt, to) > 0) {
            b.scans = true;
            b.kind(s.indexAtDepth0("PRIMARY", typeAt, to) > 0 ? StatementKind.ADD_PRIMARY_KEY : StatementKind.ADD_UNIQUE_CONSTRAINT);
        }
        int r = s.indexAtDepth0("REFERENCES", typeAt, to);
        if (r > 0) {
            List<String> ref = s.qualifiedName(r + 1);
            if (!ref.isEmpty()) {
                b.lock(Sql.ref(ref), SHARE_ROW_EXCLUSIVE);
            }
        }
        if (s.indexAtDepth0("CHECK", typeAt, to) > 0 && def > 0) {
            b.scans = true;
        }
    }

    /** True when the DEFAULT expression calls a volatile function, or one whose volatility is not known (fail closed). */
    private boolean volatileExpression(int from, int to) {
        for (int k = from; k < to; k++) {
            if (!"(".equals(s.tok(k + 1)) || !Tokens.isName(s.tok(k)) || s.tok(k).startsWith("\"")) {
                continue;
            }
            if (":".equals(s.tok(k - 1))) {
                continue; // a cast's type modifier: '…'::varchar(10)
            }
            String f = s.up(k);
            if (KNOWN_VOLATILE.contains(f)) {
                return true;
            }
            if (!NON_VOLATILE.contains(f) && !isTypeName(f)) {
                b.note("DEFAULT calls " + s.tok(k) + "(), whose volatility is not known here: assumed VOLATILE (a rewrite).");
                return true;
            }
        }
        return false;
    }

    private static boolean isTypeName(String f) {
        return Set.of("VARCHAR", "CHAR", "CHARACTER", "NUMERIC", "DECIMAL", "TIMESTAMP", "TIMESTAMPTZ", "TIME", "INTERVAL",
                "BIT", "VARBIT").contains(f);
    }

    private void alterColumn(TableRef table, int i, int to) {
        int a = i + 1; // after the column name
        if (s.is(a, "TYPE") || (s.is(a, "SET") && s.is(a + 1, "DATA") && s.is(a + 2, "TYPE"))) {
            int typeAt = s.is(a, "TYPE") ? a + 1 : a + 3;
            b.kind(StatementKind.ALTER_COLUMN_TYPE).lock(table, ACCESS_EXCLUSIVE);
            int usingAt = s.indexAtDepth0("USING", typeAt, to);
            // USING the column itself does not force a rewrite; any other expression does
            boolean using = usingAt > 0 && !(usingAt + 2 == to && Tokens.unquote(s.tok(usingAt + 1)).equals(Tokens.unquote(s.tok(i))));
            String base = s.up(typeAt);
            boolean textLike = base.equals("TEXT") || base.equals("VARCHAR")
                    || (base.equals("CHARACTER") && s.is(typeAt + 1, "VARYING"));
            boolean numericLike = base.equals("NUMERIC") || base.equals("DECIMAL");
            int typeEnd = usingAt > 0 ? usingAt : s.indexAtDepth0("COLLATE", typeAt, to) > 0
                    ? s.indexAtDepth0("COLLATE", typeAt, to) : to;
            String newType = s.text(typeAt, typeEnd);
            java.util.Optional<String> current = catalog.typeOf(table, Tokens.unquote(s.tok(i)));
            if (current.isPresent()) {
                boolean coercible = !using && PgTypes.binaryCoercible(current.get(), newType);
                b.note("Current type " + current.get() + " (live catalog): " + (coercible ? "binary-coercible to " + newType
                        + ", no rewrite" : "changing it to " + newType + " rewrites the table") + ".");
                if (!coercible) {
                    b.rewrites = true;
                    b.scans = true;
                }
            } else if (!using && (textLike || numericLike)) {
                b.note(ASSUMED_COERCIBLE + ": assumes a binary-coercible widening (varchar(n) to a longer varchar"
                        + " or text, numeric(p,s) to a larger precision); from any other type PostgreSQL rewrites the table.");
            } else {
                b.rewrites = true;
                b.scans = true;
            }
        } else if (s.is(a, "SET") && s.is(a + 1, "NOT")) {
            b.kind(StatementKind.SET_NOT_NULL).lock(table, ACCESS_EXCLUSIVE);
            b.scans = true;
            if (version.atLeast(12, 0, 0)) {
                b.note("PostgreSQL 12+ skips the scan when a valid CHECK (col IS NOT NULL) constraint already exists.");
            }
        } else if (s.is(a, "DROP") && s.is(a + 1, "NOT")) {
            b.kind(StatementKind.DROP_NOT_NULL).lock(table, ACCESS_EXCLUSIVE);
        } else if (s.is(a, "SET") && s.is(a + 1, "DEFAULT")) {
            b.kind(StatementKind.SET_DEFAULT).lock(table, ACCESS_EXCLUSIVE);
        } else if (s.is(a, "DROP") && s.is(a + 1, "DEFAULT")) {
            b.kind(StatementKind.DROP_DEFAULT).lock(table, ACCESS_EXCLUSIVE);
        } else if (s.is(a, "SET") && s.is(a + 1, "STATISTICS")) {
            b.kind(StatementKind.SET_STATISTICS).lock(table, SHARE_UPDATE_EXCLUSIVE);
        } else if ((s.is(a, "SET") || s.is(a, "RESET")) && "(".equals(s.tok(a + 1))) {
            b.kind(StatementKind.SET_STORAGE_PARAMETER).lock(table, SHARE_UPDATE_EXCLUSIVE);
        } else if (s.is(a, "SET") && s.is(a + 1, "STORAGE", "COMPRESSION")) {
            b.kind(StatementKind.TABLE_OPTION).lock(table, ACCESS_EXCLUSIVE);
        } else if (s.is(a, "ADD") && s.is(a + 1, "GENERATED")) {
            b.kind(StatementKind.TABLE_OPTION).lock(table, ACCESS_EXCLUSIVE);
        } else if (s.is(a, "DROP") && s.is(a + 1, "IDENTITY")) {
            b.kind(StatementKind.TABLE_OPTION).lock(table, ACCESS_EXCLUSIVE);
        } else {
            b.unknown("ALTER TABLE " + table + " ALTER COLUMN " + s.text(i, to));
        }
    }

    private void lockTable() {
        int i = s.skip(1, "TABLE", "ONLY");
        List<TableRef> list = s.nameList(i);
        if (list.isEmpty()) {
            b.unknown("LOCK without a table");
            return;
        }
        LockMode mode = ACCESS_EXCLUSIVE;
        int in = s.indexOf("IN", i);
        int md = s.indexOf("MODE", in);
        if (in > 0 && md > in) {
            try {
                mode = LockMode.parse(s.text(in + 1, md));
            } catch (IllegalArgumentException e) {
                b.unknown("LOCK TABLE with mode '" + s.text(in + 1, md) + "'");
                return;
            }
        }
        b.kind(StatementKind.LOCK_TABLE);
        LockMode m = mode;
        list.forEach(t -> b.lock(t, m));
    }

    private void vacuum() {
        boolean full = false;
        int i = 1;
        if ("(".equals(s.tok(1))) {
            int end = s.afterParens(1);
            full = s.containsWord(1, end, "FULL") && !s.containsWord(1, end, "FALSE");
            i = end;
        }
        if (s.is(i, "FULL")) {
            full = true;
        }
        i = s.skip(i, "FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE");
        b.kind(full ? StatementKind.VACUUM_FULL : StatementKind.VACUUM);
        b.canRunInTransaction = false;
        LockMode m = full ? ACCESS_EXCLUSIVE : SHARE_UPDATE_EXCLUSIVE;
        b.rewrites = full;
        b.scans = full;
        List<TableRef> list = s.nameList(i);
        list.forEach(t -> b.lock(t, m));
        if (list.isEmpty()) {
            b.note("VACUUM without a table processes every table of the database.");
        }
    }

    private void reindex() {
        int i = s.afterParens(1);
        String what = s.up(i);
        boolean conc = s.is(i + 1, "CONCURRENTLY");
        int n = s.skip(i + 1, "CONCURRENTLY");
        b.kind(conc ? StatementKind.REINDEX_CONCURRENTLY : StatementKind.REINDEX);
        b.canRunInTransaction = !conc && !(what.equals("SCHEMA") || what.equals("DATABASE") || what.equals("SYSTEM"));
        LockMode tableLock = conc ? SHARE_UPDATE_EXCLUSIVE : SHARE;
        List<String> name = s.qualifiedName(n);
        if (what.equals("TABLE") && !name.isEmpty()) {
            b.lock(Sql.ref(name), tableLock);
        } else if (what.equals("INDEX") && !name.isEmpty()) {
            b.namedIndex = Sql.ref(name);
            b.indexTableLock = tableLock;
        } else if (what.equals("SCHEMA") || what.equals("DATABASE") || what.equals("SYSTEM")) {
            b.note("REINDEX " + what + " rebuilds every index of every table in it.");
        } else {
            b.unknown("REINDEX " + s.tok(i));
            return;
        }
        b.scans = true;
        if (!conc) {
            b.note("REINDEX also takes AccessExclusiveLock on each index it rebuilds: queries using it wait.");
        }
    }

    private void grant() {
        int on = s.indexOf("ON", 1);
        int to = s.indexOf(s.is(0, "GRANT") ? "TO" : "FROM", on < 0 ? 1 : on);
        boolean toPublic = s.is(0, "GRANT") && to > 0 && s.containsWord(to + 1, s.size(), "PUBLIC");
        b.kind(toPublic ? StatementKind.GRANT_TO_PUBLIC : s.is(0, "GRANT") ? StatementKind.GRANT : StatementKind.REVOKE);
        if (on > 0 && !s.is(on + 1, "ALL", "SCHEMA", "SEQUENCE", "FUNCTION", "DATABASE", "PROCEDURE", "ROUTINE", "TYPE",
                "DOMAIN", "LANGUAGE", "FOREIGN", "LARGE", "TABLESPACE", "PARAMETER")) {
            int end = to > 0 ? to : s.size();
            for (TableRef t : s.nameList(s.skip(on + 1, "TABLE"))) {
                b.table(t);
            }
            if (end < 0) {
                b.unknown("GRANT without TO");
            }
        }
    }
}

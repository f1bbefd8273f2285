package dev.deployclaw.gates.core.ddl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the tables a statement names, with a tolerant tokenizer rather than a full parser: it knows the DDL and
 * DML forms migrations use ({@code ALTER TABLE}, {@code CREATE INDEX … ON}, {@code REFERENCES}, {@code DROP},
 * {@code TRUNCATE}, {@code INSERT/UPDATE/DELETE}, {@code LOCK}, {@code VACUUM}, {@code REINDEX}, {@code CLUSTER},
 * {@code GRANT … ON}, {@code COMMENT ON}, {@code RENAME TABLE}). For anything else it returns empty, and callers
 * must then assume the statement may touch any table (fail closed).
 */
public final class TouchedTables {
    private TouchedTables() {
    }

    /** @return the tables, or empty when the statement's form is not understood */
    public static Optional<Set<TableRef>> of(String statement) {
        List<String> t = Tokens.of(statement);
        if (t.isEmpty()) {
            return Optional.of(Set.of());
        }
        Set<TableRef> out = new LinkedHashSet<>();
        String first = upper(t, 0);
        switch (first) {
            case "ALTER" -> {
                if (!"TABLE".equals(upper(t, 1))) {
                    return "INDEX".equals(upper(t, 1)) || "SEQUENCE".equals(upper(t, 1)) || "VIEW".equals(upper(t, 1))
                            || "TYPE".equals(upper(t, 1)) || "FUNCTION".equals(upper(t, 1)) || "SCHEMA".equals(upper(t, 1))
                            || "ROLE".equals(upper(t, 1)) || "USER".equals(upper(t, 1)) || "DATABASE".equals(upper(t, 1))
                            ? Optional.of(Set.of()) : Optional.empty();
                }
                int i = skip(t, 2, "IF", "EXISTS", "ONLY");
                addName(t, i, out);
                collectAfter(t, "REFERENCES", out);
                int rename = indexOf(t, "RENAME", i);
                if (rename > 0 && "TO".equals(upper(t, rename + 1))) {
                    addName(t, rename + 2, out);
                }
                // ATTACH / DETACH PARTITION p, INHERIT / NO INHERIT parent: those tables are locked too
                for (int k = i; k < t.size() - 1; k++) {
                    String u = upper(t, k);
                    if ((u.equals("ATTACH") || u.equals("DETACH")) && "PARTITION".equals(upper(t, k + 1))) {
                        addName(t, k + 2, out);
                    } else if (u.equals("INHERIT")) {
                        addName(t, k + 1, out);
                    }
                }
            }
            case "CREATE" -> {
                int i = skip(t, 1, "OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL");
                String what = upper(t, i);
                if (what.equals("INDEX")) {
                    int on = indexOf(t, "ON", i);
                    if (on < 0) {
                        return Optional.empty();
                    }
                    addName(t, skip(t, on + 1, "ONLY"), out);
                } else if (what.equals("TABLE")) {
                    addName(t, skip(t, i + 1, "IF", "NOT", "EXISTS"), out);
                    collectAfter(t, "REFERENCES", out);
                    int partOf = indexOf(t, "PARTITION", i);
                    if (partOf > 0 && "OF".equals(upper(t, partOf + 1))) {
                        addName(t, partOf + 2, out);
                    }
                } else if (what.equals("TRIGGER") || what.equals("POLICY") || what.equals("RULE")) {
                    int on = indexOf(t, "ON", i);
                    if (on < 0) {
                        return Optional.empty();
                    }
                    addName(t, on + 1, out);
                } else if (what.equals("SCHEMA") || what.equals("SEQUENCE") || what.equals("TYPE") || what.equals("EXTENSION")
                        || what.equals("FUNCTION") || what.equals("PROCEDURE") || what.equals("ROLE") || what.equals("USER")
                        || what.equals("DATABASE") || what.equals("DOMAIN")) {
                    return Optional.of(Set.of());
                } else {
                    return Optional.empty();
                }
            }
            case "DROP" -> {
                String what = upper(t, 1);
                if (what.equals("TABLE")) {
                    addList(t, skip(t, 2, "IF", "EXISTS"), out);
                } else if (what.equals("INDEX")) {
                    // MySQL: DROP INDEX name ON table; PostgreSQL: the table is not named
                    int on = indexOf(t, "ON", 2);
                    if (on < 0) {
                        return Optional.empty();
                    }
                    addName(t, on + 1, out);
                } else if (what.equals("TRIGGER") || what.equals("POLICY") || what.equals("RULE")) {
                    int on = indexOf(t, "ON", 2);
                    if (on < 0) {
                        return Optional.empty();
                    }
                    addName(t, on + 1, out);
                } else if (what.equals("SEQUENCE") || what.equals("TYPE") || what.equals("FUNCTION") || what.equals("ROLE")
                        || what.equals("USER") || what.equals("EXTENSION") || what.equals("DOMAIN") || what.equals("PROCEDURE")) {
                    return Optional.of(Set.of());
                } else {
                    return Optional.empty();
                }
            }
            case "TRUNCATE" -> addList(t, skip(t, 1, "TABLE", "ONLY"), out);
            case "LOCK" -> addList(t, skip(t, 1, "TABLE", "TABLES", "ONLY"), out);
            case "VACUUM", "ANALYZE", "OPTIMIZE" -> {
                int i = 1;
                if ("(".equals(tok(t, i))) {
                    while (i < t.size() && !")".equals(tok(t, i))) {
                        i++;
                    }
                    i++;
                }
                i = skip(t, i, "FULL", "FREEZE", "VERBOSE", "ANALYZE", "TABLE", "NO_WRITE_TO_BINLOG", "LOCAL");
                if (i >= t.size()) {
                    return Optional.empty();
                }
                addList(t, i, out);
            }
            case "REINDEX" -> {
                if (!"TABLE".equals(upper(t, 1))) {
                    return Optional.empty();
                }
                addName(t, skip(t, 2, "CONCURRENTLY"), out);
            }
            case "CLUSTER" -> {
                if (t.size() < 2) {
                    return Optional.empty();
                }
                addName(t, skip(t, 1, "VERBOSE"), out);
            }
            case "INSERT", "REPLACE" -> {
                int into = indexOf(t, "INTO", 1);
                if (into < 0) {
                    return Optional.empty();
                }
                addName(t, into + 1, out);
            }
            case "UPDATE" -> addName(t, skip(t, 1, "ONLY", "LOW_PRIORITY", "IGNORE"), out);
            case "DELETE" -> {
                int from = indexOf(t, "FROM", 1);
                if (from < 0) {
                    return Optional.empty();
                }
                addName(t, skip(t, from + 1, "ONLY"), out);
            }
            case "COMMENT" -> {
                if (!"ON".equals(upper(t, 1))) {
                    return Optional.empty();
                }
                String what = upper(t, 2);
                if (what.equals("TABLE")) {
                    addName(t, 3, out);
                } else if (what.equals("COLUMN")) {
                    List<String> parts = qualifiedName(t, 3);
                    if (parts.size() >= 2) {
                        out.add(parts.size() == 3 ? TableRef.of(parts.get(0), parts.get(1)) : TableRef.of(null, parts.get(0)));
                    }
                } else {
                    return Optional.of(Set.of());
                }
            }
            case "GRANT", "REVOKE" -> {
                int on = indexOf(t, "ON", 1);
                if (on < 0) {
                    return Optional.of(Set.of());
                }
                String what = upper(t, on + 1);
                if (what.equals("ALL") || what.equals("SCHEMA") || what.equals("SEQUENCE") || what.equals("FUNCTION")
                        || what.equals("DATABASE")) {
                    return Optional.of(Set.of());
                }
                addList(t, skip(t, on + 1, "TABLE"), out);
            }
            case "RENAME" -> {
                if (!"TABLE".equals(upper(t, 1))) {
                    return Optional.empty();
                }
                addName(t, 2, out);
                int to = indexOf(t, "TO", 2);
                if (to > 0) {
                    addName(t, to + 1, out);
                }
            }
            case "REFRESH" -> {
                if (!"MATERIALIZED".equals(upper(t, 1))) {
                    return Optional.empty();
                }
                addName(t, skip(t, 3, "CONCURRENTLY"), out);
            }
            case "SET", "SELECT", "RESET", "BEGIN", "COMMIT", "START", "ROLLBACK", "SAVEPOINT", "RELEASE" -> {
                return Optional.of(Set.of());
            }
            default -> {
                return Optional.empty();
            }
        }
        return Optional.of(out);
    }

    private static void collectAfter(List<String> t, String keyword, Set<TableRef> out) {
        for (int i = 0; i < t.size(); i++) {
            if (keyword.equals(t.get(i).toUpperCase(Locale.ROOT))) {
                addName(t, i + 1, out);
            }
        }
    }

    private static void addList(List<String> t, int i, Set<TableRef> out) {
        while (i < t.size()) {
            List<String> parts = qualifiedName(t, i);
            if (parts.isEmpty()) {
                return;
            }
            out.add(ref(parts));
            i += parts.size() * 2 - 1;
            if (i < t.size() && "*".equals(tok(t, i))) {
                i++;
            }
            if (i < t.size() && ",".equals(tok(t, i))) {
                i++;
            } else {
                return;
            }
        }
    }

    private static void addName(List<String> t, int i, Set<TableRef> out) {
        List<String> parts = qualifiedName(t, i);
        if (!parts.isEmpty()) {
            out.add(ref(parts));
        }
    }

    private static TableRef ref(List<String> parts) {
        return parts.size() == 1 ? TableRef.of(null, parts.get(0))
                : TableRef.of(parts.get(parts.size() - 2), parts.get(parts.size() - 1));
    }

    /** Reads {@code a}, {@code a.b} or {@code a.b.c} from tokens, unquoting; empty when no name is there. */
    private static List<String> qualifiedName(List<String> t, int i) {
        List<String> parts = new ArrayList<>();
        while (i < t.size() && Tokens.isName(t.get(i))) {
            parts.add(Tokens.unquote(t.get(i)));
            if (i + 1 < t.size() && ".".equals(t.get(i + 1))) {
                i += 2;
            } else {
                break;
            }
        }
        return parts;
    }

    private static int skip(List<String> t, int i, String... words) {
        outer:
        while (i < t.size()) {
            String u = t.get(i).toUpperCase(Locale.ROOT);
            for (String w : words) {
                if (w.equals(u)) {
                    i++;
                    continue outer;
                }
            }
            break;
        }
        return i;
    }

    private static int indexOf(List<String> t, String word, int from) {
        for (int i = from; i < t.size(); i++) {
            if (word.equals(t.get(i).toUpperCase(Locale.ROOT))) {
                return i;
            }
        }
        return -1;
    }

    private static String tok(List<String> t, int i) {
        return i < t.size() ? t.get(i) : "";
    }

    private static String upper(List<String> t, int i) {
        return tok(t, i).toUpperCase(Locale.ROOT);
    }
}

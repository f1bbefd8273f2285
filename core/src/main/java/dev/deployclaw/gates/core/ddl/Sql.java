package dev.deployclaw.gates.core.ddl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A token list with the small reading helpers the analysers share. */
final class Sql {
    final List<String> t;

    Sql(List<String> tokens) {
        this.t = tokens;
    }

    static Sql of(String sql) {
        return new Sql(Tokens.of(sql));
    }

    int size() {
        return t.size();
    }

    String tok(int i) {
        return i >= 0 && i < t.size() ? t.get(i) : "";
    }

    String up(int i) {
        return tok(i).toUpperCase(Locale.ROOT);
    }

    boolean is(int i, String... words) {
        String u = up(i);
        for (String w : words) {
            if (w.equals(u)) {
                return true;
            }
        }
        return false;
    }

    int skip(int i, String... words) {
        while (i < t.size() && is(i, words)) {
            i++;
        }
        return i;
    }

    int indexOf(String word, int from) {
        for (int i = Math.max(0, from); i < t.size(); i++) {
            if (word.equals(up(i))) {
                return i;
            }
        }
        return -1;
    }

    /** Index of {@code word} at parenthesis depth 0 from {@code from}, or -1. */
    int indexAtDepth0(String word, int from, int to) {
        int depth = 0;
        for (int i = Math.max(0, from); i < Math.min(to, t.size()); i++) {
            String s = tok(i);
            if ("(".equals(s)) {
                depth++;
            } else if (")".equals(s)) {
                depth--;
            } else if (depth == 0 && word.equals(up(i))) {
                return i;
            }
        }
        return -1;
    }

    boolean containsWord(int from, int to, String word) {
        for (int i = Math.max(0, from); i < Math.min(to, t.size()); i++) {
            if (word.equals(up(i))) {
                return true;
            }
        }
        return false;
    }

    /** Reads {@code a}, {@code a.b} or {@code a.b.c}; empty when no name is at {@code i}. */
    List<String> qualifiedName(int i) {
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

    /** Number of tokens a qualified name of {@code parts} parts spans. */
    static int span(List<String> parts) {
        return parts.isEmpty() ? 0 : parts.size() * 2 - 1;
    }

    static TableRef ref(List<String> parts) {
        return parts.size() == 1 ? TableRef.of(null, parts.get(0))
                : TableRef.of(parts.get(parts.size() - 2), parts.get(parts.size() - 1));
    }

    /** Reads a comma-separated list of table names from {@code i}. */
    List<TableRef> nameList(int i) {
        List<TableRef> out = new ArrayList<>();
        while (i < t.size()) {
            List<String> parts = qualifiedName(i);
            if (parts.isEmpty()) {
                break;
            }
            out.add(ref(parts));
            i += span(parts);
            if ("*".equals(tok(i))) {
                i++;
            }
            if (",".equals(tok(i))) {
                i++;
            } else {
                break;
            }
        }
        return out;
    }

    /** Splits tokens [from, to) on commas at depth 0. Returns [start, end) pairs. */
    List<int[]> splitOnCommas(int from, int to) {
        List<int[]> out = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < to; i++) {
            String s = tok(i);
            if ("(".equals(s)) {
                depth++;
            } else if (")".equals(s)) {
                depth--;
            } else if (depth == 0 && ",".equals(s)) {
                out.add(new int[]{start, i});
                start = i + 1;
            }
        }
        if (start < to) {
            out.add(new int[]{start, to});
        }
        return out;
    }

    /** The token index after the parenthesised group that opens at {@code i}. */
    int afterParens(int i) {
        if (!"(".equals(tok(i))) {
            return i;
        }
        int depth = 0;
        for (int j = i; j < t.size(); j++) {
            if ("(".equals(tok(j))) {
                depth++;
            } else if (")".equals(tok(j))) {
                depth--;
                if (depth == 0) {
                    return j + 1;
                }
            }
        }
        return t.size();
    }

    String text(int from, int to) {
        return String.join(" ", t.subList(Math.max(0, from), Math.min(to, t.size())));
    }
}

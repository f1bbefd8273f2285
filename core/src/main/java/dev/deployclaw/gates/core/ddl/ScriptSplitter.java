package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a migration script into statements the way the server would read it: comments ({@code --},
 * {@code /* *}{@code /} nested on PostgreSQL, {@code #} on MySQL), single-quoted strings (with {@code E''} and
 * backslash escapes), quoted identifiers, PostgreSQL dollar quoting ({@code DO $$ … $$}, {@code $fn$ … $fn$})
 * and the MySQL client's {@code DELIMITER} command. Routine bodies that contain semicolons without quoting are kept
 * whole: PostgreSQL 14+ {@code BEGIN ATOMIC … END} and MySQL/MariaDB {@code CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT
 * … BEGIN … END} written without a {@code DELIMITER} change. Comments are kept inside a statement (they may carry
 * {@code deployclaw:allow} overrides): those before a statement, and a line comment on the same line after its
 * delimiter, belong to it. Statements holding only comments are dropped.
 *
 * <p>An unterminated string, identifier, comment or dollar quote is an error: a script the splitter cannot
 * read must not be guessed at.
 */
public final class ScriptSplitter {
    private ScriptSplitter() {
    }

    /**
     * @throws SqlParseException naming the construct and the line where it started
     */
    private static final java.util.Set<String> ROUTINES = java.util.Set.of("FUNCTION", "PROCEDURE", "TRIGGER", "EVENT");
    private static final java.util.Set<String> COMPOUND_ENDS = java.util.Set.of("IF", "LOOP", "WHILE", "REPEAT", "FOR");

    public static List<String> split(String script, DatabaseKind kind) {
        if (script == null) {
            throw new IllegalArgumentException("script must be set, but was null");
        }
        if (script.indexOf('\0') >= 0) {
            throw new SqlParseException("script contains a NUL byte at offset " + script.indexOf('\0')
                    + "; no database accepts it in SQL text");
        }
        boolean pg = kind == DatabaseKind.POSTGRESQL;
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        String delimiter = ";";
        int n = script.length();
        int i = 0;
        boolean atLineStart = true;
        // routine bodies: BEGIN ATOMIC … END (PostgreSQL) / BEGIN … END (MySQL family) inside CREATE FUNCTION etc.
        int blockDepth = 0;
        int caseDepth = 0;
        int blockStartLine = 0;
        int words = 0;
        String firstWord = "";
        String prevWord = "";
        boolean routine = false;
        while (i < n) {
            char c = script.charAt(i);
            if (!pg && atLineStart) {
                int lineEnd = script.indexOf('\n', i);
                String line = script.substring(i, lineEnd < 0 ? n : lineEnd).strip();
                if (line.toUpperCase(Locale.ROOT).startsWith("DELIMITER ") || line.equalsIgnoreCase("DELIMITER")) {
                    String d = line.length() > 9 ? line.substring(10).strip() : "";
                    if (d.isEmpty()) {
                        throw new SqlParseException("DELIMITER without a delimiter at line " + lineOf(script, i));
                    }
                    flush(cur, out);
                    words = 0;
                    routine = false;
                    delimiter = d;
                    i = lineEnd < 0 ? n : lineEnd + 1;
                    continue;
                }
            }
            atLineStart = false;
            if (c == '\n') {
                atLineStart = true;
                cur.append(c);
                i++;
                continue;
            }
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                end = end < 0 ? n : end;
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (!pg && c == '#') {
                int end = script.indexOf('\n', i);
                end = end < 0 ? n : end;
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int end = skipBlockComment(script, i, pg);
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (c == '\'') {
                boolean backslash = !pg || (i > 0 && (script.charAt(i - 1) == 'E' || script.charAt(i - 1) == 'e')
                        && (i < 2 || !Character.isLetterOrDigit(script.charAt(i - 2))));
                int end = skipQuoted(script, i, '\'', backslash, "string literal");
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (c == '"') {
                int end = skipQuoted(script, i, '"', !pg, pg ? "quoted identifier" : "string literal");
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (!pg && c == '`') {
                int end = skipQuoted(script, i, '`', false, "quoted identifier");
                cur.append(script, i, end);
                i = end;
                continue;
            }
            if (pg && c == '$') {
                String tag = dollarTag(script, i);
                if (tag != null) {
                    int close = script.indexOf(tag, i + tag.length());
                    if (close < 0) {
                        throw new SqlParseException("unterminated dollar quote " + tag + " starting at line " + lineOf(script, i));
                    }
                    int end = close + tag.length();
                    cur.append(script, i, end);
                    i = end;
                    continue;
                }
            }
            if ((Character.isLetter(c) || c == '_') && (i == 0 || !identChar(script.charAt(i - 1)))) {
                int j = i;
                while (j < n && identChar(script.charAt(j))) {
                    j++;
                }
                String w = script.substring(i, j).toUpperCase(Locale.ROOT);
                cur.append(script, i, j);
                i = j;
                words++;
                if (words == 1) {
                    firstWord = w;
                } else if (words <= 8 && firstWord.equals("CREATE") && ROUTINES.contains(w)) {
                    routine = true;
                }
                if (routine && ";".equals(delimiter)) {
                    if (blockDepth == 0 && (pg ? w.equals("ATOMIC") && prevWord.equals("BEGIN")
                            : w.equals("BEGIN") && !nextWord(script, i).matches("WORK|TRANSACTION"))) {
                        blockDepth = 1;
                        caseDepth = 0;
                        blockStartLine = lineOf(script, i);
                    } else if (blockDepth > 0) {
                        if (!pg && w.equals("BEGIN")) {
                            blockDepth++;
                        } else if (w.equals("CASE") && !prevWord.equals("END")) {
                            caseDepth++;
                        } else if (w.equals("END")) {
                            String next = nextWord(script, i);
                            if (next.equals("CASE")) {
                                caseDepth = Math.max(0, caseDepth - 1);
                            } else if (!COMPOUND_ENDS.contains(next)) {
                                if (caseDepth > 0) {
                                    caseDepth--;
                                } else {
                                    blockDepth--;
                                }
                            }
                        }
                    }
                }
                prevWord = w;
                continue;
            }
            if (blockDepth == 0 && script.startsWith(delimiter, i)) {
                int before = out.size();
                flush(cur, out);
                words = 0;
                routine = false;
                prevWord = "";
                i += delimiter.length();
                // a line comment after the delimiter on the same line belongs to this statement (overrides)
                int j = i;
                while (j < n && (script.charAt(j) == ' ' || script.charAt(j) == '\t')) {
                    j++;
                }
                if (out.size() > before && (script.startsWith("--", j) || (!pg && j < n && script.charAt(j) == '#'))) {
                    int end = script.indexOf('\n', j);
                    end = end < 0 ? n : end;
                    out.set(out.size() - 1, out.get(out.size() - 1) + " " + script.substring(j, end));
                    i = end;
                }
                continue;
            }
            cur.append(c);
            i++;
        }
        if (blockDepth > 0) {
            throw new SqlParseException("unterminated BEGIN … END routine body starting at line " + blockStartLine);
        }
        flush(cur, out);
        return out;
    }

    private static boolean identChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** The next word after whitespace, upper case; empty when something else comes first. */
    private static String nextWord(String s, int i) {
        int n = s.length();
        while (i < n && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        int j = i;
        while (j < n && identChar(s.charAt(j))) {
            j++;
        }
        return s.substring(i, j).toUpperCase(Locale.ROOT);
    }

    /** True when the text holds nothing but whitespace and comments. */
    public static boolean onlyComments(String sql) {
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-' || c == '#') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else {
                return false;
            }
        }
        return true;
    }

    private static void flush(StringBuilder cur, List<String> out) {
        String s = cur.toString().strip();
        cur.setLength(0);
        if (!s.isEmpty() && !onlyComments(s)) {
            out.add(s);
        }
    }

    private static int skipBlockComment(String s, int start, boolean nested) {
        int depth = 0;
        int i = start;
        int n = s.length();
        while (i < n) {
            if (s.startsWith("/*", i) && (nested || depth == 0)) {
                depth++;
                i += 2;
            } else if (s.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        throw new SqlParseException("unterminated /* comment starting at line " + lineOf(s, start));
    }

    private static int skipQuoted(String s, int start, char q, boolean backslashEscapes, String what) {
        int i = start + 1;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
                continue;
            }
            if (c == q) {
                if (i + 1 < n && s.charAt(i + 1) == q) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        throw new SqlParseException("unterminated " + what + " starting at line " + lineOf(s, start));
    }

    /** Returns {@code $tag$} when a dollar quote opens at {@code i}; null for {@code $1} parameters and the like. */
    private static String dollarTag(String s, int i) {
        if (i > 0 && (Character.isLetterOrDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '_')) {
            return null;
        }
        int j = i + 1;
        int n = s.length();
        while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
            j++;
        }
        if (j < n && s.charAt(j) == '$') {
            String tag = s.substring(i, j + 1);
            if (tag.length() > 2 && Character.isDigit(tag.charAt(1))) {
                return null;
            }
            return tag;
        }
        return null;
    }

    static int lineOf(String s, int offset) {
        int line = 1;
        for (int k = 0; k < offset && k < s.length(); k++) {
            if (s.charAt(k) == '\n') {
                line++;
            }
        }
        return line;
    }
}

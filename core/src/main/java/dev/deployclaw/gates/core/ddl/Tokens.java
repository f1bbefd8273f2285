package dev.deployclaw.gates.core.ddl;

import java.util.ArrayList;
import java.util.List;

/** A tolerant SQL tokenizer: words, quoted identifiers, strings, numbers and single-character symbols; comments dropped. */
final class Tokens {
    private Tokens() {
    }

    static List<String> of(String sql) {
        List<String> out = new ArrayList<>();
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-' || c == '#') {
                int e = sql.indexOf('\n', i);
                i = e < 0 ? n : e;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int e = sql.indexOf("*/", i + 2);
                i = e < 0 ? n : e + 2;
            } else if (c == '"' || c == '`' || c == '\'') {
                int j = i + 1;
                while (j < n) {
                    if (sql.charAt(j) == c) {
                        if (j + 1 < n && sql.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                out.add(sql.substring(i, Math.min(j + 1, n)));
                i = j + 1;
            } else if (c == '$') {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
                    j++;
                }
                if (j < n && sql.charAt(j) == '$') {
                    String tag = sql.substring(i, j + 1);
                    int close = sql.indexOf(tag, j + 1);
                    int end = close < 0 ? n : close + tag.length();
                    out.add(sql.substring(i, end));
                    i = end;
                } else {
                    out.add(sql.substring(i, j));
                    i = j;
                }
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                int j = i;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_' || sql.charAt(j) == '$')) {
                    j++;
                }
                out.add(sql.substring(i, j));
                i = j;
            } else {
                out.add(String.valueOf(c));
                i++;
            }
        }
        return out;
    }

    static boolean isName(String token) {
        if (token.isEmpty()) {
            return false;
        }
        char c = token.charAt(0);
        return c == '"' || c == '`' || Character.isLetter(c) || c == '_';
    }

    /** Unquotes {@code "My""Table"} to {@code My"Table}; folds unquoted names to lower case (PostgreSQL's rule). */
    static String unquote(String token) {
        char c = token.charAt(0);
        if ((c == '"' || c == '`') && token.length() >= 2) {
            String q = String.valueOf(c);
            return token.substring(1, token.length() - 1).replace(q + q, q);
        }
        return token.toLowerCase(java.util.Locale.ROOT);
    }
}

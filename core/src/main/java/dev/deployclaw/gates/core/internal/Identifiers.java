package dev.deployclaw.gates.core.internal;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The one place identifiers are validated and quoted. Every schema, table or tenant name that reaches SQL goes
 * through {@link #quote(String, char)} (called by the dialects); every value is a bind parameter.
 */
public final class Identifiers {
    /** PostgreSQL truncates names at 63 bytes (NAMEDATALEN - 1); MySQL allows 64 characters. 63 fits both. */
    public static final int MAX_LENGTH = 63;
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Identifiers() {
    }

    /**
     * Validates a tenant, schema or table name: ASCII letters, digits and underscores, starting with a letter or
     * underscore, 1 to 63 characters. Quotes, semicolons, comment markers, spaces, Unicode look-alikes and NUL bytes
     * are rejected before any SQL runs.
     *
     * @param field what the name is, for the message (e.g. {@code tenant})
     * @return the name unchanged
     * @throws IllegalArgumentException naming the field and showing the value (escaped)
     */
    public static String requireValidName(String field, String name) {
        if (name == null) {
            throw new IllegalArgumentException(field + " must be set, but was null");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty, but was ''");
        }
        if (name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(field + " must be at most " + MAX_LENGTH + " characters, but was "
                    + name.length() + " characters: '" + printable(name.substring(0, 40)) + "…'");
        }
        if (!PLAIN.matcher(name).matches()) {
            throw new IllegalArgumentException(field + " must contain only ASCII letters, digits and '_' and start with"
                    + " a letter or '_', but was '" + printable(name) + "'" + describeOffender(name));
        }
        return name;
    }

    /** Splits and validates {@code table} or {@code schema.table}. */
    public static List<String> parseQualified(String field, String qualified) {
        if (qualified == null) {
            throw new IllegalArgumentException(field + " must be set, but was null");
        }
        String[] parts = qualified.split("\\.", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException(field + " must be 'table' or 'schema.table', but was '" + printable(qualified) + "'");
        }
        for (String part : parts) {
            requireValidName(field, part);
        }
        return List.of(parts);
    }

    /**
     * Quotes an identifier with the given quote character ({@code "} for PostgreSQL, {@code `} for MySQL),
     * doubling any embedded quote. Refuses NUL and empty names, which no server accepts.
     */
    public static String quote(String name, char quoteChar) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("identifier must not be empty, but was '" + name + "'");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier must not contain a NUL byte, but was '" + printable(name) + "'");
        }
        String q = String.valueOf(quoteChar);
        return q + name.replace(q, q + q) + q;
    }

    /** Shows control characters and non-ASCII code points as escapes so a message can be read and copied. */
    public static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || cp > 0x7e) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    private static String describeOffender(String name) {
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            boolean ok = cp < 128 && (Character.isLetterOrDigit(cp) || cp == '_');
            if (!ok || (i == 0 && Character.isDigit(cp))) {
                String what = cp > 127 ? "non-ASCII character U+" + String.format("%04X", cp)
                        : cp < 0x20 ? "control character U+" + String.format("%04X", cp)
                        : Character.isDigit(cp) ? "leading digit '" + (char) cp + "'"
                        : "character '" + (char) cp + "'";
                return " (" + what + " at position " + i + ")";
            }
            i += Character.charCount(cp);
        }
        return "";
    }
}

package dev.deployclaw.gates.core.ddl;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which PostgreSQL type changes keep the stored bytes valid, so {@code ALTER COLUMN … TYPE} rewrites nothing:
 * the same type, {@code varchar(n)} to a longer {@code varchar}, unbounded {@code varchar} or {@code text},
 * {@code text} to unbounded {@code varchar}, {@code numeric(p,s)} to a larger precision with the same scale or to
 * unbounded {@code numeric}. Everything else is treated as a rewrite (conservative).
 */
final class PgTypes {
    private static final Pattern MOD = Pattern.compile("([a-z ]+?)\\s*(?:\\((\\d+)(?:,(\\d+))?\\))?");

    private PgTypes() {
    }

    static String canonical(String type) {
        String t = type.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").replace(" (", "(").replace("( ", "(")
                .replace(" )", ")").replace(", ", ",").replace(" ,", ",").strip();
        t = t.replaceFirst("^varchar", "character varying").replaceFirst("^decimal", "numeric")
                .replaceFirst("^int8$", "bigint").replaceFirst("^(int|int4)$", "integer").replaceFirst("^int2$", "smallint")
                .replaceFirst("^bool$", "boolean").replaceFirst("^float8$", "double precision");
        return t;
    }

    static boolean binaryCoercible(String from, String to) {
        String a = canonical(from);
        String b = canonical(to);
        if (a.equals(b)) {
            return true;
        }
        Matcher ma = MOD.matcher(a);
        Matcher mb = MOD.matcher(b);
        if (!ma.matches() || !mb.matches()) {
            return false;
        }
        String ba = ma.group(1).strip();
        String bb = mb.group(1).strip();
        Integer pa = ma.group(2) == null ? null : Integer.valueOf(ma.group(2));
        Integer pb = mb.group(2) == null ? null : Integer.valueOf(mb.group(2));
        if (ba.equals("character varying") && (bb.equals("text") || bb.equals("character varying"))) {
            return bb.equals("text") || pb == null || (pa != null && pb >= pa);
        }
        if (ba.equals("text") && bb.equals("character varying")) {
            return pb == null;
        }
        if (ba.equals("numeric") && bb.equals("numeric")) {
            if (pb == null) {
                return true;
            }
            int sa = ma.group(3) == null ? 0 : Integer.parseInt(ma.group(3));
            int sb = mb.group(3) == null ? 0 : Integer.parseInt(mb.group(3));
            return pa != null && pb >= pa && sa == sb;
        }
        return false;
    }
}

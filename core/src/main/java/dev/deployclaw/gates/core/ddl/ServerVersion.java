package dev.deployclaw.gates.core.ddl;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server version as {@code major.minor.patch}: {@code 15}, {@code 15.4}, {@code 10.11.6-MariaDB}, {@code 8.0.36}.
 * Analysis rules that changed between releases (PostgreSQL 11's fast defaults, MariaDB 10.4's instant DROP COLUMN,
 * MySQL 8.0.29's instant ADD COLUMN anywhere) compare against it.
 */
public record ServerVersion(int major, int minor, int patch) implements Comparable<ServerVersion> {
    private static final Pattern VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    /** Parses the leading digits (dropping MariaDB's {@code 5.5.5-} prefix); throws naming the input when there are none. */
    public static ServerVersion parse(String s) {
        String v = s == null ? null : s.strip();
        if (v != null && v.startsWith("5.5.5-") && v.toLowerCase(java.util.Locale.ROOT).contains("mariadb")) {
            v = v.substring(6); // MariaDB's replication-compatibility prefix: 5.5.5-10.11.6-MariaDB
        }
        Matcher m = v == null ? null : VERSION.matcher(v);
        if (m == null || !m.lookingAt()) {
            throw new IllegalArgumentException("server version must look like 15, 15.4 or 10.11.6, but was '" + s + "'");
        }
        return new ServerVersion(Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
    }

    public static ServerVersion of(int major, int minor, int patch) {
        return new ServerVersion(major, minor, patch);
    }

    public boolean atLeast(int major, int minor, int patch) {
        return compareTo(new ServerVersion(major, minor, patch)) >= 0;
    }

    @Override
    public int compareTo(ServerVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c == 0 ? Integer.compare(patch, o.patch) : c;
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}

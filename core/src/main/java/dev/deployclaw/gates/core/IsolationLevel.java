package dev.deployclaw.gates.core;

import java.sql.Connection;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** SQL transaction isolation levels, with their JDBC constants and SQL spellings. */
public enum IsolationLevel {
    READ_UNCOMMITTED(Connection.TRANSACTION_READ_UNCOMMITTED),
    READ_COMMITTED(Connection.TRANSACTION_READ_COMMITTED),
    REPEATABLE_READ(Connection.TRANSACTION_REPEATABLE_READ),
    SERIALIZABLE(Connection.TRANSACTION_SERIALIZABLE);

    private final int jdbcLevel;

    IsolationLevel(int jdbcLevel) {
        this.jdbcLevel = jdbcLevel;
    }

    public int jdbcLevel() {
        return jdbcLevel;
    }

    /** The SQL spelling, e.g. {@code REPEATABLE READ}. */
    public String sql() {
        return name().replace('_', ' ');
    }

    /**
     * Parses {@code SERIALIZABLE}, {@code repeatable read}, {@code READ-COMMITTED} (MySQL's spelling) or
     * {@code read_committed}.
     *
     * @throws IllegalArgumentException naming the value and the valid ones
     */
    public static IsolationLevel parse(String text) {
        if (text != null) {
            String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
            for (IsolationLevel level : values()) {
                if (level.name().equals(norm)) {
                    return level;
                }
            }
        }
        throw new IllegalArgumentException("isolation level must be one of "
                + Arrays.stream(values()).map(IsolationLevel::sql).collect(Collectors.joining(", "))
                + ", but was '" + text + "'");
    }

    public static IsolationLevel fromJdbc(int level) {
        for (IsolationLevel l : values()) {
            if (l.jdbcLevel == level) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown JDBC isolation level " + level);
    }
}

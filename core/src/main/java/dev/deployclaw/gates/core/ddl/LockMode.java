package dev.deployclaw.gates.core.ddl;

/**
 * PostgreSQL's table-level lock modes, weakest first, with the names {@code pg_locks.mode} uses. The order is the
 * order of strength: a later mode conflicts with at least everything an earlier one conflicts with.
 */
public enum LockMode {
    ACCESS_SHARE("AccessShareLock", "access share"),
    ROW_SHARE("RowShareLock", "row share"),
    ROW_EXCLUSIVE("RowExclusiveLock", "row exclusive"),
    SHARE_UPDATE_EXCLUSIVE("ShareUpdateExclusiveLock", "share update exclusive"),
    SHARE("ShareLock", "share"),
    SHARE_ROW_EXCLUSIVE("ShareRowExclusiveLock", "share row exclusive"),
    EXCLUSIVE("ExclusiveLock", "exclusive"),
    ACCESS_EXCLUSIVE("AccessExclusiveLock", "access exclusive");

    private final String pgName;
    private final String sqlName;

    LockMode(String pgName, String sqlName) {
        this.pgName = pgName;
        this.sqlName = sqlName;
    }

    /** The name in {@code pg_locks.mode}, e.g. {@code AccessExclusiveLock}. */
    public String pgName() {
        return pgName;
    }

    /** The words of {@code LOCK TABLE … IN <words> MODE}, e.g. {@code access exclusive}. */
    public String sqlName() {
        return sqlName;
    }

    /** True when ordinary writes ({@code INSERT/UPDATE/DELETE}, RowExclusiveLock) must wait for this lock. */
    public boolean blocksWrites() {
        return ordinal() >= SHARE.ordinal();
    }

    /** True when plain reads ({@code SELECT}, AccessShareLock) must wait for this lock. */
    public boolean blocksReads() {
        return this == ACCESS_EXCLUSIVE;
    }

    /** True when a session holding {@code held} makes a request for this mode wait (PostgreSQL's conflict table). */
    public boolean conflictsWith(LockMode held) {
        int a = ordinal();
        int b = held.ordinal();
        return CONFLICTS[a][b];
    }

    private static final boolean[][] CONFLICTS = conflicts();

    private static boolean[][] conflicts() {
        // rows/columns in declaration order: AS, RS, RE, SUE, S, SRE, E, AE
        String[] m = {
                "00000001",
                "00000011",
                "00001111",
                "00011111",
                "00110111",
                "00111111",
                "01111111",
                "11111111"};
        boolean[][] out = new boolean[8][8];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                out[i][j] = m[i].charAt(j) == '1';
            }
        }
        return out;
    }

    public LockMode max(LockMode other) {
        return other == null || other.ordinal() < ordinal() ? this : other;
    }

    /** Parses {@code AccessExclusiveLock} (pg_locks) or {@code access exclusive} (LOCK TABLE). */
    public static LockMode parse(String s) {
        String n = s.replace(" ", "").replace("_", "").toLowerCase(java.util.Locale.ROOT);
        for (LockMode m : values()) {
            if (m.pgName.toLowerCase(java.util.Locale.ROOT).equals(n) || m.sqlName.replace(" ", "").equals(n)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown PostgreSQL lock mode '" + s + "'");
    }
}

package dev.deployclaw.gates.core.ddl;

/**
 * The online-DDL ladder of MySQL and MariaDB, least locking first. {@code ALGORITHM=X} means "X or better" on both
 * servers, so the least-locking algorithm a server accepts is the first rung of this ladder it does not refuse.
 * {@link #NOCOPY} exists on MariaDB only (10.3+).
 */
public enum MySqlAlgorithm {
    /** Metadata only: no rebuild, no copy, a moment's exclusive metadata lock. */
    INSTANT("ALGORITHM=INSTANT"),
    /** MariaDB: in place without rebuilding the clustered index, concurrent DML allowed. */
    NOCOPY("ALGORITHM=NOCOPY, LOCK=NONE"),
    /** In place, concurrent reads and writes allowed (may rebuild the table in place). */
    INPLACE_LOCK_NONE("ALGORITHM=INPLACE, LOCK=NONE"),
    /** In place, reads allowed, writes blocked for the duration. */
    INPLACE_LOCK_SHARED("ALGORITHM=INPLACE, LOCK=SHARED"),
    /** A full table copy; writes blocked for the duration. */
    COPY("ALGORITHM=COPY");

    private final String clause;

    MySqlAlgorithm(String clause) {
        this.clause = clause;
    }

    /** The {@code ALTER TABLE} clause that asks for exactly this rung. */
    public String clause() {
        return clause;
    }

    public boolean blocksWrites() {
        return this == INPLACE_LOCK_SHARED || this == COPY;
    }

    public MySqlAlgorithm max(MySqlAlgorithm other) {
        return other == null || other.ordinal() < ordinal() ? this : other;
    }
}

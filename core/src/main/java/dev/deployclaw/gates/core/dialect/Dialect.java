package dev.deployclaw.gates.core.dialect;

import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TableSize;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every SQL statement the gates send to one database family lives in its dialect. Identifiers are quoted through
 * {@link #quote(String)}; values are bind parameters.
 */
public interface Dialect {
    DatabaseKind kind();

    /** Quotes one identifier ({@code "x"} / {@code `x`}). */
    String quote(String identifier);

    /** Bounds every following query on this (probe) connection to {@code timeout}. */
    void applyProbeTimeouts(Connection probe, Duration timeout) throws SQLException;

    /** Undoes {@link #applyProbeTimeouts} before the connection goes back to its pool. */
    void resetProbeTimeouts(Connection probe) throws SQLException;

    /** The schema unqualified names resolve to on this connection. */
    String currentSchema(Connection c) throws SQLException;

    /** The server's process id of this connection. */
    long sessionId(Connection c) throws SQLException;

    /**
     * Checks that the probe role can see other sessions and replication state.
     *
     * @return the missing privilege and the statement that grants it, or empty when all is visible
     */
    Optional<String> missingMonitoringPrivilege(Connection probe) throws SQLException;

    /**
     * Prepares a new probe connection: {@link #applyProbeTimeouts} and {@link #missingMonitoringPrivilege}, in as few
     * round trips as the database allows.
     *
     * @return the missing monitoring privilege, or empty when all is visible
     */
    default Optional<String> prepareProbe(Connection probe, Duration timeout) throws SQLException {
        applyProbeTimeouts(probe, timeout);
        return missingMonitoringPrivilege(probe);
    }

    /**
     * Replicas as the primary sees them (PostgreSQL {@code pg_stat_replication}); empty where the primary cannot
     * tell (MySQL family). A replica behind the primary is watched for up to {@code wait} to measure its lag.
     */
    List<ReplicaStatus> replicasSeenFromPrimary(Connection primary, Duration wait) throws SQLException;

    /** Writes the heartbeat row on the primary and returns the instant written (primary's clock). */
    Instant writeHeartbeat(Connection primary, String heartbeatTable) throws SQLException;

    /**
     * Reads one replica directly: health, and lag by waiting up to {@code wait} for the heartbeat written at
     * {@code beat} to arrive.
     */
    ReplicaStatus readReplica(String name, Connection replica, String heartbeatTable, Instant beat, Duration wait)
            throws SQLException;

    /**
     * Sessions other than {@code excludedPids} that hold or wait for locks on {@code tables}, or on any table of
     * {@code wholeSchemas}.
     */
    List<SessionInfo> lockHolders(Connection probe, Collection<TableRef> tables, String defaultSchema,
                                  Collection<String> wholeSchemas, Collection<Long> excludedPids) throws SQLException;

    /** Transactions older than {@code maxAge} in this database, other than {@code excludedPids}. */
    List<SessionInfo> oldTransactions(Connection probe, Duration maxAge, Collection<Long> excludedPids) throws SQLException;

    IsolationLevel readIsolation(Connection session) throws SQLException;

    void setIsolation(Connection session, IsolationLevel level) throws SQLException;

    /** The lock wait bound in force on the session ({@code lock_timeout} / {@code lock_wait_timeout}); empty = none. */
    Optional<Duration> readLockTimeout(Connection session) throws SQLException;

    /** A session's isolation level and lock wait bound, read together. */
    record SessionBounds(IsolationLevel isolation, Optional<Duration> lockTimeout) {
    }

    /** {@link #readIsolation} and {@link #readLockTimeout} in as few round trips as the database allows. */
    default SessionBounds readSessionBounds(Connection session) throws SQLException {
        return new SessionBounds(readIsolation(session), readLockTimeout(session));
    }

    /** Sets the lock wait bound and statement timeout for a migration session. */
    void setMigrationTimeouts(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException;

    /**
     * {@link #setMigrationTimeouts} and then {@link #readLockTimeout}: the bound the server now has in force, in as few
     * round trips as the database allows.
     */
    default Optional<Duration> setMigrationTimeoutsAndRead(Connection session, Duration lockTimeout, Duration statementTimeout)
            throws SQLException {
        setMigrationTimeouts(session, lockTimeout, statementTimeout);
        return readLockTimeout(session);
    }

    /** Point-in-time recovery evidence. */
    RecoveryPoint recoveryPoint(Connection probe, Duration maxArchiveAge) throws SQLException;

    TopologyInfo topology(Connection probe, String schema, Optional<String> tenantSchemaPattern) throws SQLException;

    /** Undoes {@link #setMigrationTimeouts} and {@link #useSchema} before the connection goes back to its pool. */
    void resetMigrationSession(Connection session) throws SQLException;

    /** Makes {@code schema} the default for unqualified names on the session. */
    void useSchema(Connection session, String schema) throws SQLException;

    /** True when the error means "could not get the lock in time". */
    boolean isLockTimeout(SQLException e);

    /**
     * Schema names matching the SQL LIKE {@code likePattern} (bound as a parameter), sorted. Used for tenant
     * discovery; {@code information_schema} is the same on every supported family.
     */
    default List<String> schemasLike(Connection c, String likePattern) throws SQLException {
        List<String> out = new java.util.ArrayList<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement("select schema_name from information_schema.schemata"
                + " where schema_name like ? order by schema_name")) {
            ps.setString(1, likePattern);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * The distinct non-null values of {@code column} in the tenant registry {@code table} ({@code table} or
     * {@code schema.table}, validated and quoted), sorted.
     */
    default List<String> registryValues(Connection c, String table, String column) throws SQLException {
        List<String> parts = dev.deployclaw.gates.core.internal.Identifiers.parseQualified("tenant registry table", table);
        String from = parts.size() == 1 ? quote(parts.get(0)) : quote(parts.get(0)) + "." + quote(parts.get(1));
        String col = quote(dev.deployclaw.gates.core.internal.Identifiers.requireValidName("tenant registry column", column));
        List<String> out = new java.util.ArrayList<>();
        try (java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("select distinct " + col + " from " + from + " where " + col
                     + " is not null order by " + col)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * Point-in-time recovery evidence, with the binary-log retention policy (MySQL family; PostgreSQL ignores it).
     */
    default RecoveryPoint recoveryPoint(Connection probe, Duration maxArchiveAge, Duration minBinlogRetention)
            throws SQLException {
        return recoveryPoint(probe, maxArchiveAge);
    }

    /**
     * Every relation lock and open transaction of the database in one read, for many schemas' lock checks at once
     * ({@link ActivitySnapshot}); empty where the dialect answers each check on its own (the MySQL family).
     */
    default Optional<ActivitySnapshot> activitySnapshot(Connection probe) throws SQLException {
        return Optional.empty();
    }

    /** Where lock information comes from on this server, for the report (e.g. {@code performance_schema.metadata_locks}). */
    default Optional<String> lockSource(Connection probe) throws SQLException {
        return Optional.empty();
    }

    /** The lock wait bound actually in force for {@code maxLockWait} (MySQL's {@code lock_wait_timeout} rounds up to seconds). */
    default Duration effectiveLockWait(Duration maxLockWait) {
        return maxLockWait;
    }

    /** How an operator ends a blocking session, for messages. */
    default String terminateHint() {
        return "pg_terminate_backend(pid)";
    }

    /**
     * Takes the session-level lock that keeps two migrator runs off the same tenant at once, waiting up to
     * {@code wait}. The lock is advisory (PostgreSQL {@code pg_advisory_lock}, MySQL/MariaDB {@code GET_LOCK}), holds
     * no table lock and no transaction, and is released by {@link #unlockTenant} or when the session ends.
     *
     * @return true when taken, false when another run still held it after {@code wait}
     */
    default boolean lockTenant(Connection c, String tenantKey, Duration wait) throws SQLException {
        if (kind() == DatabaseKind.POSTGRESQL) {
            long deadline = System.nanoTime() + wait.toNanos();
            try (java.sql.PreparedStatement ps = c.prepareStatement("select pg_try_advisory_lock(?, ?)")) {
                ps.setInt(1, TENANT_LOCK_CLASS);
                ps.setInt(2, tenantKey.hashCode());
                while (true) {
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(1)) {
                            return true;
                        }
                    }
                    if (System.nanoTime() >= deadline) {
                        return false;
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SQLException("interrupted while waiting for the tenant lock of " + tenantKey, "57014", e);
                    }
                }
            }
        }
        try (java.sql.PreparedStatement ps = c.prepareStatement("select get_lock(?, ?)")) {
            ps.setString(1, "deployclaw:" + tenantKey);
            ps.setLong(2, Math.max(0, wait.toSeconds()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(1) == 1;
            }
        }
    }

    /** Releases {@link #lockTenant}. */
    default void unlockTenant(Connection c, String tenantKey) throws SQLException {
        boolean pg = kind() == DatabaseKind.POSTGRESQL;
        try (java.sql.PreparedStatement ps = c.prepareStatement(pg ? "select pg_advisory_unlock(?, ?)" : "select release_lock(?)")) {
            if (pg) {
                ps.setInt(1, TENANT_LOCK_CLASS);
                ps.setInt(2, tenantKey.hashCode());
            } else {
                ps.setString(1, "deployclaw:" + tenantKey);
            }
            ps.execute();
        }
    }

    /** First key of the PostgreSQL advisory locks the migrator takes per tenant ("DCLW"). */
    int TENANT_LOCK_CLASS = 0x44434C57;

    /** True when DDL commits on its own (MySQL family): isolation cannot protect a DDL statement. */
    default boolean ddlAutoCommits() {
        return kind().mysqlFamily();
    }

    /**
     * Live size estimates of {@code relations} (tables, or indexes standing for the table that owns them), read in
     * ONE query: estimated rows and total bytes. Keys are the requested relations with their schema resolved against
     * {@code defaultSchema}; relations that do not exist are absent from the map.
     *
     * <p>The default throws {@code SQLException} with SQLSTATE {@code 0A000}: a dialect without it leaves the
     * {@code ddl-risk} gate with each rule's default severity (fail closed). MySQL/MariaDB: {@code TABLE_ROWS} and
     * {@code DATA_LENGTH + INDEX_LENGTH} from {@code information_schema.TABLES}.
     */
    default Map<TableRef, TableSize> tableSizes(Connection probe, Collection<TableRef> relations, String defaultSchema)
            throws SQLException {
        throw new SQLException("table sizes are not supported by the " + kind() + " dialect", "0A000");
    }

    /**
     * The current type of every column of {@code tables} ({@code format_type} on PostgreSQL), keyed by the resolved
     * table and the column name, in one query; missing tables are absent. Lets the {@code ddl-risk} gate judge
     * {@code ALTER COLUMN … TYPE} (MySQL/MariaDB: {@code MODIFY} / {@code CHANGE}) exactly. The default throws
     * {@code SQLException} with SQLSTATE {@code 0A000}. MySQL/MariaDB: from {@code information_schema.COLUMNS},
     * {@code COLUMN_TYPE} followed by {@code " not null"} when {@code IS_NULLABLE = 'NO'} (e.g. {@code int(11) not null}),
     * which is what the analyser compares against.
     */
    default Map<TableRef, Map<String, String>> columnTypes(Connection probe, Collection<TableRef> tables, String defaultSchema)
            throws SQLException {
        throw new SQLException("column types are not supported by the " + kind() + " dialect", "0A000");
    }
}

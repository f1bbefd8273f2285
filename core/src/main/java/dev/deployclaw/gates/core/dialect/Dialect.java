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

    /** Replicas as the primary sees them (PostgreSQL {@code pg_stat_replication}); empty where not observable. */
    List<ReplicaStatus> replicasSeenFromPrimary(Connection primary) throws SQLException;

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

    /** Sets the lock wait bound and statement timeout for a migration session. */
    void setMigrationTimeouts(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException;

    /** Point-in-time recovery evidence. */
    RecoveryPoint recoveryPoint(Connection probe, Duration maxArchiveAge) throws SQLException;

    TopologyInfo topology(Connection probe, String schema, Optional<String> tenantSchemaPattern) throws SQLException;

    /** Undoes {@link #setMigrationTimeouts} and {@link #useSchema} before the connection goes back to its pool. */
    void resetMigrationSession(Connection session) throws SQLException;

    /** Makes {@code schema} the default for unqualified names on the session. */
    void useSchema(Connection session, String schema) throws SQLException;

    /** True when the error means "could not get the lock in time". */
    boolean isLockTimeout(SQLException e);

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

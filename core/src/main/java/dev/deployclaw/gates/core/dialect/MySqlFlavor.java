package dev.deployclaw.gates.core.dialect;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One MySQL-family server: MariaDB or MySQL, and its version. Every place where MariaDB 10.6+ and MySQL 8.0+ differ
 * is a method here, so the differences are explicit and unit-testable without a server.
 *
 * <p>MariaDB facts were verified on MariaDB 10.11; MySQL 8 facts come from the MySQL 8.0/8.4 reference manual
 * (no MySQL 8 server runs here) and are pinned by unit tests with recorded result sets.
 *
 * @param kind  {@link DatabaseKind#MARIADB} or {@link DatabaseKind#MYSQL}
 * @param major major version (10, 11 for MariaDB; 8, 9 for MySQL)
 * @param minor minor version
 * @param patch patch version
 */
public record MySqlFlavor(DatabaseKind kind, int major, int minor, int patch) {
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    public MySqlFlavor {
        Objects.requireNonNull(kind, "kind");
        if (!kind.mysqlFamily()) {
            throw new IllegalArgumentException("kind must be MYSQL or MARIADB, but was " + kind);
        }
    }

    public static MySqlFlavor mariadb(int major, int minor, int patch) {
        return new MySqlFlavor(DatabaseKind.MARIADB, major, minor, patch);
    }

    public static MySqlFlavor mysql(int major, int minor, int patch) {
        return new MySqlFlavor(DatabaseKind.MYSQL, major, minor, patch);
    }

    /** Reads the flavor from the connection's metadata (no round trip with Connector/J). */
    public static MySqlFlavor of(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        return parse(md.getDatabaseProductName(), md.getDatabaseProductVersion());
    }

    /**
     * Parses {@code 10.11.19-MariaDB-0+deb12u1-log}, {@code 5.5.5-10.11.6-MariaDB} (the replication-compatibility
     * prefix MariaDB sends in its handshake), {@code 8.0.36} or {@code 8.4.0-commercial}.
     */
    public static MySqlFlavor parse(String productName, String productVersion) {
        String name = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        String version = productVersion == null ? "" : productVersion.strip();
        boolean mariadb = name.contains("mariadb") || version.toLowerCase(Locale.ROOT).contains("mariadb");
        if (mariadb && version.startsWith("5.5.5-")) {
            version = version.substring("5.5.5-".length());
        }
        Matcher m = VERSION.matcher(version);
        if (!m.find()) {
            throw new IllegalArgumentException("server version must look like 8.0.36 or 10.11.6-MariaDB, but was '"
                    + productVersion + "'");
        }
        int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        return new MySqlFlavor(mariadb ? DatabaseKind.MARIADB : DatabaseKind.MYSQL, Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)), patch);
    }

    public boolean mariadb() {
        return kind == DatabaseKind.MARIADB;
    }

    public boolean atLeast(int maj, int min, int pat) {
        if (major != maj) {
            return major > maj;
        }
        if (minor != min) {
            return minor > min;
        }
        return patch >= pat;
    }

    /** Below MariaDB 10.6 / MySQL 8.0 the gates' SQL is not verified. */
    public boolean supported() {
        return mariadb() ? atLeast(10, 6, 0) : atLeast(8, 0, 0);
    }

    /** {@code MariaDB 10.11.19} / {@code MySQL 8.0.36}. */
    public String describe() {
        return (mariadb() ? "MariaDB " : "MySQL ") + major + "." + minor + "." + patch;
    }

    // ----------------------------------------------------------------------------------------- isolation

    /** MariaDB before 11.1 has only {@code tx_isolation}; MySQL 8 (and MariaDB 11.1+) {@code transaction_isolation}. */
    public String isolationVariable() {
        return mariadb() && !atLeast(11, 1, 0) ? "tx_isolation" : "transaction_isolation";
    }

    // ----------------------------------------------------------------------------------------- replication

    /** MySQL 8.0.22 renamed the statement and its columns; MariaDB keeps the old names (10.5+ accepts the new statement). */
    private boolean replicaVocabulary() {
        return !mariadb() && atLeast(8, 0, 22);
    }

    public String replicaStatusSql() {
        return replicaVocabulary() ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
    }

    public String ioRunningColumn() {
        return replicaVocabulary() ? "Replica_IO_Running" : "Slave_IO_Running";
    }

    public String sqlRunningColumn() {
        return replicaVocabulary() ? "Replica_SQL_Running" : "Slave_SQL_Running";
    }

    public String secondsBehindColumn() {
        return replicaVocabulary() ? "Seconds_Behind_Source" : "Seconds_Behind_Master";
    }

    public String sourceHostColumn() {
        return replicaVocabulary() ? "Source_Host" : "Master_Host";
    }

    /** The privilege that lets a user read replica status. */
    public String replicaMonitorPrivilege() {
        return mariadb() ? "SLAVE MONITOR" : "REPLICATION CLIENT";
    }

    // ----------------------------------------------------------------------------------------- binary log

    /** MariaDB 10.5.2+: {@code SHOW BINLOG STATUS}; MySQL 8.2+: {@code SHOW BINARY LOG STATUS} (8.4 removed SHOW MASTER STATUS). */
    public String binlogStatusSql() {
        if (mariadb()) {
            return atLeast(10, 5, 2) ? "SHOW BINLOG STATUS" : "SHOW MASTER STATUS";
        }
        return atLeast(8, 2, 0) ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
    }

    /** The privilege that lets a user read the binary log status. */
    public String binlogMonitorPrivilege() {
        return mariadb() ? "BINLOG MONITOR" : "REPLICATION CLIENT";
    }

    /**
     * Binary log retention variables: MariaDB 10.6+ has {@code binlog_expire_logs_seconds} and
     * {@code expire_logs_days} (the same setting in two units); MySQL 8 has {@code binlog_expire_logs_seconds}
     * ({@code expire_logs_days} is deprecated in 8.0 and removed in 8.4). Columns: seconds, days (NULL on MySQL).
     */
    public String binlogRetentionSql() {
        return mariadb() ? "SELECT @@GLOBAL.binlog_expire_logs_seconds, @@GLOBAL.expire_logs_days"
                : "SELECT @@GLOBAL.binlog_expire_logs_seconds, NULL";
    }

    /** GTID state: MariaDB {@code gtid_binlog_pos}, {@code gtid_strict_mode}; MySQL {@code gtid_mode}, {@code enforce_gtid_consistency}. */
    public String gtidSql() {
        return mariadb() ? "SELECT 'gtid_binlog_pos', @@GLOBAL.gtid_binlog_pos, 'gtid_strict_mode', @@GLOBAL.gtid_strict_mode"
                : "SELECT 'gtid_mode', @@GLOBAL.gtid_mode, 'enforce_gtid_consistency', @@GLOBAL.enforce_gtid_consistency";
    }

    // ----------------------------------------------------------------------------------------- timeouts

    /**
     * MariaDB {@code max_statement_time} (seconds, fractional, every statement including DDL); MySQL
     * {@code max_execution_time} (milliseconds, read-only SELECT statements only: it cannot bound a DDL).
     */
    public String statementTimeoutVariable() {
        return mariadb() ? "max_statement_time" : "max_execution_time";
    }

    /** The value for {@link #statementTimeoutVariable()}: seconds with millisecond decimals, or whole milliseconds. */
    public Object statementTimeoutValue(Duration timeout) {
        return mariadb() ? BigDecimal.valueOf(timeout.toMillis(), 3) : (Object) timeout.toMillis();
    }

    /** False on MySQL: {@code max_execution_time} applies to SELECT only, so DDL has no server-side statement timeout. */
    public boolean statementTimeoutCoversDdl() {
        return mariadb();
    }

    /** {@code lock_wait_timeout} takes whole seconds: a bound is rounded <em>up</em> (1 ms → 1 s; 1,500 ms → 2 s). */
    public static long lockWaitSeconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis()).divide(BigDecimal.valueOf(1000), 0, RoundingMode.CEILING).longValueExact();
    }
}

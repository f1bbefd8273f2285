package dev.deployclaw.gates.core.dialect;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TableSize;
import dev.deployclaw.gates.core.internal.Identifiers;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * MySQL 8.0+ and MariaDB 10.6+ (tested on MariaDB 10.11; MySQL 8 written from its manual and unit-tested with
 * recorded result sets). All MySQL-family SQL of the gates is in this class; where the two servers differ, the
 * {@link MySqlFlavor} of the connection decides.
 *
 * <p>Things that differ from PostgreSQL and shape this class:
 * <ul>
 *   <li>DDL commits on its own, so nothing here relies on a transaction; {@code lock_wait_timeout} (whole seconds,
 *       rounded up) bounds the metadata-lock wait of a DDL.</li>
 *   <li>A schema is a database: {@link #useSchema} runs {@code USE `db`}.</li>
 *   <li>The primary cannot see its replicas' lag: each replica is read directly (health from
 *       {@code SHOW SLAVE/REPLICA STATUS}, lag from a heartbeat row with microsecond values).</li>
 *   <li>Metadata locks are visible only where the server exposes them: {@code performance_schema.metadata_locks}
 *       (when performance_schema is on and the {@code wait/lock/metadata/sql/mdl} instrument enabled), MariaDB's
 *       {@code METADATA_LOCK_INFO} plugin, or, as a conservative fallback, the processlist and
 *       {@code INNODB_TRX}. {@link #lockSource} names the one used.</li>
 * </ul>
 */
public final class MySqlDialect implements Dialect {
    /** ER_LOCK_WAIT_TIMEOUT (metadata lock and InnoDB row lock) and MySQL's ER_LOCK_NOWAIT. */
    private static final Set<Integer> LOCK_TIMEOUT_CODES = Set.of(1205, 3572);
    private static final int ER_NO_SUCH_TABLE = 1146;
    private static final int ER_BAD_DB = 1049;
    private static final int ER_SPECIFIC_ACCESS_DENIED = 1227;
    /** How long past the gate's wait a late heartbeat is still awaited, to measure (not guess) how far behind a replica is. */
    static final Duration LAG_MEASUREMENT_EXTRA = Duration.ofSeconds(5);
    private static final long POLL_MS = 10;

    /** Where {@link #lockHolders} reads metadata locks from. */
    public enum LockSource {
        PERFORMANCE_SCHEMA("performance_schema.metadata_locks"),
        METADATA_LOCK_INFO("information_schema.METADATA_LOCK_INFO (MariaDB plugin)"),
        PROCESSLIST("information_schema.PROCESSLIST + INNODB_TRX (no metadata-lock source is enabled, so every open"
                + " transaction that has locked a table, or sits in the tables' database, counts as a possible holder)");

        private final String label;

        LockSource(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final DatabaseKind kind;
    private final Optional<MySqlFlavor> fixedFlavor;
    private final Set<String> heartbeatTablesReady = ConcurrentHashMap.newKeySet();
    /** JVM time at which each heartbeat value was written, so lag counts from the write, not from the read. */
    private final Map<Long, Long> beatWrittenAtNanos = new ConcurrentHashMap<>();
    private final Map<Connection, Integer> probeQueryTimeouts = Collections.synchronizedMap(new WeakHashMap<>());
    private final Map<Connection, Optional<String>> databaseBeforeUse = Collections.synchronizedMap(new WeakHashMap<>());

    /** A dialect that reads each connection's server version (what {@link Dialects#forKind} builds). */
    public MySqlDialect(DatabaseKind kind) {
        if (!kind.mysqlFamily()) {
            throw new IllegalArgumentException("kind must be MYSQL or MARIADB, but was " + kind);
        }
        this.kind = kind;
        this.fixedFlavor = Optional.empty();
    }

    /** A dialect for one known server version, whatever the connections report (unit tests, recorded result sets). */
    public MySqlDialect(MySqlFlavor flavor) {
        this.kind = flavor.kind();
        this.fixedFlavor = Optional.of(flavor);
    }

    @Override
    public DatabaseKind kind() {
        return kind;
    }

    @Override
    public String quote(String identifier) {
        return Identifiers.quote(identifier, '`');
    }

    /** The server of this connection; refuses versions the gates' SQL was not written for (fail closed). */
    public MySqlFlavor flavor(Connection c) throws SQLException {
        MySqlFlavor f = fixedFlavor.isPresent() ? fixedFlavor.get() : MySqlFlavor.of(c);
        if (!f.supported()) {
            throw new SQLException(f.describe() + " is not supported: the gates need MariaDB 10.6+ or MySQL 8.0+ (their"
                    + " replica-status, isolation and binary-log statements differ before); upgrade the server", "0A000");
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------------ statements

    private Statement statement(Connection c) throws SQLException {
        Statement st = c.createStatement();
        applyQueryTimeout(c, st);
        return st;
    }

    private PreparedStatement prepare(Connection c, String sql) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        applyQueryTimeout(c, ps);
        return ps;
    }

    private void applyQueryTimeout(Connection c, Statement st) throws SQLException {
        Integer seconds = probeQueryTimeouts.get(c);
        if (seconds != null) {
            st.setQueryTimeout(seconds);
        }
    }

    /**
     * Server-side: {@code max_statement_time} (MariaDB) or {@code max_execution_time} (MySQL, SELECT only), and
     * {@code lock_wait_timeout} so a probe never queues on a metadata lock; client-side: the JDBC query timeout
     * (whole seconds, rounded up) on every statement this dialect creates on the connection.
     */
    @Override
    public void applyProbeTimeouts(Connection probe, Duration timeout) throws SQLException {
        MySqlFlavor f = flavor(probe);
        long lockSeconds = Math.max(1, MySqlFlavor.lockWaitSeconds(timeout));
        try (PreparedStatement ps = probe.prepareStatement("SET SESSION " + f.statementTimeoutVariable() + " = ?,"
                + " lock_wait_timeout = ?")) {
            ps.setObject(1, f.statementTimeoutValue(timeout));
            ps.setLong(2, lockSeconds);
            ps.execute();
        }
        probeQueryTimeouts.put(probe, (int) Math.min(Integer.MAX_VALUE, lockSeconds));
    }

    @Override
    public void resetProbeTimeouts(Connection probe) throws SQLException {
        probeQueryTimeouts.remove(probe);
        try (Statement st = probe.createStatement()) {
            st.execute("SET SESSION " + flavor(probe).statementTimeoutVariable() + " = DEFAULT, lock_wait_timeout = DEFAULT");
        }
    }

    @Override
    public String currentSchema(Connection c) throws SQLException {
        Optional<String> db = database(c);
        if (db.isEmpty()) {
            throw new SQLException("no database is selected on the connection (SELECT DATABASE() is NULL); put the database"
                    + " in the JDBC URL (jdbc:mysql://host:3306/mydb) or name it in the migration request", "3D000");
        }
        return db.get();
    }

    private Optional<String> database(Connection c) throws SQLException {
        try (Statement st = statement(c); ResultSet rs = st.executeQuery("SELECT DATABASE()")) {
            rs.next();
            return Optional.ofNullable(rs.getString(1));
        }
    }

    @Override
    public long sessionId(Connection c) throws SQLException {
        try (Statement st = statement(c); ResultSet rs = st.executeQuery("SELECT CONNECTION_ID()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Without {@code PROCESS}, {@code information_schema.PROCESSLIST} shows only the user's own sessions and
     * {@code INNODB_TRX} is refused: the lock gates would see nothing and pass. Read from {@code SHOW GRANTS}.
     */
    @Override
    public Optional<String> missingMonitoringPrivilege(Connection probe) throws SQLException {
        String user;
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery("SELECT CURRENT_USER()")) {
            rs.next();
            user = rs.getString(1);
        }
        List<String> grants = new ArrayList<>();
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery("SHOW GRANTS")) {
            while (rs.next()) {
                grants.add(rs.getString(1));
            }
        }
        if (hasGlobalPrivilege(grants, "PROCESS")) {
            return Optional.empty();
        }
        return Optional.of("user " + user + " lacks the PROCESS privilege, so other sessions and their transactions are"
                + " invisible (information_schema.PROCESSLIST lists only its own sessions; INNODB_TRX is refused); grant it: "
                + "GRANT PROCESS ON *.* TO " + grantee(user) + ";");
    }

    static boolean hasGlobalPrivilege(List<String> grants, String privilege) {
        for (String g : grants) {
            String u = g.toUpperCase(Locale.ROOT);
            int on = u.indexOf(" ON *.* ");
            if (!u.startsWith("GRANT ") || on < 0) {
                continue;
            }
            String privs = u.substring("GRANT ".length(), on);
            if (privs.contains("ALL PRIVILEGES")) {
                return true;
            }
            for (String p : privs.split(",")) {
                if (p.strip().equals(privilege)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String grantee(String currentUser) {
        int at = currentUser.lastIndexOf('@');
        return at < 0 ? "'" + currentUser + "'" : "'" + currentUser.substring(0, at) + "'@'" + currentUser.substring(at + 1) + "'";
    }

    // ------------------------------------------------------------------------------------------------ replicas

    /**
     * Empty: a MySQL-family primary does not know its replicas' lag ({@code SHOW REPLICAS} lists hosts only).
     * Replicas are read directly, each configured with {@code AuditorConfig.replica(name, dataSource)}.
     */
    @Override
    public List<ReplicaStatus> replicasSeenFromPrimary(Connection primary, Duration wait) {
        return List.of();
    }

    /**
     * The heartbeat table as {@code `db`.`table`}. PostgreSQL's default qualifier {@code public} has no MySQL
     * counterpart, so {@code public.x} (the default {@code public.deployclaw_heartbeat}) means {@code x} in the
     * connection's current database.
     */
    String heartbeatTable(Connection c, String configured) throws SQLException {
        List<String> parts = Identifiers.parseQualified("heartbeatTable", configured);
        String table = parts.get(parts.size() - 1);
        String db = parts.size() == 2 && !"public".equals(parts.get(0)) ? parts.get(0) : null;
        if (db == null) {
            db = database(c).orElseThrow(() -> new SQLException("heartbeat table " + configured + " has no database and"
                    + " the connection has none selected; configure heartbeatTable as 'database.table'", "3D000"));
        }
        return quote(db) + "." + quote(table);
    }

    static String heartbeatDdl(String table) {
        return "CREATE TABLE IF NOT EXISTS " + table + " (id INT NOT NULL PRIMARY KEY, beat DATETIME(6) NOT NULL,"
                + " beat_us BIGINT NOT NULL COMMENT 'microseconds since the epoch, primary clock') ENGINE=InnoDB";
    }

    /**
     * Writes {@code beat_us} (microseconds since the epoch, from the primary's {@code NOW(6)}) as a bound BIGINT,
     * never as a bound timestamp: Connector/J may drop the fractional seconds of a bound {@code Timestamp}, and the
     * comparison on the replica must be exact.
     */
    @Override
    public Instant writeHeartbeat(Connection primary, String heartbeatTable) throws SQLException {
        String table = heartbeatTable(primary, heartbeatTable);
        if (!heartbeatTablesReady.contains(table)) {
            try (Statement st = statement(primary)) {
                st.execute(heartbeatDdl(table));
            } catch (SQLException e) {
                throw new SQLException("heartbeat table " + table + " is missing and could not be created (" + e.getMessage()
                        + "); create it on the primary as: " + heartbeatDdl(table) + ", and grant INSERT, UPDATE, SELECT on it"
                        + " to the gate user", e.getSQLState(), e.getErrorCode(), e);
            }
            heartbeatTablesReady.add(table);
        }
        long us;
        try (Statement st = statement(primary); ResultSet rs = st.executeQuery(
                "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)")) {
            rs.next();
            us = rs.getLong(1);
        }
        BigDecimal seconds = BigDecimal.valueOf(us, 6);
        // GREATEST: a concurrent writer with an older value never moves the beat backwards
        try (PreparedStatement ps = prepare(primary, "INSERT INTO " + table + " (id, beat, beat_us) VALUES (1, FROM_UNIXTIME(?), ?)"
                + " ON DUPLICATE KEY UPDATE beat = IF(? > beat_us, FROM_UNIXTIME(?), beat), beat_us = GREATEST(beat_us, ?)")) {
            ps.setBigDecimal(1, seconds);
            ps.setLong(2, us);
            ps.setLong(3, us);
            ps.setBigDecimal(4, seconds);
            ps.setLong(5, us);
            ps.executeUpdate();
        }
        long now = System.nanoTime();
        beatWrittenAtNanos.put(us, now);
        beatWrittenAtNanos.values().removeIf(t -> now - t > Duration.ofMinutes(10).toNanos());
        return Instant.EPOCH.plusNanos(us * 1000);
    }

    /**
     * Health first ({@code SHOW SLAVE STATUS} / {@code SHOW REPLICA STATUS}: both threads running, no error), then
     * lag: the time from writing the beat on the primary until the replica shows it. A replica that has not shown it
     * within {@code wait} is over the threshold; it is awaited up to {@link #LAG_MEASUREMENT_EXTRA} longer so the
     * report carries the measured lag rather than a lower bound.
     */
    @Override
    public ReplicaStatus readReplica(String name, Connection replica, String heartbeatTable, Instant beat, Duration wait)
            throws SQLException {
        Optional<String> unhealthy = replicaHealthProblem(name, replica);
        if (unhealthy.isPresent()) {
            return ReplicaStatus.broken(name, "heartbeat", unhealthy.get());
        }
        long wanted = beat.getEpochSecond() * 1_000_000 + beat.getNano() / 1000;
        long readStart = System.nanoTime();
        // counted from the write, not from this read: a replica read after a slow one gets an upper bound (fail
        // closed) rather than a lag of ~0 for a beat that may have arrived just now
        long from = beatWrittenAtNanos.getOrDefault(wanted, readStart);
        // past `wait` the replica is over the threshold anyway; keep polling a little longer to measure by how much
        long hardDeadline = readStart + wait.toNanos() + LAG_MEASUREMENT_EXTRA.toNanos();
        String table;
        try {
            table = heartbeatTable(replica, heartbeatTable);
        } catch (SQLException e) {
            return ReplicaStatus.broken(name, "heartbeat", "replica " + name + ": " + e.getMessage());
        }
        try (PreparedStatement ps = prepare(replica, "SELECT beat_us FROM " + table + " WHERE id = 1")) {
            while (true) {
                Optional<Long> seen = Optional.empty();
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        seen = Optional.of(rs.getLong(1));
                    }
                }
                long now = System.nanoTime();
                if (seen.isPresent() && seen.get() >= wanted) {
                    return ReplicaStatus.lag(name, "heartbeat", (now - from) / 1_000_000);
                }
                if (now > hardDeadline && seen.isEmpty()) {
                    return ReplicaStatus.broken(name, "heartbeat", "replica " + name + " has no heartbeat row in " + table
                            + " after " + Durations.human((now - from) / 1_000_000) + ", so its lag cannot be observed"
                            + " (is it replicating this database?)");
                }
                if (now > hardDeadline) {
                    long atLeast = (now - from) / 1_000_000;
                    String why = "replica " + name + " has not replayed the heartbeat written " + Durations.human(atLeast)
                            + " ago (it shows one " + Durations.human(Math.max(0, (wanted - seen.get()) / 1000)) + " older)";
                    // the lag is known to be at least this; report it as the measured value (it is over any threshold
                    // the gate waited for) and say it is a lower bound
                    return new ReplicaStatus(name, "heartbeat", true, Optional.of(atLeast),
                            Optional.of(why + "; lag is at least " + Durations.human(atLeast)));
                }
                try {
                    Thread.sleep(POLL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for the heartbeat on replica " + name, "70100", e);
                }
            }
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_NO_SUCH_TABLE || e.getErrorCode() == ER_BAD_DB) {
                return ReplicaStatus.broken(name, "heartbeat", "heartbeat table " + table + " does not exist on replica " + name
                        + " (" + e.getMessage() + "); it is created on the primary by the first gate run: either the replica"
                        + " has not replayed that yet (it is lagging), or it does not replicate this database. Its DDL: "
                        + heartbeatDdl(table));
            }
            throw e;
        }
    }

    /** Empty when both replication threads run without error; else what is wrong, with the fix. */
    Optional<String> replicaHealthProblem(String name, Connection replica) throws SQLException {
        MySqlFlavor f = flavor(replica);
        try (Statement st = statement(replica); ResultSet rs = st.executeQuery(f.replicaStatusSql())) {
            if (!rs.next()) {
                return Optional.of("replica " + name + " is not replicating: " + f.replicaStatusSql() + " returned no row"
                        + " (no replication source configured); configure replication or remove it from the replicas");
            }
            String io = rs.getString(f.ioRunningColumn());
            String sql = rs.getString(f.sqlRunningColumn());
            int ioErrno = rs.getInt("Last_IO_Errno");
            String ioError = rs.getString("Last_IO_Error");
            int sqlErrno = rs.getInt("Last_SQL_Errno");
            String sqlError = rs.getString("Last_SQL_Error");
            long behind = rs.getLong(f.secondsBehindColumn());
            String behindText = rs.wasNull() ? "NULL" : String.valueOf(behind);
            List<String> wrong = new ArrayList<>();
            if (!"Yes".equalsIgnoreCase(io)) {
                wrong.add(f.ioRunningColumn() + "=" + io);
            }
            if (!"Yes".equalsIgnoreCase(sql)) {
                wrong.add(f.sqlRunningColumn() + "=" + sql);
            }
            if (ioErrno != 0) {
                wrong.add("Last_IO_Errno=" + ioErrno + " (" + nvl(ioError, "") + ")");
            }
            if (sqlErrno != 0) {
                wrong.add("Last_SQL_Errno=" + sqlErrno + " (" + nvl(sqlError, "") + ")");
            }
            if (wrong.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of("replica " + name + " is unhealthy: " + String.join(", ", wrong) + ", "
                    + f.secondsBehindColumn() + "=" + behindText + " (" + f.replicaStatusSql() + "); fix the error and run "
                    + (f.mariadb() || !f.atLeast(8, 0, 22) ? "START SLAVE" : "START REPLICA") + " on it");
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_SPECIFIC_ACCESS_DENIED) {
                throw new SQLException("cannot read " + f.replicaStatusSql() + " on replica " + name + " (" + e.getMessage()
                        + "); grant " + f.replicaMonitorPrivilege() + " ON *.* to the gate user there", e.getSQLState(),
                        e.getErrorCode(), e);
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------ locks

    /** Which metadata-lock source {@link #lockHolders} uses on this server, best first. */
    public LockSource chooseLockSource(Connection probe) throws SQLException {
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery("SELECT @@performance_schema")) {
            rs.next();
            if (rs.getInt(1) == 1) {
                try (Statement st2 = statement(probe); ResultSet rs2 = st2.executeQuery("SELECT ENABLED FROM"
                        + " performance_schema.setup_instruments WHERE NAME = 'wait/lock/metadata/sql/mdl'")) {
                    if (rs2.next() && "YES".equalsIgnoreCase(rs2.getString(1))) {
                        return LockSource.PERFORMANCE_SCHEMA;
                    }
                }
            }
        }
        if (flavor(probe).mariadb()) {
            try (Statement st = statement(probe); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM information_schema.PLUGINS"
                    + " WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'")) {
                rs.next();
                if (rs.getInt(1) > 0) {
                    return LockSource.METADATA_LOCK_INFO;
                }
            }
        }
        return LockSource.PROCESSLIST;
    }

    @Override
    public Optional<String> lockSource(Connection probe) throws SQLException {
        return Optional.of(chooseLockSource(probe).label());
    }

    @Override
    public List<SessionInfo> lockHolders(Connection probe, Collection<TableRef> tables, String defaultSchema,
                                         Collection<String> wholeSchemas, Collection<Long> excludedPids) throws SQLException {
        LockSource source = chooseLockSource(probe);
        List<String[]> pairs = new ArrayList<>();
        for (TableRef t : tables) {
            pairs.add(new String[]{t.schemaOr(defaultSchema), t.name()});
        }
        Map<String, SessionInfo> out = new LinkedHashMap<>();
        switch (source) {
            case PERFORMANCE_SCHEMA -> metadataLocks(probe, pairs, wholeSchemas, excludedPids,
                    "SELECT t.PROCESSLIST_ID, t.PROCESSLIST_COMMAND, t.PROCESSLIST_STATE, t.PROCESSLIST_USER, t.PROCESSLIST_HOST,"
                            + " t.PROCESSLIST_INFO, m.OBJECT_SCHEMA, m.OBJECT_NAME, m.LOCK_TYPE, m.LOCK_STATUS = 'GRANTED', "
                            + TRX_AGE.replace("{id}", "t.PROCESSLIST_ID")
                            + " FROM performance_schema.metadata_locks m"
                            + " JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID"
                            + " WHERE m.OBJECT_TYPE = 'TABLE' AND t.PROCESSLIST_ID IS NOT NULL AND t.PROCESSLIST_ID <> CONNECTION_ID()",
                    "t.PROCESSLIST_ID", "m.OBJECT_SCHEMA", "m.OBJECT_NAME", out);
            case METADATA_LOCK_INFO -> metadataLocks(probe, pairs, wholeSchemas, excludedPids,
                    "SELECT l.THREAD_ID, p.COMMAND, p.STATE, p.USER, p.HOST, p.INFO, l.TABLE_SCHEMA, l.TABLE_NAME, l.LOCK_MODE, 1, "
                            + TRX_AGE.replace("{id}", "l.THREAD_ID")
                            + " FROM information_schema.METADATA_LOCK_INFO l"
                            + " LEFT JOIN information_schema.PROCESSLIST p ON p.ID = l.THREAD_ID"
                            + " WHERE l.THREAD_ID <> CONNECTION_ID() AND l.TABLE_NAME <> ''",
                    "l.THREAD_ID", "l.TABLE_SCHEMA", "l.TABLE_NAME", out);
            case PROCESSLIST -> openTransactionsIn(probe, pairs, wholeSchemas, excludedPids, out);
        }
        // every source: sessions already queued for a metadata lock on these tables (a DDL queue exists)
        waitingForMetadataLock(probe, pairs, wholeSchemas, excludedPids, out);
        return new ArrayList<>(out.values());
    }

    private static final String TRX_AGE = "(SELECT TIMESTAMPDIFF(MICROSECOND, x.trx_started, NOW(6)) DIV 1000"
            + " FROM information_schema.INNODB_TRX x WHERE x.trx_mysql_thread_id = {id} LIMIT 1)";

    private void metadataLocks(Connection probe, List<String[]> pairs, Collection<String> wholeSchemas,
                               Collection<Long> excludedPids, String select, String idCol, String schemaCol, String nameCol,
                               Map<String, SessionInfo> out) throws SQLException {
        if (pairs.isEmpty() && wholeSchemas.isEmpty()) {
            return;
        }
        List<Object> binds = new ArrayList<>();
        String sql = select + " AND (" + tableMatch(pairs, wholeSchemas, schemaCol, nameCol, binds) + ")"
                + notIn(idCol, excludedPids, binds) + " ORDER BY 10 DESC, 1";
        try (PreparedStatement ps = prepare(probe, sql)) {
            bind(ps, binds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    long age = rs.getLong(11);
                    Optional<Long> ageOpt = rs.wasNull() ? Optional.empty() : Optional.of(age);
                    boolean granted = rs.getBoolean(10);
                    SessionInfo s = new SessionInfo(id, state(rs.getString(2), rs.getString(3), ageOpt.isPresent()), ageOpt,
                            userHost(rs.getString(4), rs.getString(5)), nvl(rs.getString(4), ""),
                            SessionInfo.truncate(rs.getString(6)), Optional.of(rs.getString(7) + "." + rs.getString(8)),
                            Optional.of(rs.getString(9)), granted);
                    out.putIfAbsent(id + "/" + s.relation().get() + "/" + granted, s);
                }
            }
        }
    }

    /**
     * The fallback: open InnoDB transactions that have locked any table, or whose session's database is one of the
     * tables' databases, or whose query names a table.
     */
    private void openTransactionsIn(Connection probe, List<String[]> pairs, Collection<String> wholeSchemas,
                                    Collection<Long> excludedPids, Map<String, SessionInfo> out) throws SQLException {
        Set<String> schemas = new LinkedHashSet<>(wholeSchemas);
        pairs.forEach(p -> schemas.add(p[0]));
        if (schemas.isEmpty()) {
            return;
        }
        List<Object> binds = new ArrayList<>();
        // an idle session in another database shows neither its database nor a query, yet may hold the table's
        // metadata lock: any transaction that has locked a table counts (fail closed; a metadata-lock source is precise)
        StringBuilder match = new StringBuilder("x.trx_tables_locked > 0 OR p.DB IN (").append(placeholders(schemas.size())).append(')');
        binds.addAll(schemas);
        for (String[] p : pairs) {
            match.append(" OR LOCATE(?, LOWER(COALESCE(x.trx_query, p.INFO, ''))) > 0");
            binds.add(p[1].toLowerCase(Locale.ROOT));
        }
        String sql = "SELECT p.ID, p.COMMAND, p.STATE, p.USER, p.HOST, COALESCE(x.trx_query, p.INFO), p.DB,"
                + " TIMESTAMPDIFF(MICROSECOND, x.trx_started, NOW(6)) DIV 1000, x.trx_rows_locked, x.trx_tables_locked"
                + " FROM information_schema.INNODB_TRX x JOIN information_schema.PROCESSLIST p ON p.ID = x.trx_mysql_thread_id"
                + " WHERE p.ID <> CONNECTION_ID() AND (" + match + ")" + notIn("p.ID", excludedPids, binds)
                + " ORDER BY x.trx_started, p.ID";
        try (PreparedStatement ps = prepare(probe, sql)) {
            bind(ps, binds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    String db = nvl(rs.getString(7), "?");
                    SessionInfo s = new SessionInfo(id, state(rs.getString(2), rs.getString(3), true), Optional.of(rs.getLong(8)),
                            userHost(rs.getString(4), rs.getString(5)), nvl(rs.getString(4), ""), SessionInfo.truncate(rs.getString(6)),
                            Optional.of("database " + db + " (" + rs.getLong(9) + " rows and " + rs.getLong(10)
                                    + " tables locked; which tables is not visible without a metadata-lock source)"),
                            Optional.of("an open transaction, possibly with metadata locks,"), true);
                    out.putIfAbsent(id + "/trx", s);
                }
            }
        }
    }

    private void waitingForMetadataLock(Connection probe, List<String[]> pairs, Collection<String> wholeSchemas,
                                        Collection<Long> excludedPids, Map<String, SessionInfo> out) throws SQLException {
        if (pairs.isEmpty() && wholeSchemas.isEmpty()) {
            return;
        }
        List<Object> binds = new ArrayList<>();
        List<String> ors = new ArrayList<>();
        if (!wholeSchemas.isEmpty()) {
            ors.add("p.DB IN (" + placeholders(wholeSchemas.size()) + ")");
            binds.addAll(wholeSchemas);
        }
        for (String[] p : pairs) {
            ors.add("LOCATE(?, LOWER(COALESCE(p.INFO, ''))) > 0");
            binds.add(p[1].toLowerCase(Locale.ROOT));
        }
        String sql = "SELECT p.ID, p.COMMAND, p.STATE, p.USER, p.HOST, p.INFO, p.DB, " + TRX_AGE.replace("{id}", "p.ID")
                + " FROM information_schema.PROCESSLIST p WHERE p.STATE LIKE 'Waiting for table metadata lock%'"
                + " AND p.ID <> CONNECTION_ID() AND (" + String.join(" OR ", ors) + ")" + notIn("p.ID", excludedPids, binds)
                + " ORDER BY p.TIME DESC, p.ID";
        try (PreparedStatement ps = prepare(probe, sql)) {
            bind(ps, binds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    if (out.keySet().stream().anyMatch(k -> k.startsWith(id + "/") && k.endsWith("/false"))) {
                        continue; // already listed as waiting by the metadata-lock source
                    }
                    long age = rs.getLong(8);
                    Optional<Long> ageOpt = rs.wasNull() ? Optional.empty() : Optional.of(age);
                    String info = nvl(rs.getString(6), "");
                    String table = pairs.stream().filter(p -> info.toLowerCase(Locale.ROOT).contains(p[1].toLowerCase(Locale.ROOT)))
                            .map(p -> p[0] + "." + p[1]).findFirst().orElse("a table of database " + nvl(rs.getString(7), "?"));
                    out.putIfAbsent(id + "/wait", new SessionInfo(id, state(rs.getString(2), rs.getString(3), ageOpt.isPresent()),
                            ageOpt, userHost(rs.getString(4), rs.getString(5)), nvl(rs.getString(4), ""),
                            SessionInfo.truncate(info), Optional.of(table), Optional.of("a metadata lock"), false));
                }
            }
        }
    }

    private static String tableMatch(List<String[]> pairs, Collection<String> wholeSchemas, String schemaCol, String nameCol,
                                     List<Object> binds) {
        List<String> ors = new ArrayList<>();
        for (String[] p : pairs) {
            ors.add("(" + schemaCol + " = ? AND LOWER(" + nameCol + ") = ?)");
            binds.add(p[0]);
            binds.add(p[1].toLowerCase(Locale.ROOT));
        }
        if (!wholeSchemas.isEmpty()) {
            ors.add(schemaCol + " IN (" + placeholders(wholeSchemas.size()) + ")");
            binds.addAll(wholeSchemas);
        }
        return ors.isEmpty() ? "FALSE" : String.join(" OR ", ors);
    }

    private static String notIn(String col, Collection<Long> ids, List<Object> binds) {
        if (ids.isEmpty()) {
            return "";
        }
        binds.addAll(ids);
        return " AND " + col + " NOT IN (" + placeholders(ids.size()) + ")";
    }

    private static String placeholders(int n) {
        return Collections.nCopies(n, "?").stream().collect(Collectors.joining(", "));
    }

    private static void bind(PreparedStatement ps, List<Object> binds) throws SQLException {
        for (int i = 0; i < binds.size(); i++) {
            ps.setObject(i + 1, binds.get(i));
        }
    }

    private static String state(String command, String state, boolean inTransaction) {
        String s = nvl(command, "unknown");
        if (state != null && !state.isBlank()) {
            s += ": " + state;
        }
        return inTransaction ? s + ", in transaction" : s;
    }

    private static String userHost(String user, String host) {
        return user == null ? "" : user + "@" + nvl(host, "?");
    }

    /**
     * Transactions older than {@code maxAge} on the whole server ({@code INNODB_TRX} is server-wide, and a
     * transaction in another database may still hold metadata locks on this one's tables).
     */
    @Override
    public List<SessionInfo> oldTransactions(Connection probe, Duration maxAge, Collection<Long> excludedPids) throws SQLException {
        List<Object> binds = new ArrayList<>();
        binds.add(maxAge.toNanos() / 1000);
        String sql = "SELECT COALESCE(p.ID, x.trx_mysql_thread_id), p.COMMAND, p.STATE, p.USER, p.HOST,"
                + " COALESCE(x.trx_query, p.INFO), TIMESTAMPDIFF(MICROSECOND, x.trx_started, NOW(6)) DIV 1000"
                + " FROM information_schema.INNODB_TRX x LEFT JOIN information_schema.PROCESSLIST p ON p.ID = x.trx_mysql_thread_id"
                + " WHERE TIMESTAMPDIFF(MICROSECOND, x.trx_started, NOW(6)) > ? AND x.trx_mysql_thread_id <> CONNECTION_ID()"
                + notIn("x.trx_mysql_thread_id", excludedPids, binds) + " ORDER BY x.trx_started";
        List<SessionInfo> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(probe, sql)) {
            bind(ps, binds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String command = rs.getString(2);
                    out.add(new SessionInfo(rs.getLong(1), command == null ? "no client session (recovered or prepared XA"
                            + " transaction)" : state(command, rs.getString(3), true), Optional.of(rs.getLong(7)),
                            userHost(rs.getString(4), rs.getString(5)), nvl(rs.getString(4), ""),
                            SessionInfo.truncate(rs.getString(6)), Optional.empty(), Optional.empty(), true));
                }
            }
        }
        return out;
    }

    @Override
    public String terminateHint() {
        return "KILL <connection id>";
    }

    // ------------------------------------------------------------------------------------------------ session

    @Override
    public IsolationLevel readIsolation(Connection session) throws SQLException {
        try (Statement st = statement(session); ResultSet rs = st.executeQuery(
                "SELECT @@SESSION." + flavor(session).isolationVariable())) {
            rs.next();
            return IsolationLevel.parse(rs.getString(1));
        }
    }

    /** {@code SET SESSION TRANSACTION ISOLATION LEVEL …}: applies from the next transaction, whatever the variable's name. */
    @Override
    public void setIsolation(Connection session, IsolationLevel level) throws SQLException {
        try (Statement st = statement(session)) {
            st.execute("SET SESSION TRANSACTION ISOLATION LEVEL " + level.sql());
        }
    }

    @Override
    public Optional<Duration> readLockTimeout(Connection session) throws SQLException {
        try (Statement st = statement(session); ResultSet rs = st.executeQuery("SELECT @@SESSION.lock_wait_timeout")) {
            rs.next();
            return Optional.of(Duration.ofSeconds(rs.getLong(1)));
        }
    }

    /** {@code lock_wait_timeout} takes whole seconds: the bound in force is {@code maxLockWait} rounded up. */
    @Override
    public Duration effectiveLockWait(Duration maxLockWait) {
        return Duration.ofSeconds(MySqlFlavor.lockWaitSeconds(maxLockWait));
    }

    /**
     * {@code lock_wait_timeout} (metadata locks: what a DDL waits for) and {@code innodb_lock_wait_timeout} (row
     * locks: what a backfill UPDATE waits for), both {@code lockTimeout} rounded up to whole seconds; and the
     * statement timeout: {@code max_statement_time} on MariaDB (every statement, DDL included), or
     * {@code max_execution_time} on MySQL (SELECT only: MySQL has no server-side timeout for DDL).
     */
    @Override
    public void setMigrationTimeouts(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        MySqlFlavor f = flavor(session);
        long seconds = Math.max(1, MySqlFlavor.lockWaitSeconds(lockTimeout));
        try (PreparedStatement ps = prepare(session, "SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?, "
                + f.statementTimeoutVariable() + " = ?")) {
            ps.setLong(1, seconds);
            ps.setLong(2, seconds);
            ps.setObject(3, f.statementTimeoutValue(statementTimeout));
            ps.execute();
        }
    }

    @Override
    public void resetMigrationSession(Connection session) throws SQLException {
        try (Statement st = statement(session)) {
            st.execute("SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT, "
                    + flavor(session).statementTimeoutVariable() + " = DEFAULT");
            Optional<String> before = databaseBeforeUse.remove(session);
            if (before != null && before.isPresent()) {
                st.execute("USE " + quote(before.get()));
            }
        }
    }

    /** {@code USE `db`}: on this family a schema is a database. {@link #resetMigrationSession} restores the previous one. */
    @Override
    public void useSchema(Connection session, String schema) throws SQLException {
        String db = Identifiers.requireValidName("schema", schema);
        databaseBeforeUse.putIfAbsent(session, database(session));
        try (Statement st = statement(session)) {
            st.execute("USE " + quote(db));
        }
    }

    @Override
    public boolean isLockTimeout(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && LOCK_TIMEOUT_CODES.contains(s.getErrorCode())) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------ recovery

    @Override
    public RecoveryPoint recoveryPoint(Connection probe, Duration maxArchiveAge) throws SQLException {
        return recoveryPoint(probe, maxArchiveAge, AuditorConfig.DEFAULT_MIN_BINLOG_RETENTION);
    }

    /**
     * Binary logging on, retention ({@code binlog_expire_logs_seconds}; {@code expire_logs_days} on MariaDB) at least
     * {@code minBinlogRetention} (0 = never purged), GTID state and the current binary log position reported.
     */
    @Override
    public RecoveryPoint recoveryPoint(Connection probe, Duration maxArchiveAge, Duration minBinlogRetention) throws SQLException {
        MySqlFlavor f = flavor(probe);
        List<String> facts = new ArrayList<>();
        boolean logBin;
        String format;
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery("SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format")) {
            rs.next();
            logBin = rs.getInt(1) == 1;
            format = rs.getString(2);
        }
        facts.add("server=" + f.describe());
        facts.add("log_bin=" + (logBin ? "ON" : "OFF"));
        if (!logBin) {
            return new RecoveryPoint(false, facts, "binary logging is off (log_bin=OFF), so there is no point-in-time recovery"
                    + " and DDL, which commits on its own on " + (f.mariadb() ? "MariaDB" : "MySQL") + ", cannot be undone by"
                    + " replaying to a point before it; start the server with log_bin (needs a restart)");
        }
        facts.add("binlog_format=" + format);
        long retentionSeconds;
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery(f.binlogRetentionSql())) {
            rs.next();
            retentionSeconds = rs.getLong(1);
            facts.add("binlog_expire_logs_seconds=" + retentionSeconds);
            BigDecimal days = rs.getBigDecimal(2);
            if (days != null) {
                facts.add("expire_logs_days=" + days.stripTrailingZeros().toPlainString());
                if (retentionSeconds == 0 && days.signum() > 0) {
                    retentionSeconds = days.multiply(BigDecimal.valueOf(86_400)).longValue();
                }
            }
        }
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery(f.gtidSql())) {
            rs.next();
            facts.add(rs.getString(1) + "=" + nvl(rs.getString(2), "") + "");
            facts.add(rs.getString(3) + "=" + nvl(rs.getString(4), ""));
        }
        try (Statement st = statement(probe); ResultSet rs = st.executeQuery(f.binlogStatusSql())) {
            if (rs.next()) {
                facts.add("current binary log=" + rs.getString("File") + ":" + rs.getLong("Position"));
            }
        } catch (SQLException e) {
            // the position is supporting evidence; the retention and log_bin above decide
            facts.add("current binary log=unreadable (" + e.getMessage() + "; grant " + f.binlogMonitorPrivilege()
                    + " ON *.* to see it)");
        }
        long minSeconds = minBinlogRetention.toSeconds();
        if (retentionSeconds == 0) {
            facts.add("retention=never purged automatically");
        } else {
            facts.add("retention=" + Durations.human(retentionSeconds * 1000));
            if (retentionSeconds < minSeconds) {
                return new RecoveryPoint(false, facts, "binary logs are kept " + Durations.human(retentionSeconds * 1000)
                        + " (binlog_expire_logs_seconds=" + retentionSeconds + "), less than minBinlogRetention "
                        + Durations.human(minSeconds * 1000) + "; raise it: SET GLOBAL binlog_expire_logs_seconds = "
                        + minSeconds + " (and in the server's configuration), or lower minBinlogRetention");
            }
        }
        return new RecoveryPoint(true, facts, "binary log on (" + format + "), retention "
                + (retentionSeconds == 0 ? "unlimited" : Durations.human(retentionSeconds * 1000)) + " ≥ minBinlogRetention "
                + Durations.human(minSeconds * 1000));
    }

    // ------------------------------------------------------------------------------------------------ topology

    /** Tables of the database and those with a {@code tenant_id} column; MySQL has no row-level security (always 0). */
    @Override
    public TopologyInfo topology(Connection probe, String schema, Optional<String> tenantSchemaPattern) throws SQLException {
        String sql = "SELECT COUNT(*), COALESCE(SUM(EXISTS (SELECT 1 FROM information_schema.COLUMNS c"
                + " WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.COLUMN_NAME = 'tenant_id')), 0),"
                + " CASE WHEN ? IS NULL THEN NULL ELSE (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?) END"
                + " FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE'";
        try (PreparedStatement ps = prepare(probe, sql)) {
            ps.setString(1, tenantSchemaPattern.orElse(null));
            ps.setString(2, tenantSchemaPattern.orElse(null));
            ps.setString(3, schema);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int tenants = rs.getInt(3);
                Optional<Integer> t = rs.wasNull() ? Optional.empty() : Optional.of(tenants);
                return new TopologyInfo(schema, rs.getInt(1), rs.getInt(2), 0, 0, 0, t);
            }
        }
    }

    private static String nvl(String s, String dflt) {
        return s == null ? dflt : s;
    }

    // ------------------------------------------------------------------------------------------------ table sizes

    /**
     * {@code TABLE_ROWS} (InnoDB's estimate) and {@code DATA_LENGTH + INDEX_LENGTH} from {@code information_schema.TABLES},
     * one query for all relations. Names compare case-insensitively: the tolerant parser folds unquoted names to
     * lower case, while {@code lower_case_table_names=0} keeps them as created.
     */
    @Override
    public Map<TableRef, TableSize> tableSizes(Connection probe, Collection<TableRef> relations, String defaultSchema)
            throws SQLException {
        Map<TableRef, TableSize> out = new LinkedHashMap<>();
        if (relations.isEmpty()) {
            return out;
        }
        List<TableRef> asked = new ArrayList<>(relations);
        String sql = "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0)"
                + " FROM information_schema.TABLES WHERE " + tablesIn(asked.size());
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            bindTables(ps, asked, defaultSchema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String schema = rs.getString(1);
                    String name = rs.getString(2);
                    long rows = rs.getLong(3);
                    OptionalLong estimate = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(rows);
                    TableSize size = new TableSize(TableRef.of(schema, name), estimate, rs.getLong(4),
                            "information_schema.TABLES.TABLE_ROWS (InnoDB estimate)");
                    for (TableRef t : asked) {
                        if (t.schemaOr(defaultSchema).equalsIgnoreCase(schema) && t.name().equalsIgnoreCase(name)) {
                            out.put(TableRef.of(t.schemaOr(defaultSchema), t.name()), size);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** {@code COLUMN_TYPE} plus {@code " not null"} when {@code IS_NULLABLE = 'NO'}, from {@code information_schema.COLUMNS}. */
    @Override
    public Map<TableRef, Map<String, String>> columnTypes(Connection probe, Collection<TableRef> tables, String defaultSchema)
            throws SQLException {
        Map<TableRef, Map<String, String>> out = new LinkedHashMap<>();
        if (tables.isEmpty()) {
            return out;
        }
        List<TableRef> asked = new ArrayList<>(tables);
        String sql = "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME,"
                + " CONCAT(COLUMN_TYPE, IF(IS_NULLABLE = 'NO', ' not null', ''))"
                + " FROM information_schema.COLUMNS WHERE " + tablesIn(asked.size())
                + " ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION";
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            bindTables(ps, asked, defaultSchema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    for (TableRef t : asked) {
                        if (t.schemaOr(defaultSchema).equalsIgnoreCase(rs.getString(1)) && t.name().equalsIgnoreCase(rs.getString(2))) {
                            out.computeIfAbsent(TableRef.of(t.schemaOr(defaultSchema), t.name()), k -> new LinkedHashMap<>())
                                    .put(rs.getString(3), rs.getString(4));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** {@code (LOWER(TABLE_SCHEMA), LOWER(TABLE_NAME)) IN ((LOWER(?), LOWER(?)), …)} for {@code n} tables. */
    private static String tablesIn(int n) {
        return "(LOWER(TABLE_SCHEMA), LOWER(TABLE_NAME)) IN ("
                + String.join(", ", Collections.nCopies(n, "(LOWER(?), LOWER(?))")) + ")";
    }

    private static void bindTables(PreparedStatement ps, List<TableRef> tables, String defaultSchema) throws SQLException {
        int i = 1;
        for (TableRef t : tables) {
            ps.setString(i++, t.schemaOr(defaultSchema));
            ps.setString(i++, t.name());
        }
    }
}

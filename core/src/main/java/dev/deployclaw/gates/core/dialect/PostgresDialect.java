package dev.deployclaw.gates.core.dialect;

import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TableSize;
import dev.deployclaw.gates.core.internal.Identifiers;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;

/** PostgreSQL 13+ (tested on 15). All PostgreSQL SQL of the gates is in this class. */
public final class PostgresDialect implements Dialect {
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    /**
     * Relation locks of the current database other than the probe's own, an index's lock counted on its table: pid,
     * state, transaction age (ms), application, user, query, "schema.table", mode, granted, schema, table. The lock
     * checks add their filters.
     */
    private static final String LOCK_ROWS = "select coalesce(l.pid, 0),"
            + " coalesce(a.state, case when l.pid is null then 'prepared transaction' end),"
            + " (extract(epoch from clock_timestamp() - a.xact_start) * 1000)::bigint,"
            + " coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.query, ''),"
            + " n.nspname || '.' || t.relname, l.mode, l.granted, n.nspname, t.relname"
            + " from pg_locks l"
            + " join pg_class c on c.oid = l.relation"
            + " left join pg_index i on i.indexrelid = c.oid"
            + " join pg_class t on t.oid = coalesce(i.indrelid, c.oid)"
            + " join pg_namespace n on n.oid = t.relnamespace"
            + " left join pg_stat_activity a on a.pid = l.pid"
            + " where l.locktype = 'relation'"
            + " and l.database = (select oid from pg_database where datname = current_database())"
            + " and coalesce(l.pid, 0) <> pg_backend_pid()";
    private final Set<String> heartbeatTablesReady = ConcurrentHashMap.newKeySet();

    @Override
    public DatabaseKind kind() {
        return DatabaseKind.POSTGRESQL;
    }

    @Override
    public String quote(String identifier) {
        return Identifiers.quote(identifier, '"');
    }

    private String qualified(String schemaDotTable) {
        List<String> parts = Identifiers.parseQualified("heartbeatTable", schemaDotTable);
        return parts.size() == 1 ? quote(parts.get(0)) : quote(parts.get(0)) + "." + quote(parts.get(1));
    }

    @Override
    public void applyProbeTimeouts(Connection probe, Duration timeout) throws SQLException {
        // statement_timeout also bounds lock waits, so a probe stuck behind a lock ends as 57014 like any slow probe
        try (PreparedStatement ps = probe.prepareStatement("select set_config('statement_timeout', ?, false)")) {
            ps.setString(1, timeout.toMillis() + "ms");
            ps.execute();
        }
    }

    @Override
    public void resetProbeTimeouts(Connection probe) throws SQLException {
        try (Statement st = probe.createStatement()) {
            st.execute("reset statement_timeout; reset plan_cache_mode");
        }
    }

    @Override
    public String currentSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select coalesce(current_schema(), 'public')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Override
    public long sessionId(Connection c) throws SQLException {
        // pgjdbc knows its backend's pid from the start-up handshake: no round trip (also through a pool's proxy)
        Optional<Long> known = PgjdbcPid.of(c);
        if (known.isPresent()) {
            return known.get();
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** {@code PGConnection.getBackendPID()}, reached by reflection: the core does not depend on a JDBC driver. */
    private static final class PgjdbcPid {
        private static final Class<?> TYPE;
        private static final java.lang.reflect.Method PID;

        static {
            Class<?> type = null;
            java.lang.reflect.Method pid = null;
            try {
                type = Class.forName("org.postgresql.PGConnection", false, PostgresDialect.class.getClassLoader());
                pid = type.getMethod("getBackendPID");
            } catch (ReflectiveOperationException | LinkageError e) {
                type = null;
            }
            TYPE = type;
            PID = pid;
        }

        static Optional<Long> of(Connection c) {
            if (TYPE == null) {
                return Optional.empty();
            }
            try {
                if (c.isWrapperFor(TYPE)) {
                    int pid = (Integer) PID.invoke(c.unwrap(TYPE));
                    return pid > 0 ? Optional.of((long) pid) : Optional.empty();
                }
            } catch (SQLException | ReflectiveOperationException | RuntimeException e) {
                // a wrapper that cannot unwrap: ask the server
            }
            return Optional.empty();
        }
    }

    @Override
    public Optional<String> missingMonitoringPrivilege(Connection probe) throws SQLException {
        try (PreparedStatement st = probe.prepareStatement(
                "select current_user, r.rolsuper or pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')"
                        + " from pg_roles r where r.rolname = current_user"); ResultSet rs = st.executeQuery()) {
            return privilege(rs, 1);
        }
    }

    /** The probe timeout and the privilege check in one round trip. */
    @Override
    public Optional<String> prepareProbe(Connection probe, Duration timeout) throws SQLException {
        // the probes are catalog queries with array parameters: a generic plan serves every call, where custom plans
        // re-planned the size probe at each call (0.8 ms of planning for 0.1 ms of execution)
        try (PreparedStatement ps = probe.prepareStatement("select set_config('statement_timeout', ?, false),"
                + " set_config('plan_cache_mode', 'force_generic_plan', false), current_user,"
                + " r.rolsuper or pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')"
                + " from (select 1) one left join pg_roles r on r.rolname = current_user")) {
            ps.setString(1, timeout.toMillis() + "ms");
            try (ResultSet rs = ps.executeQuery()) {
                return privilege(rs, 3);
            }
        }
    }

    private Optional<String> privilege(ResultSet rs, int first) throws SQLException {
        if (!rs.next() || rs.getObject(first + 1) == null) {
            return Optional.of("the probe role is not visible in pg_roles");
        }
        String role = rs.getString(first);
        if (rs.getBoolean(first + 1)) {
            return Optional.empty();
        }
        return Optional.of("role " + role + " cannot see other sessions or replication state (PostgreSQL returns NULLs"
                + " instead of an error); grant pg_monitor to " + role + ": GRANT pg_monitor TO " + quote(role) + ";");
    }

    @Override
    public List<ReplicaStatus> replicasSeenFromPrimary(Connection primary, Duration wait) throws SQLException {
        List<ReplicaStatus> out = new ArrayList<>();
        Map<String, Long> behindAtStart = new LinkedHashMap<>();
        Map<String, Long> reportedLag = new LinkedHashMap<>();
        String lsn;
        try (PreparedStatement st = primary.prepareStatement(
                "select coalesce(nullif(application_name, ''), client_addr::text, 'pid ' || pid) as name, state,"
                        + " (extract(epoch from replay_lag) * 1000)::bigint as replay_lag_ms,"
                        + " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint as behind_bytes,"
                        + " pg_current_wal_lsn()::text"
                        + " from pg_stat_replication order by 1"); ResultSet rs = st.executeQuery()) {
            lsn = null;
            while (rs.next()) {
                String name = rs.getString(1);
                String state = rs.getString(2);
                long lag = rs.getLong(3);
                boolean lagNull = rs.wasNull();
                long behind = rs.getLong(4);
                boolean behindNull = rs.wasNull();
                lsn = rs.getString(5);
                if (!"streaming".equals(state)) {
                    out.add(ReplicaStatus.broken(name, "pg_stat_replication", "standby " + name + " is not streaming (state "
                            + state + ")"));
                } else if (behindNull) {
                    out.add(ReplicaStatus.broken(name, "pg_stat_replication", "standby " + name
                            + " has reported no replay position yet, so its lag cannot be observed"));
                } else if (behind == 0) {
                    out.add(ReplicaStatus.lag(name, "pg_stat_replication", 0));
                } else {
                    behindAtStart.put(name, behind);
                    reportedLag.put(name, lagNull ? 0L : lag);
                }
            }
        }
        if (!behindAtStart.isEmpty()) {
            // replay_lag is NULL after idle periods and stale while replay is paused: measure instead how long each
            // standby takes to replay the WAL that existed when the check started, up to the wait budget
            Map<String, Long> caughtUp = awaitReplay(primary, lsn, behindAtStart.keySet(), wait);
            for (Map.Entry<String, Long> e : behindAtStart.entrySet()) {
                String name = e.getKey();
                Long took = caughtUp.get(name);
                long lag = Math.max(reportedLag.get(name), took == null ? wait.toMillis() + 1 : took);
                out.add(ReplicaStatus.lag(name, "pg_stat_replication", lag));
            }
        }
        return out;
    }

    private static Map<String, Long> awaitReplay(Connection primary, String lsn, Collection<String> names, Duration wait)
            throws SQLException {
        Map<String, Long> done = new LinkedHashMap<>();
        long start = System.nanoTime();
        long deadline = start + wait.toNanos();
        try (PreparedStatement ps = primary.prepareStatement(
                "select coalesce(nullif(application_name, ''), client_addr::text, 'pid ' || pid),"
                        + " replay_lsn >= ?::pg_lsn from pg_stat_replication")) {
            ps.setString(1, lsn);
            long pause = 100_000L;
            while (done.size() < names.size()) {
                try (ResultSet rs = ps.executeQuery()) {
                    long now = System.nanoTime();
                    while (rs.next()) {
                        if (names.contains(rs.getString(1)) && rs.getBoolean(2) && !done.containsKey(rs.getString(1))) {
                            done.put(rs.getString(1), (now - start) / 1_000_000);
                        }
                    }
                    if (now > deadline) {
                        break;
                    }
                }
                // a standby a few hundred microseconds behind is the common case between two tenants: poll soon, then
                // back off (0.1 ms doubling to 10 ms) so that a lagging standby is not polled thousands of times
                java.util.concurrent.locks.LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 10_000_000L);
                if (Thread.currentThread().isInterrupted()) {
                    throw new SQLException("interrupted while measuring replay lag", "57014");
                }
            }
        }
        return done;
    }

    @Override
    public Instant writeHeartbeat(Connection primary, String heartbeatTable) throws SQLException {
        String table = qualified(heartbeatTable);
        if (!heartbeatTablesReady.contains(heartbeatTable)) {
            try (Statement st = primary.createStatement()) {
                st.execute("create table if not exists " + table
                        + " (id integer primary key, beat timestamptz not null)");
            } catch (SQLException e) {
                throw new SQLException("heartbeat table " + heartbeatTable + " is missing and could not be created ("
                        + e.getMessage() + "); create it as: CREATE TABLE " + table
                        + " (id integer primary key, beat timestamptz not null) and grant INSERT, UPDATE, SELECT on it",
                        e.getSQLState(), e);
            }
            heartbeatTablesReady.add(heartbeatTable);
        }
        try (PreparedStatement ps = primary.prepareStatement("insert into " + table
                + " (id, beat) values (1, clock_timestamp()) on conflict (id) do update set beat = excluded.beat returning beat")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getTimestamp(1).toInstant();
            }
        }
    }

    @Override
    public ReplicaStatus readReplica(String name, Connection replica, String heartbeatTable, Instant beat, Duration wait)
            throws SQLException {
        try (Statement st = replica.createStatement(); ResultSet rs = st.executeQuery(
                "select pg_is_in_recovery(), (select status from pg_stat_wal_receiver limit 1)")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return ReplicaStatus.broken(name, "heartbeat", "replica " + name + " is not a standby (pg_is_in_recovery() = false)");
            }
            String receiver = rs.getString(2);
            if (!"streaming".equals(receiver)) {
                return ReplicaStatus.broken(name, "heartbeat", "replica " + name + " is not streaming (WAL receiver: "
                        + (receiver == null ? "not running" : receiver) + ")");
            }
        }
        String sql = "select beat, (extract(epoch from clock_timestamp() - beat) * 1000)::bigint from "
                + qualified(heartbeatTable) + " where id = 1";
        long start = System.nanoTime();
        long deadline = start + wait.toNanos();
        Timestamp wanted = Timestamp.from(beat);
        try (PreparedStatement ps = replica.prepareStatement(sql)) {
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        if (System.nanoTime() > deadline) {
                            return ReplicaStatus.broken(name, "heartbeat", "replica " + name
                                    + " has not replayed any heartbeat row yet, so its lag cannot be observed");
                        }
                    } else {
                        Timestamp seen = rs.getTimestamp(1);
                        long now = System.nanoTime();
                        if (!seen.before(wanted)) {
                            return ReplicaStatus.lag(name, "heartbeat", (now - start) / 1_000_000);
                        }
                        if (now > deadline) {
                            // the new beat did not arrive in time: the replica is at least this far behind
                            return ReplicaStatus.lag(name, "heartbeat", Math.max(rs.getLong(2), (now - start) / 1_000_000));
                        }
                    }
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for the heartbeat on replica " + name, "57014", e);
                }
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return ReplicaStatus.broken(name, "heartbeat", "heartbeat table " + heartbeatTable + " does not exist on replica "
                        + name + " (is it replicating this database?)");
            }
            throw e;
        }
    }

    @Override
    public List<SessionInfo> lockHolders(Connection probe, Collection<TableRef> tables, String defaultSchema,
                                         Collection<String> wholeSchemas, Collection<Long> excludedPids) throws SQLException {
        TableArrays refs = TableArrays.of(tables, defaultSchema);
        String sql = LOCK_ROWS + " and coalesce(l.pid, 0) <> all(?)"
                + " and ((n.nspname, t.relname) in (select s, r from unnest(?::text[], ?::text[]) as x(s, r))"
                + "      or n.nspname = any(?))"
                + " order by l.granted desc, a.xact_start nulls last, 1";
        List<SessionInfo> out = new ArrayList<>();
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            ps.setArray(1, array(probe, "int8", excludedPids.toArray()));
            ps.setArray(2, array(probe, "text", refs.schemas()));
            ps.setArray(3, array(probe, "text", refs.names()));
            ps.setArray(4, array(probe, "text", wholeSchemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long age = rs.getLong(3);
                    Optional<Long> ageOpt = rs.wasNull() ? Optional.empty() : Optional.of(age);
                    out.add(new SessionInfo(rs.getLong(1), nvl(rs.getString(2), "unknown"), ageOpt, rs.getString(4),
                            rs.getString(5), SessionInfo.truncate(rs.getString(6)), Optional.of(rs.getString(7)),
                            Optional.of(rs.getString(8)), rs.getBoolean(9)));
                }
            }
        }
        return out;
    }

    @Override
    public List<SessionInfo> oldTransactions(Connection probe, Duration maxAge, Collection<Long> excludedPids) throws SQLException {
        String sql = "select pid, coalesce(state, 'unknown'), (extract(epoch from clock_timestamp() - xact_start) * 1000)::bigint,"
                + " coalesce(application_name, ''), coalesce(usename::text, ''), coalesce(query, '')"
                + " from pg_stat_activity"
                + " where datname = current_database() and backend_type = 'client backend'"
                + " and xact_start < clock_timestamp() - make_interval(secs => ?)"
                // an 'idle' backend has no open transaction, whatever xact_start still shows: seen in benchmarks as a
                // pooled connection 'idle' for minutes with xact_start set, which blocked a whole tenant run
                + " and state is distinct from 'idle'"
                + " and pid <> pg_backend_pid() and pid <> all(?)"
                + " order by xact_start";
        List<SessionInfo> out = new ArrayList<>();
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            ps.setDouble(1, maxAge.toMillis() / 1000.0);
            ps.setArray(2, array(probe, "int8", excludedPids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new SessionInfo(rs.getLong(1), rs.getString(2), Optional.of(rs.getLong(3)), rs.getString(4),
                            rs.getString(5), SessionInfo.truncate(rs.getString(6)), Optional.empty(), Optional.empty(), true));
                }
            }
        }
        return out;
    }

    /** The lock-holder and old-transaction probes without their filters: two reads serve every schema of the run. */
    @Override
    public Optional<ActivitySnapshot> activitySnapshot(Connection probe) throws SQLException {
        long taker = sessionId(probe);
        long at = System.nanoTime();
        List<ActivitySnapshot.Lock> locks = new ArrayList<>();
        try (PreparedStatement st = probe.prepareStatement(
                LOCK_ROWS + " and n.nspname not in ('pg_catalog', 'information_schema')"
                        + " order by l.granted desc, a.xact_start nulls last, 1"); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                long age = rs.getLong(3);
                Optional<Long> ageOpt = rs.wasNull() ? Optional.empty() : Optional.of(age);
                locks.add(new ActivitySnapshot.Lock(rs.getString(10), rs.getString(11), new SessionInfo(rs.getLong(1),
                        nvl(rs.getString(2), "unknown"), ageOpt, rs.getString(4), rs.getString(5),
                        SessionInfo.truncate(rs.getString(6)), Optional.of(rs.getString(7)), Optional.of(rs.getString(8)),
                        rs.getBoolean(9))));
            }
        }
        List<SessionInfo> transactions = new ArrayList<>();
        try (PreparedStatement st = probe.prepareStatement(
                "select pid, coalesce(state, 'unknown'), (extract(epoch from clock_timestamp() - xact_start) * 1000)::bigint,"
                        + " coalesce(application_name, ''), coalesce(usename::text, ''), coalesce(query, '')"
                        + " from pg_stat_activity"
                        + " where datname = current_database() and backend_type = 'client backend'"
                        + " and xact_start is not null and state is distinct from 'idle' and pid <> pg_backend_pid()"
                        + " order by xact_start"); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                transactions.add(new SessionInfo(rs.getLong(1), rs.getString(2), Optional.of(rs.getLong(3)), rs.getString(4),
                        rs.getString(5), SessionInfo.truncate(rs.getString(6)), Optional.empty(), Optional.empty(), true));
            }
        }
        return Optional.of(new ActivitySnapshot(at, taker, locks, transactions));
    }

    @Override
    public IsolationLevel readIsolation(Connection session) throws SQLException {
        try (Statement st = session.createStatement(); ResultSet rs = st.executeQuery(
                "select current_setting('transaction_isolation')")) {
            rs.next();
            return IsolationLevel.parse(rs.getString(1));
        }
    }

    @Override
    public void setIsolation(Connection session, IsolationLevel level) throws SQLException {
        if (session.getAutoCommit()) {
            session.setTransactionIsolation(level.jdbcLevel());
        } else {
            // inside an open transaction only the following transactions can change level
            try (Statement st = session.createStatement()) {
                st.execute("set session characteristics as transaction isolation level " + level.sql());
            }
        }
    }

    @Override
    public Optional<Duration> readLockTimeout(Connection session) throws SQLException {
        try (Statement st = session.createStatement(); ResultSet rs = st.executeQuery(
                "select (extract(epoch from current_setting('lock_timeout')::interval) * 1000)::bigint")) {
            rs.next();
            long ms = rs.getLong(1);
            return lockBound(ms);
        }
    }

    /** A lock_timeout in milliseconds as a bound: 0 (no timeout) is none. */
    private static Optional<Duration> lockBound(long ms) {
        return ms <= 0 ? Optional.empty() : Optional.of(Duration.ofMillis(ms));
    }

    @Override
    public SessionBounds readSessionBounds(Connection session) throws SQLException {
        try (Statement st = session.createStatement(); ResultSet rs = st.executeQuery(
                "select current_setting('transaction_isolation'),"
                        + " (extract(epoch from current_setting('lock_timeout')::interval) * 1000)::bigint")) {
            rs.next();
            long ms = rs.getLong(2);
            return new SessionBounds(IsolationLevel.parse(rs.getString(1)),
                    lockBound(ms));
        }
    }

    @Override
    public void setMigrationTimeouts(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        try (PreparedStatement ps = session.prepareStatement(
                "select set_config('lock_timeout', ?, false), set_config('statement_timeout', ?, false)")) {
            ps.setString(1, lockTimeout.toMillis() + "ms");
            ps.setString(2, statementTimeout.toMillis() + "ms");
            ps.execute();
        }
    }

    /** Sets both timeouts and reads back the lock_timeout the server now has, in one statement. */
    @Override
    public Optional<Duration> setMigrationTimeoutsAndRead(Connection session, Duration lockTimeout, Duration statementTimeout)
            throws SQLException {
        // set_config returns the value now in force, in the server's own format ("3s")
        try (PreparedStatement ps = session.prepareStatement(
                "select (extract(epoch from set_config('lock_timeout', ?, false)::interval) * 1000)::bigint,"
                        + " set_config('statement_timeout', ?, false)")) {
            ps.setString(1, lockTimeout.toMillis() + "ms");
            ps.setString(2, statementTimeout.toMillis() + "ms");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long ms = rs.getLong(1);
                return lockBound(ms);
            }
        }
    }

    @Override
    public RecoveryPoint recoveryPoint(Connection probe, Duration maxArchiveAge) throws SQLException {
        String sql = "select current_setting('wal_level'), current_setting('archive_mode'),"
                + " current_setting('archive_command') <> '' and current_setting('archive_command') <> '(disabled)'"
                + "   or current_setting('archive_library', true) <> '',"
                + " s.archived_count, s.last_archived_wal, s.last_archived_time, s.failed_count, s.last_failed_wal,"
                + " s.last_failed_time, (extract(epoch from clock_timestamp() - s.last_archived_time) * 1000)::bigint"
                + " from pg_stat_archiver s";
        try (PreparedStatement st = probe.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            rs.next();
            String walLevel = rs.getString(1);
            String archiveMode = rs.getString(2);
            boolean archiverSet = rs.getBoolean(3);
            long archived = rs.getLong(4);
            String lastWal = rs.getString(5);
            Timestamp lastTime = rs.getTimestamp(6);
            long failed = rs.getLong(7);
            String failedWal = rs.getString(8);
            Timestamp failedTime = rs.getTimestamp(9);
            long ageMs = rs.getLong(10);
            List<String> facts = new ArrayList<>();
            facts.add("wal_level=" + walLevel);
            facts.add("archive_mode=" + archiveMode);
            facts.add("archived_count=" + archived);
            facts.add("last_archived_wal=" + nvl(lastWal, "none"));
            facts.add("last_archived_time=" + (lastTime == null ? "never" : lastTime.toInstant()));
            facts.add("failed_count=" + failed);
            if (failedTime != null) {
                facts.add("last_failed_wal=" + failedWal);
                facts.add("last_failed_time=" + failedTime.toInstant());
            }
            if ("minimal".equals(walLevel)) {
                return new RecoveryPoint(false, facts, "wal_level is minimal, so WAL cannot restore a base backup to a point"
                        + " in time; set wal_level = replica (needs a restart)");
            }
            if ("off".equals(archiveMode)) {
                return new RecoveryPoint(false, facts, "archive_mode is off, so no WAL is archived and there is no point-in-time"
                        + " recovery; set archive_mode = on (needs a restart) with an archive_command or archive_library");
            }
            if (!archiverSet) {
                return new RecoveryPoint(false, facts, "archive_mode is " + archiveMode + " but neither archive_command nor"
                        + " archive_library is set, so nothing is archived; configure one");
            }
            if (failedTime != null && (lastTime == null || failedTime.after(lastTime))) {
                return new RecoveryPoint(false, facts, "the WAL archiver is failing: last failure at " + failedTime.toInstant()
                        + " on " + failedWal + ", after the last success (" + (lastTime == null ? "never" : lastTime.toInstant())
                        + "); fix archive_command and check the server log");
            }
            if (lastTime == null) {
                return new RecoveryPoint(false, facts, "no WAL segment has been archived yet; check archive_command and run"
                        + " select pg_switch_wal() to archive the current segment");
            }
            if (ageMs > maxArchiveAge.toMillis()) {
                return new RecoveryPoint(false, facts, "the newest archived WAL is " + Durations.human(ageMs) + " old (limit "
                        + Durations.human(maxArchiveAge.toMillis()) + "); check the archiver or set archive_timeout");
            }
            return new RecoveryPoint(true, facts, "WAL archiving on (wal_level=" + walLevel + "), last segment archived "
                    + Durations.human(ageMs) + " ago, no failure since");
        }
    }

    @Override
    public TopologyInfo topology(Connection probe, String schema, Optional<String> tenantSchemaPattern) throws SQLException {
        // the schema's relations are found through pg_depend's index on the namespace, not by scanning pg_class:
        // pg_class grows (and bloats) with every tenant schema, and a scan of it made this step O(catalog) per tenant
        // (18.7 ms against 0.2 ms after 10,000 tenant schemas had been created and dropped)
        String sql = "with rels as (select c.oid, c.relrowsecurity, c.relforcerowsecurity from pg_depend d"
                + " join pg_class c on c.oid = d.objid"
                + " where d.refclassid = 'pg_namespace'::regclass and d.classid = 'pg_class'::regclass"
                + " and d.refobjid = (select oid from pg_namespace where nspname = ?) and c.relkind in ('r', 'p'))"
                + " select count(*),"
                + " count(*) filter (where exists (select 1 from pg_attribute a where a.attrelid = rels.oid"
                + "   and a.attname = 'tenant_id' and not a.attisdropped)),"
                + " count(*) filter (where relrowsecurity), count(*) filter (where relforcerowsecurity),"
                + " (select count(*) from pg_policy p where p.polrelid in (select oid from rels)),"
                + " case when ?::text is null then null else (select count(*) from pg_namespace where nspname like ?) end"
                + " from rels";
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            ps.setString(1, schema);
            ps.setString(2, tenantSchemaPattern.orElse(null));
            ps.setString(3, tenantSchemaPattern.orElse(null));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int tenants = rs.getInt(6);
                Optional<Integer> t = rs.wasNull() ? Optional.empty() : Optional.of(tenants);
                return new TopologyInfo(schema, rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getInt(5), t);
            }
        }
    }

    @Override
    public void resetMigrationSession(Connection session) throws SQLException {
        try (Statement st = session.createStatement()) {
            st.execute("reset lock_timeout; reset statement_timeout; reset search_path");
        }
    }

    @Override
    public void useSchema(Connection session, String schema) throws SQLException {
        try (Statement st = session.createStatement()) {
            st.execute("set search_path to " + quote(Identifiers.requireValidName("schema", schema)));
        }
    }

    @Override
    public boolean isLockTimeout(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && LOCK_NOT_AVAILABLE.equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static Array array(Connection c, String type, Object[] values) throws SQLException {
        return c.createArrayOf(type, values);
    }

    private static String nvl(String s, String dflt) {
        return s == null ? dflt : s;
    }

    /**
     * {@code pg_class.reltuples} when every (leaf) table was analyzed; {@code -1} means never analyzed (PostgreSQL
     * 14+), then the live-tuple count ({@code pg_stat_get_live_tuples}, what {@code pg_stat_user_tables.n_live_tup}
     * shows; the view itself aggregates every relation of the database, which made one probe cost O(catalog)), then
     * only {@code pg_total_relation_size}. A partitioned table
     * sums its partitions; an index stands for its table.
     */
    @Override
    public Map<TableRef, TableSize> tableSizes(Connection probe, Collection<TableRef> relations, String defaultSchema)
            throws SQLException {
        Map<TableRef, TableSize> out = new LinkedHashMap<>();
        if (relations.isEmpty()) {
            return out;
        }
        TableArrays refs = TableArrays.of(relations, defaultSchema);
        // names resolved by to_regclass (an index to its table) and sizes read per table: cheap to plan, which matters
        // because every CREATE SCHEMA invalidates every cached plan (a tenant run plans its probes again each time);
        // partitioned tables are summed over their partitions in a second query, only when there are any. pg_class is
        // reached through a lateral lookup by oid, so it is always its index: a plain join let the planner hash all of
        // pg_class when its statistics were stale (autovacuum off, thousands of tenant tables): O(catalog) per probe
        String sql = "select u.s, u.r, tn.nspname, t.relname, t.relkind = 'p', t.oid,"
                + " case when t.reltuples >= 0 then t.reltuples::bigint end,"
                + " t.reltuples < 0 and t.relkind in ('r', 'm'), pg_stat_get_live_tuples(t.oid), pg_total_relation_size(t.oid)"
                + " from unnest(?::text[], ?::text[]) as u(s, r)"
                + " cross join lateral (select to_regclass(format('%I.%I', u.s, u.r)) as rel) x"
                + " join lateral (select * from pg_class c"
                + "   where c.oid = coalesce((select i.indrelid from pg_index i where i.indexrelid = x.rel), x.rel)) t on true"
                + " join pg_namespace tn on tn.oid = t.relnamespace"
                + " where t.relkind in ('r', 'p', 'm')";
        List<Object[]> rows = new ArrayList<>();
        List<Long> partitioned = new ArrayList<>();
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            ps.setArray(1, array(probe, "text", refs.schemas()));
            ps.setArray(2, array(probe, "text", refs.names()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long tuples = rs.getLong(7);
                    boolean tuplesKnown = !rs.wasNull();
                    rows.add(new Object[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBoolean(5),
                            rs.getLong(6), tuplesKnown ? tuples : null, rs.getBoolean(8), rs.getLong(9), rs.getLong(10)});
                    if (rs.getBoolean(5)) {
                        partitioned.add(rs.getLong(6));
                    }
                }
            }
        }
        Map<Long, Object[]> trees = partitioned.isEmpty() ? Map.of() : partitionTotals(probe, partitioned);
        for (Object[] r : rows) {
            Object[] total = (Boolean) r[4] ? trees.get((Long) r[5]) : null;
            Long tuples = total != null ? (Long) total[0] : (Long) r[6];
            boolean neverAnalyzed = total != null ? (Boolean) total[1] : (Boolean) r[7];
            long live = total != null ? (Long) total[2] : (Long) r[8];
            long bytes = total != null ? (Long) total[3] : (Long) r[9];
            TableRef asked = TableRef.of((String) r[0], (String) r[1]);
            TableRef table = TableRef.of((String) r[2], (String) r[3]);
            out.put(asked, tableSize(table, tuples, neverAnalyzed, live, bytes));
        }
        return out;
    }

    /** A partitioned table's tuples, never-analyzed flag, live tuples and bytes, summed over its leaf partitions. */
    private static Map<Long, Object[]> partitionTotals(Connection probe, List<Long> oids) throws SQLException {
        Map<Long, Object[]> out = new LinkedHashMap<>();
        // the partitions by oid through pg_class's index: a join to pg_partition_tree's rows made the planner scan all
        // of pg_class (5 ms per call on a catalog of 40,000 relations)
        String sql = "select x.oid, (sum(p.reltuples) filter (where p.reltuples >= 0))::bigint,"
                + " coalesce(bool_or(p.reltuples < 0 and p.relkind in ('r', 'm')), false),"
                + " coalesce(sum(pg_stat_get_live_tuples(p.oid)), 0)::bigint, coalesce(sum(pg_total_relation_size(p.oid)), 0)::bigint"
                + " from unnest(?::oid[]) as x(oid)"
                // leaves only: an analyzed partitioned parent already counts every row of its tree in reltuples
                + " join pg_class p on p.oid = any(array(select relid from pg_partition_tree(x.oid) where isleaf))"
                + " group by x.oid";
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            ps.setArray(1, array(probe, "int8", oids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long tuples = rs.getLong(2);
                    Long t = rs.wasNull() ? null : tuples;
                    out.put(rs.getLong(1), new Object[] {t, rs.getBoolean(3), rs.getLong(4), rs.getLong(5)});
                }
            }
        }
        return out;
    }

    private static TableSize tableSize(TableRef table, Long tuples, boolean neverAnalyzed, long live, long bytes) {
        if (tuples != null && !neverAnalyzed) {
            return new TableSize(table, OptionalLong.of(tuples), bytes, "pg_class.reltuples");
        }
        if (live > 0) {
            return new TableSize(table, OptionalLong.of(live), bytes, "pg_stat_user_tables.n_live_tup; reltuples = -1, never analyzed");
        }
        return new TableSize(table, OptionalLong.empty(), bytes, "pg_total_relation_size; never analyzed, no live-tuple count yet");
    }

    @Override
    public Map<TableRef, Map<String, String>> columnTypes(Connection probe, Collection<TableRef> tables, String defaultSchema)
            throws SQLException {
        Map<TableRef, Map<String, String>> out = new LinkedHashMap<>();
        if (tables.isEmpty()) {
            return out;
        }
        TableArrays refs = TableArrays.of(tables, defaultSchema);
        String sql = "select x.s, x.r, a.attname, format_type(a.atttypid, a.atttypmod)"
                + " from unnest(?::text[], ?::text[]) as x(s, r)"
                + " join pg_namespace n on n.nspname = x.s"
                + " join pg_class c on c.relnamespace = n.oid and c.relname = x.r and c.relkind in ('r', 'p', 'm')"
                + " join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped"
                + " order by 1, 2, a.attnum";
        try (PreparedStatement ps = probe.prepareStatement(sql)) {
            ps.setArray(1, array(probe, "text", refs.schemas()));
            ps.setArray(2, array(probe, "text", refs.names()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(TableRef.of(rs.getString(1), rs.getString(2)), k -> new LinkedHashMap<>())
                            .put(rs.getString(3), rs.getString(4));
                }
            }
        }
        return out;
    }

    /** Tables as two parallel arrays (schema resolved against the default, name) for {@code unnest(?::text[], ?::text[])}. */
    private record TableArrays(Object[] schemas, Object[] names) {
        static TableArrays of(Collection<TableRef> tables, String defaultSchema) {
            Object[] schemas = new Object[tables.size()];
            Object[] names = new Object[tables.size()];
            int i = 0;
            for (TableRef t : tables) {
                schemas[i] = t.schemaOr(defaultSchema);
                names[i++] = t.name();
            }
            return new TableArrays(schemas, names);
        }
    }
}

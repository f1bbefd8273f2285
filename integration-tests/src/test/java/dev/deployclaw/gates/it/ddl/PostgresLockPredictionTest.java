package dev.deployclaw.gates.it.ddl;

import dev.deployclaw.gates.core.ddl.ColumnCatalog;
import dev.deployclaw.gates.core.ddl.LockMode;
import dev.deployclaw.gates.core.ddl.StatementAnalysis;
import dev.deployclaw.gates.core.ddl.StatementAnalyzer;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.PostgresDialect;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real server judges the analyser: each corpus statement runs on PostgreSQL and the table locks its own backend
 * holds ({@code pg_locks}) and each table's {@code relfilenode} before/after are compared with the prediction.
 *
 * <p>Statements that can run in a transaction run inside one that is rolled back. Those that cannot
 * ({@code CONCURRENTLY}, {@code VACUUM}) are observed differently: other sessions hold ExclusiveLock on each
 * predicted table (it conflicts with every mode but the AccessShareLock VACUUM takes first to look the table up),
 * the statement queues behind them, and {@code pg_locks} shows the mode it waits for ({@code granted = false});
 * that table's holder lets go, and so on for the next table; the statement commits, the relfilenode is compared
 * and the fixture is rebuilt.
 */
class PostgresLockPredictionTest {
    static final String SCHEMA = "ddl_corpus";
    static final StatementAnalyzer ANALYZER = StatementAnalyzer.of(DatabaseKind.POSTGRESQL);

    /** At least 40 statements of the kinds the rules cover; each is judged by the server. */
    static final List<String> IN_TRANSACTION = List.of(
            "create index orders_status_idx on orders (status)",
            "create unique index orders_id2_idx on orders (id)",
            "drop index orders_note_idx",
            "alter table orders add column c1 text",
            "alter table orders add column c2 int default 0",
            "alter table orders add column c3 int not null default 42",
            "alter table orders add column c4 timestamptz default now()",
            "alter table orders add column c5 double precision default random()",
            "alter table orders add column c6 uuid default gen_random_uuid()",
            "alter table orders add column c7 bigserial",
            "alter table orders add column c8 int generated always as identity",
            "alter table orders add column c9 int generated always as (qty * 2) stored",
            "alter table orders add column c10 int references customers (id)",
            "alter table orders drop column note",
            "alter table orders alter column qty type bigint",
            "alter table orders alter column code type varchar(100)",
            "alter table orders alter column code set data type text",
            "alter table orders alter column amount type numeric(14,2)",
            "alter table orders alter column status type int using 0",
            "alter table orders alter column status set not null",
            "alter table orders alter column status drop not null",
            "alter table orders alter column status set default 'x'",
            "alter table orders alter column status drop default",
            "alter table orders alter column status set statistics 500",
            "alter table orders set (fillfactor = 70)",
            "alter table orders add constraint orders_customer_fk foreign key (customer_id) references customers (id)",
            "alter table orders add constraint orders_customer_fk foreign key (customer_id) references customers (id) not valid",
            "alter table orders add constraint orders_amount_check check (amount > 0)",
            "alter table orders add constraint orders_amount_check check (amount > 0) not valid",
            "alter table orders validate constraint orders_qty_check",
            "alter table orders add constraint orders_code_key unique (code)",
            "alter table events add primary key (id)",
            "alter table orders add constraint orders_code_uk unique using index orders_code_uidx",
            "alter table orders drop constraint orders_qty_check",
            "alter table orders rename column status to state",
            "alter table orders rename to orders_old",
            "alter table orders rename constraint orders_qty_check to orders_qty_ck",
            "alter table orders alter column code type varchar(100), add column c11 text",
            "alter table orders enable row level security",
            "alter table orders disable row level security",
            "alter table orders set unlogged",
            "alter table orders enable trigger all",
            "create policy orders_p on orders using (true)",
            "drop policy customers_p on customers",
            "create trigger orders_t before insert on orders for each row execute function ddl_trg()",
            "create table new_t (id int primary key, customer_id int references customers (id))",
            "drop table events",
            "truncate events",
            "delete from events where id < 10",
            "delete from events",
            "update events set payload = 'x' where id = 1",
            "update events set payload = 'x'",
            "insert into events (id) values (1)",
            "lock table events in share row exclusive mode",
            "lock table events",
            "cluster orders using orders_pkey",
            "reindex table orders",
            "reindex index orders_note_idx",
            "analyze events",
            "grant select on orders to public",
            "comment on table orders is 'x'",
            "comment on column orders.note is 'x'",
            "alter table measurements attach partition m_2025 for values from ('2025-01-01') to ('2026-01-01')",
            "alter table measurements detach partition measurements_2024",
            "create table measurements_2026 partition of measurements for values from ('2026-01-01') to ('2027-01-01')",
            "alter table events inherit parent_t",
            "refresh materialized view events_mv",
            "refresh materialized view concurrently events_mv",
            "alter table orders alter column code type varchar(20) using code",
            "alter table orders alter column code type varchar(20) using upper(code)",
            "alter table orders alter column customer_id type text",
            "alter table orders alter column code type varchar(10)",
            "alter table orders alter column note type varchar(50)",
            "alter table orders alter column note type varchar",
            "alter table orders alter column amount type numeric(10,3)");

    static final List<String> OUTSIDE_TRANSACTION = List.of(
            "create index concurrently orders_status_cidx on orders (status)",
            "drop index concurrently orders_note_idx",
            "reindex table concurrently orders",
            "vacuum events",
            "vacuum full events",
            "vacuum (full, analyze) orders",
            "alter table measurements detach partition measurements_2024 concurrently");

    static String url;

    @BeforeAll
    static void fixture() throws SQLException {
        url = TestDatabases.postgresUrl();
        rebuild();
    }

    @AfterAll
    static void dropFixture() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
        }
    }

    static void rebuild() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
            st.execute("create schema " + SCHEMA);
            st.execute("set search_path = " + SCHEMA);
            st.execute("create table customers (id int primary key, name text)");
            st.execute("create table orders (id int primary key, customer_id int, note text, amount numeric(10,2),"
                    + " code varchar(20), status text, qty int, constraint orders_qty_check check (qty >= 0) not valid)");
            st.execute("create index orders_note_idx on orders (note)");
            st.execute("create unique index orders_code_uidx on orders (code)");
            st.execute("create table events (id bigint, payload text, created_at timestamptz)");
            st.execute("insert into customers select g, 'c' || g from generate_series(1, 100) g");
            st.execute("insert into orders select g, g % 100 + 1, 'n' || g, g, 'c' || g, 's', g from generate_series(1, 1000) g");
            st.execute("insert into events select g, 'p', now() from generate_series(1, 1000) g");
            st.execute("alter table customers enable row level security");
            st.execute("create policy customers_p on customers using (true)");
            st.execute("create table measurements (id int, at date) partition by range (at)");
            st.execute("create table measurements_2024 partition of measurements for values from ('2024-01-01') to ('2025-01-01')");
            st.execute("create table m_2025 (id int, at date)");
            st.execute("create table parent_t (id bigint)");
            st.execute("create materialized view events_mv as select id from customers");
            st.execute("create unique index events_mv_id on events_mv (id)");
            st.execute("create function ddl_trg() returns trigger language plpgsql as $$ begin return new; end $$");
        }
    }

    @Test
    void theCorpusHasAtLeastFortyStatements() {
        assertThat(IN_TRANSACTION.size() + OUTSIDE_TRANSACTION.size()).isGreaterThanOrEqualTo(40);
    }

    @TestFactory
    Stream<DynamicTest> predictedLockAndRewriteEqualWhatPostgresDidInsideARolledBackTransaction() {
        return IN_TRANSACTION.stream().map(sql -> DynamicTest.dynamicTest(sql, () -> {
            try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
                // the current column types from the catalog, as the ddl-risk gate reads them
                StatementAnalysis a = ANALYZER.analyze(sql, catalog(c));
                assertThat(a.understood()).as("understood: %s", a.notes()).isTrue();
                assertThat(a.canRunInTransaction()).isTrue();
                st.execute("set search_path = " + SCHEMA);
                c.setAutoCommit(false);
                Map<String, Long> before = relfilenodes(c);
                Map<String, String> predicted = predicted(c, a);
                Map<Long, String> oids = oids(c);
                st.execute(sql);
                Map<String, String> observed = ownLocks(c, oids);
                if (a.notes().stream().anyMatch(n -> n.contains("AccessShareLock"))) {
                    // the analysis says it does not predict the AccessShareLock on tables the statement only reads
                    observed.entrySet().removeIf(e -> !predicted.containsKey(e.getKey()) && e.getValue().equals("AccessShareLock"));
                }
                Map<String, Long> after = relfilenodes(c);
                c.rollback();
                assertThat(observed).as("table locks held by the statement's own backend").isEqualTo(predicted);
                assertThat(rewritten(a, before, after)).as("relfilenode changed (rewrite)").isEqualTo(a.rewrites());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> predictedLockAndRewriteEqualWhatPostgresDidForStatementsThatCannotRunInATransaction() {
        return OUTSIDE_TRANSACTION.stream().map(sql -> DynamicTest.dynamicTest(sql, () -> {
            StatementAnalysis a = ANALYZER.analyze(sql);
            assertThat(a.understood()).isTrue();
            assertThat(a.canRunInTransaction()).isFalse();
            try {
                try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
                    st.execute("set search_path = " + SCHEMA);
                    c.setAutoCommit(false);
                    assertThat(catchSql(() -> st.execute(sql))).as("refused inside a transaction block")
                            .hasValueSatisfying(state -> assertThat(state).isEqualTo("25001"));
                    c.rollback();
                }
                Map<String, String> predicted;
                Map<String, Long> before;
                try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
                    st.execute("set search_path = " + SCHEMA);
                    before = relfilenodes(c);
                    predicted = predicted(c, a);
                }
                // one holder per predicted table; each is let go once the statement queues for that table
                Map<String, String> observed = new TreeMap<>();
                Map<String, Connection> holders = new HashMap<>();
                try (Connection subject = TestDatabases.connect(url); Statement ss = subject.createStatement();
                     Connection observer = TestDatabases.connect(url)) {
                    for (String table : predicted.keySet()) {
                        Connection h = TestDatabases.connect(url);
                        holders.put(table, h);
                        h.setAutoCommit(false);
                        try (Statement hs = h.createStatement()) {
                            // EXCLUSIVE conflicts with every mode but AccessShareLock, which VACUUM takes first to look the table up
                            hs.execute("set lock_timeout = '5s'");
                            hs.execute("lock table only " + SCHEMA + "." + table + " in exclusive mode");
                        }
                    }
                    ss.execute("set search_path = " + SCHEMA);
                    long pid = pid(subject);
                    CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                        try {
                            ss.execute(sql);
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    try {
                        for (int i = 0; i < 400 && !run.isDone() && !holders.isEmpty(); i++) {
                            Map<String, String> waiting = waitingLocks(observer, pid);
                            for (Map.Entry<String, String> w : waiting.entrySet()) {
                                observed.putIfAbsent(w.getKey(), w.getValue());
                                Connection h = holders.remove(w.getKey());
                                if (h != null) {
                                    h.rollback();
                                    h.close();
                                }
                            }
                            Thread.sleep(25);
                        }
                    } finally {
                        for (Connection h : holders.values()) {
                            h.rollback();
                            h.close();
                        }
                    }
                    run.get(60, TimeUnit.SECONDS);
                }
                assertThat(observed).as("the lock the statement queued for").isEqualTo(predicted);
                Map<String, Long> after;
                try (Connection c = TestDatabases.connect(url)) {
                    after = relfilenodes(c);
                }
                assertThat(rewritten(a, before, after)).as("relfilenode changed (rewrite)").isEqualTo(a.rewrites());
            } finally {
                rebuild();
            }
        }));
    }

    static ColumnCatalog catalog(Connection c) throws SQLException {
        List<TableRef> tables = relfilenodes(c).keySet().stream().map(n -> TableRef.of(SCHEMA, n)).toList();
        return ColumnCatalog.of(new PostgresDialect().columnTypes(c, tables, SCHEMA), SCHEMA);
    }

    interface SqlAction {
        void run() throws SQLException;
    }

    static Optional<String> catchSql(SqlAction action) {
        try {
            action.run();
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of(e.getSQLState());
        }
    }

    static boolean rewritten(StatementAnalysis a, Map<String, Long> before, Map<String, Long> after) {
        for (TableRef t : a.locks().keySet()) {
            Long b = before.get(t.name());
            Long n = after.get(t.name());
            if (b != null && n != null && !b.equals(n)) {
                return true;
            }
        }
        return false;
    }

    /** Predicted lock per table name, the index's table resolved through the catalog. */
    static Map<String, String> predicted(Connection c, StatementAnalysis a) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        a.locks().forEach((t, m) -> out.put(t.name(), m.pgName()));
        if (a.namedIndex().isPresent()) {
            try (PreparedStatement ps = c.prepareStatement("select t.relname from pg_index i join pg_class ic on ic.oid ="
                    + " i.indexrelid join pg_class t on t.oid = i.indrelid where ic.relname = ?"
                    + " and ic.relnamespace = ?::regnamespace")) {
                ps.setString(1, a.namedIndex().get().name());
                ps.setString(2, SCHEMA);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("index %s exists", a.namedIndex().get()).isTrue();
                    LockMode m = a.indexTableLock().orElseThrow();
                    out.merge(rs.getString(1), m.pgName(), (x, y) -> LockMode.parse(x).max(LockMode.parse(y)).pgName());
                }
            }
        }
        return out;
    }

    /** Table name (as before the statement, by oid) → relfilenode. */
    static Map<String, Long> relfilenodes(Connection c) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select relname, relfilenode from pg_class where relnamespace ="
                + " ?::regnamespace and relkind in ('r', 'p', 'm')")) {
            ps.setString(1, SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /** The strongest lock this backend holds on each table of the schema, keyed by the table's name before the statement. */
    static Map<String, String> ownLocks(Connection c, Map<Long, String> tablesBefore) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("select l.relation::bigint, c.relname, c.relkind, c.relnamespace ="
                + " ?::regnamespace, l.mode from pg_locks l left join pg_class c on c.oid = l.relation"
                + " where l.pid = pg_backend_pid() and l.locktype = 'relation'")) {
            ps.setString(1, SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // by oid: a dropped or renamed table keeps the name it had before the statement
                    String name = tablesBefore.get(rs.getLong(1));
                    if (name == null && rs.getBoolean(4) && "rpm".contains(String.valueOf(rs.getString(3)))) {
                        name = rs.getString(2);
                    }
                    if (name != null) {
                        out.merge(name, rs.getString(5), (x, y) -> LockMode.parse(x).max(LockMode.parse(y)).pgName());
                    }
                }
            }
        }
        return out;
    }

    static Map<Long, String> oids(Connection c) throws SQLException {
        Map<Long, String> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select oid::bigint, relname from pg_class where relnamespace ="
                + " ?::regnamespace and relkind in ('r', 'p', 'm')")) {
            ps.setString(1, SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    static Map<String, String> waitingLocks(Connection observer, long pid) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement ps = observer.prepareStatement("select c.relname, l.mode from pg_locks l join pg_class c"
                + " on c.oid = l.relation where l.pid = ? and not l.granted and l.locktype = 'relation'")) {
            ps.setLong(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    static long pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

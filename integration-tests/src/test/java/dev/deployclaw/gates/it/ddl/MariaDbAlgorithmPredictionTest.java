package dev.deployclaw.gates.it.ddl;

import dev.deployclaw.gates.core.ddl.ColumnCatalog;
import dev.deployclaw.gates.core.ddl.MySqlAlgorithm;
import dev.deployclaw.gates.core.ddl.ServerVersion;
import dev.deployclaw.gates.core.ddl.StatementAnalysis;
import dev.deployclaw.gates.core.ddl.StatementAnalyzer;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real MariaDB judges the predicted online-DDL algorithm: each statement is tried with every rung of the
 * ladder, least locking first ({@code ALGORITHM=INSTANT}, {@code NOCOPY, LOCK=NONE}, {@code INPLACE, LOCK=NONE},
 * {@code INPLACE, LOCK=SHARED}, {@code COPY}) on a freshly built table; the server refuses the rungs it cannot do,
 * and the first it accepts must be the predicted one. ({@code DROP INDEX … ON} takes no ALGORITHM clause on
 * MariaDB 10.11, a syntax error: its equivalent {@code ALTER TABLE … DROP INDEX} is in the corpus instead.)
 */
class MariaDbAlgorithmPredictionTest {
    static final String DB = "ddl_my_corpus";

    static final List<String> CORPUS = List.of(
            "alter table t add column x int",
            "alter table t add column x int first",
            "alter table t add column x int after a",
            "alter table t add column x int not null default 0",
            "alter table t add column x int as (a + 1) stored",
            "alter table t drop column c",
            "alter table t rename column c to c2",
            "alter table t modify c bigint",
            "alter table t modify b varchar(40)",
            "alter table t modify b varchar(100)",
            "alter table t modify b varchar(10)",
            "alter table t modify a int not null",
            "alter table t modify d int null",
            "alter table t modify d int not null default 5",
            "alter table t change a a2 int",
            "alter table t modify b varchar(20) comment 'x' after d",
            "alter table t modify b text",
            "alter table t modify c int unsigned",
            "alter table t alter column a set default 5",
            "alter table t alter column a drop default",
            "alter table t add index a_idx (a)",
            "create index a_idx on t (a)",
            "alter table t add unique key c_uk (c)",
            "alter table t drop index b_idx",
            "alter table t rename index b_idx to b_idx2",
            "alter table t add fulltext index ft (b)",
            "alter table t drop foreign key t_fk",
            "alter table t add constraint t_fk2 foreign key (c) references p (id)",
            "alter table t add constraint chk2 check (c > 0)",
            "alter table t drop constraint t_chk",
            "alter table t engine = InnoDB",
            "alter table t force",
            "alter table t convert to character set latin1",
            "alter table t rename to t2",
            "alter table t comment = 'x'",
            "alter table np add primary key (id)",
            "alter table np2 drop primary key",
            "alter table t drop primary key, add primary key (id, d)",
            "alter table t auto_increment = 1000");

    static String url;
    static ServerVersion version;

    @BeforeAll
    static void server() throws SQLException {
        url = TestDatabases.mariadbUrl();
        try (Connection c = TestDatabases.connect(url)) {
            version = ServerVersion.parse(c.getMetaData().getDatabaseProductVersion());
        }
    }

    @AfterAll
    static void drop() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop database if exists " + DB);
        }
    }

    static void rebuild(Statement st) throws SQLException {
        st.execute("drop database if exists " + DB);
        st.execute("create database " + DB);
        st.execute("use " + DB);
        st.execute("create table p (id int primary key) engine = InnoDB");
        st.execute("create table t (id int primary key, a int, b varchar(20), c int, d int not null default 0, fk_id int,"
                + " key b_idx (b), constraint t_fk foreign key (fk_id) references p (id), constraint t_chk check (a >= 0))"
                + " engine = InnoDB default charset = utf8mb4");
        st.execute("create table np (id int not null, v int) engine = InnoDB");
        st.execute("create table np2 (id int not null primary key, v int) engine = InnoDB");
        st.execute("insert into p values (1), (2), (3)");
        st.execute("insert into t (id, a, b, c, d, fk_id) values (1, 1, 'x', 1, 1, 1), (2, 2, 'y', 2, 2, 2)");
        st.execute("insert into np values (1, 1), (2, 2)");
        st.execute("insert into np2 values (1, 1), (2, 2)");
    }

    /** Current column definitions as the gate would read them: COLUMN_TYPE, plus " not null" when not nullable. */
    static ColumnCatalog catalog(Connection c) throws SQLException {
        Map<TableRef, Map<String, String>> types = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME,"
                + " concat(COLUMN_TYPE, if(IS_NULLABLE = 'NO', ' not null', '')) from information_schema.COLUMNS"
                + " where TABLE_SCHEMA = '" + DB + "'")) {
            while (rs.next()) {
                types.computeIfAbsent(TableRef.of(rs.getString(1), rs.getString(2)), k -> new HashMap<>())
                        .put(rs.getString(3), rs.getString(4));
            }
        }
        return ColumnCatalog.of(types, DB);
    }

    static String withClause(String sql, MySqlAlgorithm rung) {
        if (sql.startsWith("create index") || sql.startsWith("drop index")) {
            return sql + " " + rung.clause().replace(",", "");
        }
        return sql + ", " + rung.clause();
    }

    @TestFactory
    Stream<DynamicTest> predictedAlgorithmIsTheLeastLockingOneMariaDbAccepts() {
        return CORPUS.stream().map(sql -> DynamicTest.dynamicTest(sql, () -> {
            StatementAnalysis a;
            try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
                rebuild(st);
                a = StatementAnalyzer.of(DatabaseKind.MARIADB, version).analyze(sql, catalog(c));
            }
            assertThat(a.understood()).as("understood: %s", a.notes()).isTrue();
            assertThat(a.canRunInTransaction()).as("DDL commits on its own").isFalse();
            List<String> refusals = new ArrayList<>();
            Optional<MySqlAlgorithm> accepted = Optional.empty();
            try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
                for (MySqlAlgorithm rung : MySqlAlgorithm.values()) {
                    rebuild(st);
                    try {
                        st.execute(withClause(sql, rung));
                        accepted = Optional.of(rung);
                        break;
                    } catch (SQLException e) {
                        refusals.add(rung + ": " + e.getMessage());
                    }
                }
            }
            assertThat(accepted).as("refused: %s", refusals).isPresent();
            assertThat(a.algorithm()).as("server refused %s", refusals).isEqualTo(accepted);
        }));
    }
}

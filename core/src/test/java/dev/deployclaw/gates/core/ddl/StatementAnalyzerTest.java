package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class StatementAnalyzerTest {
    private final StatementAnalyzer pg = StatementAnalyzer.of(DatabaseKind.POSTGRESQL);
    private final StatementAnalyzer maria = StatementAnalyzer.of(DatabaseKind.MARIADB, ServerVersion.parse("10.11.6-MariaDB"));

    @Test
    void readsTheIdiomsJSqlParserRejects() {
        for (String sql : List.of(
                "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) NOT VALID",
                "ALTER TABLE orders ALTER COLUMN code SET DATA TYPE text",
                "DROP INDEX CONCURRENTLY orders_idx",
                "REINDEX TABLE orders",
                "LOCK TABLE orders IN SHARE MODE",
                "VACUUM FULL orders")) {
            assertThat(pg.analyze(sql).understood()).as(sql).isTrue();
        }
        assertThat(maria.analyze("ALTER TABLE t DROP FOREIGN KEY t_fk").algorithm()).contains(MySqlAlgorithm.INSTANT);
        assertThat(maria.analyze("OPTIMIZE TABLE t").kind()).isEqualTo(StatementKind.OPTIMIZE_TABLE);
    }

    @Test
    void aDoBlockIsNotUnderstoodBecauseItsCodeCannotBeSeen() {
        StatementAnalysis a = pg.analyze("DO $$ BEGIN EXECUTE 'drop table x'; END $$");
        assertThat(a.understood()).isFalse();
        assertThat(a.kind()).isEqualTo(StatementKind.OPAQUE);
    }

    @Test
    void aQueryThatWritesIsNotTakenForAPlainSelect() {
        assertThat(pg.analyze("with d as (delete from t returning *) select count(*) from d").understood()).isFalse();
        assertThat(pg.analyze("select * into t2 from t").understood()).isFalse();
        assertThat(pg.analyze("select set_config('search_path', 'app', false)").understood()).isTrue();
    }

    @Test
    void anUnknownStatementIsNotUnderstood() {
        assertThat(pg.analyze("FROBNICATE orders").understood()).isFalse();
        assertThat(pg.analyze("ALTER TABLE orders FROBNICATE").understood()).isFalse();
    }

    @Test
    void predictsLockRewriteAndTransactionForCreateIndex() {
        StatementAnalysis a = pg.analyze("create index i on app.orders (status)");
        assertThat(a.locks()).containsEntry(TableRef.of("app", "orders"), LockMode.SHARE);
        assertThat(a.rewrites()).isFalse();
        assertThat(a.scansUnderLock()).isTrue();
        StatementAnalysis c = pg.analyze("create index concurrently i on orders (status)");
        assertThat(c.locks()).containsEntry(TableRef.of(null, "orders"), LockMode.SHARE_UPDATE_EXCLUSIVE);
        assertThat(c.canRunInTransaction()).isFalse();
    }

    @Test
    void aNonNullDefaultRewritesBeforePostgres11Only() {
        String sql = "alter table t add column c int default 0";
        assertThat(StatementAnalyzer.of(DatabaseKind.POSTGRESQL, ServerVersion.parse("10.5")).analyze(sql).rewrites()).isTrue();
        assertThat(pg.analyze(sql).rewrites()).isFalse();
        assertThat(pg.analyze("alter table t add column c uuid default my_func()").rewrites())
                .as("unknown volatility is assumed volatile").isTrue();
    }

    @Test
    void mysqlAddColumnIsInstantFromTheVersionThatAllowsIt() {
        String sql = "alter table t add column x int after a";
        assertThat(StatementAnalyzer.of(DatabaseKind.MYSQL, ServerVersion.parse("8.0.20")).analyze(sql).algorithm())
                .contains(MySqlAlgorithm.INPLACE_LOCK_NONE);
        assertThat(StatementAnalyzer.of(DatabaseKind.MYSQL, ServerVersion.parse("8.0.29")).analyze(sql).algorithm())
                .contains(MySqlAlgorithm.INSTANT);
        assertThat(StatementAnalyzer.of(DatabaseKind.MYSQL, ServerVersion.parse("8.0.36")).analyze("alter table t add index i (a)")
                .algorithm()).as("MySQL has no NOCOPY").contains(MySqlAlgorithm.INPLACE_LOCK_NONE);
    }

    @Test
    void mysqlAlgorithmsFollowTheOnlineDdlTables() {
        StatementAnalyzer my80 = StatementAnalyzer.of(DatabaseKind.MYSQL, ServerVersion.parse("8.0.27"));
        StatementAnalyzer my84 = StatementAnalyzer.of(DatabaseKind.MYSQL, ServerVersion.parse("8.4.0"));
        assertThat(my80.analyze("alter table t rename column a to b").algorithm()).contains(MySqlAlgorithm.INPLACE_LOCK_NONE);
        assertThat(my84.analyze("alter table t rename column a to b").algorithm()).contains(MySqlAlgorithm.INSTANT);
        assertThat(my84.analyze("alter table t drop primary key").algorithm()).contains(MySqlAlgorithm.COPY);
        assertThat(my84.analyze("alter table t drop primary key, add primary key (id, a)").algorithm())
                .contains(MySqlAlgorithm.INPLACE_LOCK_NONE);
        assertThat(my84.analyze("alter table t add constraint f foreign key (a) references p (id)").algorithm())
                .contains(MySqlAlgorithm.COPY);
        assertThat(my84.analyze("alter table t add fulltext index ft (b)").algorithm()).contains(MySqlAlgorithm.INPLACE_LOCK_SHARED);
        assertThat(my84.analyze("alter table t add column x int").canRunInTransaction()).as("DDL commits").isFalse();
        assertThat(my84.analyze("delete from t where id = 1").canRunInTransaction()).isTrue();
    }

    @Test
    void modifyIsJudgedFromTheCurrentColumnDefinitionWhenTheCatalogIsKnown() {
        ColumnCatalog catalog = ColumnCatalog.of(java.util.Map.of(TableRef.of("app", "t"),
                java.util.Map.of("b", "varchar(20)", "d", "int(11) not null")), "app");
        StatementAnalyzer my = StatementAnalyzer.of(DatabaseKind.MYSQL, ServerVersion.parse("8.0.36"));
        assertThat(my.analyze("alter table t modify b varchar(60)", catalog).algorithm()).contains(MySqlAlgorithm.INPLACE_LOCK_NONE);
        assertThat(my.analyze("alter table t modify b varchar(100)", catalog).algorithm())
                .as("the length prefix grows from 1 to 2 bytes").contains(MySqlAlgorithm.COPY);
        assertThat(maria.analyze("alter table t modify d int null", catalog).algorithm()).contains(MySqlAlgorithm.INPLACE_LOCK_NONE);
        assertThat(maria.analyze("alter table t modify d int not null default 5", catalog).algorithm()).contains(MySqlAlgorithm.INSTANT);
        assertThat(maria.analyze("alter table t modify d bigint not null").algorithm()).as("no catalog: assumed").contains(MySqlAlgorithm.COPY);
    }

    @Test
    void parsesMariaDbVersionStringsWithTheReplicationPrefix() {
        assertThat(ServerVersion.parse("5.5.5-10.11.6-MariaDB-0+deb12u1")).isEqualTo(ServerVersion.of(10, 11, 6));
        assertThat(ServerVersion.parse("15.4 (Debian)")).isEqualTo(ServerVersion.of(15, 4, 0));
    }

    @Test
    void createTableRecordsTheNewTable() {
        StatementAnalysis a = pg.analyze("create table if not exists app.t (id int references app.p (id))");
        assertThat(a.createdTables()).containsExactly(TableRef.of("app", "t"));
        assertThat(a.locks()).containsEntry(TableRef.of("app", "p"), LockMode.SHARE_ROW_EXCLUSIVE);
        assertThat(a.namedIndex()).isEqualTo(Optional.empty());
    }
}

package dev.deployclaw.gates.core.ddl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class TouchedTablesFormsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ALTER TABLE users ADD COLUMN tenant_scope VARCHAR(255)|users",
            "alter table if exists only app.\"Users\" add column x int|app.Users",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx ON orders (customer_id)|orders",
            "create unique index on public.orders using btree (id)|public.orders",
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) NOT VALID|orders,customers",
            "drop table if exists a, b.c cascade|a,b.c",
            "TRUNCATE TABLE ONLY t1, t2|t1,t2",
            "lock table users in access exclusive mode|users",
            "VACUUM (FULL, ANALYZE) big|big",
            "REINDEX TABLE CONCURRENTLY big|big",
            "update users set a = 1|users",
            "delete from only users where id = 1|users",
            "insert into audit.log (a) values (1)|audit.log",
            "ALTER TABLE users RENAME TO members|users,members",
            "comment on column app.users.email is 'x'|app.users",
            "GRANT SELECT ON TABLE users TO PUBLIC|users",
            "RENAME TABLE a TO b|a,b",
            "create table t (id int references parent(id))|t,parent",
    })
    void findsTheTablesAStatementNames(String sql, String expected) {
        assertThat(TouchedTables.of(sql).orElseThrow().stream().map(TableRef::toString).collect(Collectors.joining(",")))
                .isEqualTo(expected);
    }

    @Test
    void saysItDoesNotKnowForFormsItCannotRead() {
        assertThat(TouchedTables.of("DO $$ BEGIN EXECUTE 'alter table x add y int'; END $$")).isEmpty();
        assertThat(TouchedTables.of("DROP INDEX CONCURRENTLY idx")).isEmpty();
        assertThat(TouchedTables.of("frobnicate the database")).isEmpty();
    }

    @Test
    void knowsStatementsThatTouchNoTable() {
        assertThat(TouchedTables.of("create schema tenant_1")).contains(java.util.Set.of());
        assertThat(TouchedTables.of("set lock_timeout = '3s'")).contains(java.util.Set.of());
    }
}

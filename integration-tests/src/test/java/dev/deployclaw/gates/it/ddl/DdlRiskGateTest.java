package dev.deployclaw.gates.it.ddl;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.ddl.SizeThresholds;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TableSize;
import dev.deployclaw.gates.core.dialect.PostgresDialect;
import dev.deployclaw.gates.core.gate.DdlRiskGate;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.Gates;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.RollbackValidationGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The ddl-risk gate on the real PostgreSQL: live sizes decide, overrides acknowledge, stale overrides are reported. */
class DdlRiskGateTest {
    static final String BIG = "ddl_gate_big";
    static final String EMPTY = "ddl_gate_empty";
    static String url;

    @BeforeAll
    static void tenants() throws SQLException {
        url = TestDatabases.postgresUrl();
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            for (String s : List.of(BIG, EMPTY)) {
                st.execute("drop schema if exists " + s + " cascade");
                st.execute("create schema " + s);
                st.execute("create table " + s + ".orders (id int primary key, status text)");
            }
            st.execute("insert into " + BIG + ".orders select g, 's' from generate_series(1, 5000) g");
            st.execute("analyze " + BIG + ".orders");
            st.execute("create table " + BIG + ".fresh (id int)");
            st.execute("insert into " + BIG + ".fresh select generate_series(1, 2500)");
            st.execute("select pg_stat_force_next_flush()");
        }
    }

    @AfterAll
    static void drop() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + BIG + " cascade");
            st.execute("drop schema if exists " + EMPTY + " cascade");
        }
    }

    static Verdict run(String schema, String sql) {
        AuditorConfig config = AuditorConfig.builder(TestDatabases.postgres())
                .ddlSizeThresholds(new SizeThresholds(100, 1000, 1L << 30, 1L << 32)).build();
        GateReport report = new SecurityAuditor(config, List.of(new DdlRiskGate()), List.of())
                .enforcePreMigrationGates(MigrationRequest.builder().schema(schema).operation(sql).build());
        return report.verdict(DdlRiskGate.ID).orElseThrow();
    }

    @Test
    void blocksCreateIndexOnATableAboveTheSizeThresholdNamingRuleTableRowsAndTheSafeAlternative() {
        Verdict v = run(BIG, "create index orders_status_idx on orders (status);");
        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("create-index-blocking").contains("ddl_gate_big.orders").contains("5,000 rows")
                .contains("pg_class.reltuples").contains("CREATE INDEX CONCURRENTLY");
    }

    @Test
    void letsTheSameMigrationPassOnAnEmptyTenant() {
        Verdict v = run(EMPTY, "create index orders_status_idx on orders (status);");
        assertThat(v.blocks()).as(v.detail()).isFalse();
    }

    @Test
    void anOverrideWithAReasonLetsThatStatementPassAndAppearsInTheReport() {
        Verdict v = run(BIG, "-- deployclaw:allow create-index-blocking built during the maintenance window\n"
                + "create index orders_status_idx on orders (status);");
        assertThat(v.outcome()).isEqualTo(Outcome.ACKNOWLEDGED);
        assertThat(v.detail()).contains("create-index-blocking").contains("built during the maintenance window");
    }

    @Test
    void aStaleOverrideIsReported() {
        Verdict v = run(EMPTY, "-- deployclaw:allow drop-column nothing is dropped\ncreate table t2 (id int);");
        assertThat(v.blocks()).isFalse();
        assertThat(v.detail()).contains("STALE OVERRIDE").contains("drop-column");
    }

    @Test
    void aStatementNobodyUnderstandsBlocks() {
        Verdict v = run(EMPTY, "DO $$ BEGIN EXECUTE 'drop table orders'; END $$;");
        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("unparseable-statement");
    }

    @Test
    void aTableCreatedEarlierInTheMigrationCountsAsEmpty() {
        Verdict v = run(BIG, "create table orders2 (id int); create index o2 on orders2 (id); alter table orders2 rename column id to id2;");
        assertThat(v.blocks()).as(v.detail()).isFalse();
    }

    @Test
    void aTypeChangeIsJudgedFromTheLiveColumnType() {
        Verdict rewrite = run(BIG, "set lock_timeout = '1s'; alter table orders alter column status type varchar(10);");
        assertThat(rewrite.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(rewrite.detail()).contains("column-type-change").contains("rewrites");
        Verdict coercible = run(BIG, "set lock_timeout = '1s'; alter table orders alter column status type varchar;");
        assertThat(coercible.blocks()).as(coercible.detail()).isFalse();
    }

    @Test
    void readsSizesInOneQueryWithTheNeverAnalyzedFallbackAndIndexesStandingForTheirTable() throws SQLException {
        try (Connection c = TestDatabases.connect(url)) {
            Map<TableRef, TableSize> sizes = new PostgresDialect().tableSizes(c, List.of(TableRef.of(null, "orders"),
                    TableRef.of(null, "fresh"), TableRef.of(null, "orders_pkey"), TableRef.of(null, "missing")), BIG);
            assertThat(sizes.get(TableRef.of(BIG, "orders")).rows()).hasValue(5000);
            assertThat(sizes.get(TableRef.of(BIG, "orders")).source()).isEqualTo("pg_class.reltuples");
            assertThat(sizes.get(TableRef.of(BIG, "fresh")).rows()).hasValue(2500);
            assertThat(sizes.get(TableRef.of(BIG, "fresh")).source()).contains("n_live_tup").contains("-1");
            assertThat(sizes.get(TableRef.of(BIG, "orders_pkey")).table()).isEqualTo(TableRef.of(BIG, "orders"));
            assertThat(sizes).doesNotContainKey(TableRef.of(BIG, "missing"));
        }
    }

    @Test
    void sumsAPartitionedTableOverItsPartitions() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            try {
                st.execute("create table " + BIG + ".parted (id int, k int) partition by range (k)");
                st.execute("create table " + BIG + ".parted_1 partition of " + BIG + ".parted for values from (0) to (10)");
                st.execute("create table " + BIG + ".parted_2 partition of " + BIG + ".parted for values from (10) to (20)");
                st.execute("insert into " + BIG + ".parted select g, g % 20 from generate_series(1, 3000) g");
                st.execute("analyze " + BIG + ".parted");
                Map<TableRef, TableSize> sizes = new PostgresDialect().tableSizes(c, List.of(TableRef.of(null, "parted"),
                        TableRef.of(null, "parted_1")), BIG);
                assertThat(sizes.get(TableRef.of(BIG, "parted")).rows()).hasValue(3000);
                assertThat(sizes.get(TableRef.of(BIG, "parted")).bytes()).isPositive();
                assertThat(sizes.get(TableRef.of(BIG, "parted_1")).rows()).hasValue(1500);
            } finally {
                st.execute("drop table if exists " + BIG + ".parted");
            }
        }
    }

    @Test
    void theGateIsRegisteredRightAfterRollbackValidation() {
        List<Gate> gates = Gates.defaults(AuditorConfig.builder(TestDatabases.postgres()).build());
        List<String> ids = gates.stream().map(g -> g.id().value()).toList();
        assertThat(ids.indexOf("ddl-risk")).isEqualTo(ids.indexOf(RollbackValidationGate.ID.value()) + 1);
    }
}

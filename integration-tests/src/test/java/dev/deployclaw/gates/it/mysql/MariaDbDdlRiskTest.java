package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.ddl.SizeThresholds;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The ddl-risk gate reads live table sizes on MariaDB (information_schema.TABLES) and judges the same ALTER by them. */
class MariaDbDdlRiskTest {
    private static final String BIG = "my_ddl_big";
    private static final String EMPTY = "my_ddl_empty";
    private static final String COPY_ALTER = "ALTER TABLE Events MODIFY COLUMN kind VARCHAR(10) NOT NULL";

    @BeforeAll
    static void databases() throws Exception {
        String big = MariaDb.freshDatabase(MariaDb.primaryUrl(), BIG,
                "CREATE TABLE Events (id INT PRIMARY KEY, kind VARCHAR(40))");
        MariaDb.exec(big, "INSERT INTO Events SELECT seq, 'k' FROM seq_1_to_5000", "ANALYZE TABLE Events");
        MariaDb.freshDatabase(MariaDb.primaryUrl(), EMPTY, "CREATE TABLE Events (id INT PRIMARY KEY, kind VARCHAR(40))");
    }

    @AfterAll
    static void drop() {
        MariaDb.dropDatabase(MariaDb.primaryUrl(), BIG);
        MariaDb.dropDatabase(MariaDb.primaryUrl(), EMPTY);
    }

    private static Verdict ddlRisk(String db) {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(MariaDb.dataSource(MariaDb.withDatabase(MariaDb.primaryUrl(), db)))
                .ddlSizeThresholds(new SizeThresholds(100, 1_000, 1L << 40, 1L << 41))
                .maxTransactionAge(Duration.ofHours(1)).build());
        return auditor.enforcePreMigrationGates(MigrationRequest.builder().schema(db).operation(COPY_ALTER, DatabaseKind.MARIADB)
                .rollbackStatement("ALTER TABLE Events MODIFY COLUMN kind VARCHAR(40)").build()).verdict(GateId.of("ddl-risk")).orElseThrow();
    }

    @Test
    void readsTheLiveRowEstimateAndBlocksOnlyTheBigTable() {
        Verdict big = ddlRisk(BIG);
        assertThat(big.outcome()).as(big.detail()).isEqualTo(Outcome.FAILED);
        assertThat(big.detail()).contains(BIG + ".Events has ≈").doesNotContain("sizes are not available");
        Verdict empty = ddlRisk(EMPTY);
        assertThat(empty.outcome()).as(empty.detail()).isNotIn(Outcome.FAILED, Outcome.ERROR);
    }
}

package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TableLockGateTest {
    private static final String SCHEMA = "fd_lock";
    private final String url = TestDatabases.postgresUrl();

    @BeforeEach
    void schema() throws Exception {
        PgSchemas.recreateWithUsers(url, SCHEMA);
    }

    @AfterEach
    void cleanup() throws Exception {
        PgSchemas.drop(url, SCHEMA);
    }

    private SecurityAuditor auditor(Duration maxTransactionAge) {
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .maxTransactionAge(maxTransactionAge).requirePointInTimeRecovery(false).build());
    }

    private static MigrationRequest addColumn() {
        return MigrationRequest.builder().schema(SCHEMA).operation("ALTER TABLE users ADD COLUMN tenant_scope VARCHAR(255)")
                .rollbackStatement("ALTER TABLE users DROP COLUMN tenant_scope").build();
    }

    @Test
    void blocksWhileASessionIdleInTransactionHoldsALockOnTheTouchedTableAndTheDdlIsNeverSent() throws Exception {
        List<String> before = PgSchemas.columns(url, SCHEMA, "users");
        try (LockHolder holder = LockHolder.postgres(url, "update " + SCHEMA + ".users set email = email where id = 1")) {
            GateReport report = auditor(Duration.ofMinutes(5)).enforcePreMigrationGates(addColumn());
            Verdict lock = report.verdict(TableLockGate.ID).orElseThrow();
            assertThat(lock.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(lock.detail()).contains("pid " + holder.pid()).contains("idle in transaction")
                    .contains("application 'lock-holder'").contains("RowExclusiveLock on " + SCHEMA + ".users")
                    .contains("update " + SCHEMA + ".users set email = email where id = 1");
            assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
            assertThat(report.approvedStatement()).isEmpty();
        }
        assertThat(PgSchemas.columns(url, SCHEMA, "users")).isEqualTo(before).doesNotContain("tenant_scope");
    }

    @Test
    void passesWhenOnlyAnotherTableIsLockedAndNoTransactionIsOld() throws Exception {
        try (var c = TestDatabases.connect(url); var st = c.createStatement()) {
            st.execute("create table " + SCHEMA + ".orders (id int)");
        }
        try (LockHolder holder = LockHolder.postgres(url, "insert into " + SCHEMA + ".orders values (1)")) {
            Verdict lock = auditor(Duration.ofMinutes(5)).enforcePreMigrationGates(addColumn()).verdict(TableLockGate.ID).orElseThrow();
            assertThat(lock.outcome()).as(lock.detail()).isEqualTo(Outcome.PASSED);
            assertThat(lock.detail()).contains(SCHEMA + ".users").contains("0 other sessions");
        }
    }

    @Test
    void blocksOnATransactionOlderThanMaxTransactionAgeEvenOnAnotherTable() throws Exception {
        try (var c = TestDatabases.connect(url); var st = c.createStatement()) {
            st.execute("create table " + SCHEMA + ".orders (id int)");
        }
        try (LockHolder holder = LockHolder.postgres(url, "insert into " + SCHEMA + ".orders values (1)")) {
            Thread.sleep(400); // let the transaction age past the 200 ms limit: a real old transaction
            Verdict lock = auditor(Duration.ofMillis(200)).enforcePreMigrationGates(addColumn()).verdict(TableLockGate.ID).orElseThrow();
            assertThat(lock.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(lock.detail()).contains("pid " + holder.pid()).contains("older than maxTransactionAge 200 ms");
        }
    }

    @Test
    void watchesEveryTableOfTheSchemaWhenAStatementsTablesCannotBeDetermined() throws Exception {
        try (LockHolder holder = LockHolder.postgres(url, "update " + SCHEMA + ".users set email = email where id = 2")) {
            MigrationRequest opaque = MigrationRequest.builder().schema(SCHEMA)
                    .operation("DO $$ BEGIN EXECUTE 'alter table users add column x int'; END $$")
                    .rollbackStatement("alter table users drop column x").build();
            Verdict lock = auditor(Duration.ofMinutes(5)).enforcePreMigrationGates(opaque).verdict(TableLockGate.ID).orElseThrow();
            assertThat(lock.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(lock.detail()).contains("pid " + holder.pid());
            assertThat(lock.evidence().get(0).name()).contains("every table of schema " + SCHEMA);
        }
    }
}

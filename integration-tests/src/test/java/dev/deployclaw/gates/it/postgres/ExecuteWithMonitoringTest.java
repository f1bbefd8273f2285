package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.ApprovedStatement;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.ExecutionResult;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.MigrationExecutionException;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExecuteWithMonitoringTest {
    private static final String SCHEMA = "fd_exec";
    private final String url = TestDatabases.postgresUrl();

    @BeforeEach
    void schema() throws Exception {
        PgSchemas.recreateWithUsers(url, SCHEMA);
        RollbackValidationGateTest.archiveCurrentSegment();
    }

    @AfterEach
    void cleanup() throws Exception {
        PgSchemas.drop(url, SCHEMA);
    }

    private SecurityAuditor auditor() {
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica(TestDatabases.PG_STANDBY_NAME, TestDatabases.postgresStandby())
                .maxLockWait(Duration.ofMillis(500)).build());
    }

    private static MigrationRequest addColumn() {
        return MigrationRequest.builder().schema(SCHEMA).operation("ALTER TABLE users ADD COLUMN tenant_scope VARCHAR(255)")
                .isolationLevel(IsolationLevel.SERIALIZABLE)
                .rollbackStatement("ALTER TABLE users DROP COLUMN tenant_scope").build();
    }

    @Test
    void allGatesHealthyGivesSafeToMigrateAndAppliesTheDdlWithTheLockTimed() throws Exception {
        SecurityAuditor auditor = auditor();
        GateReport report = auditor.enforcePreMigrationGates(addColumn());
        assertThat(report.decision()).as(report.toText()).isEqualTo(Decision.SAFE_TO_MIGRATE);
        assertThat(report.allGatesPassed()).isTrue();
        ApprovedStatement approved = report.approvedStatement().orElseThrow();
        ExecutionResult result = auditor.executeWithMonitoring(approved);
        assertThat(result.isolation()).isEqualTo(IsolationLevel.SERIALIZABLE);
        assertThat(result.lockTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(result.transactional()).isTrue();
        assertThat(result.statements()).singleElement().satisfies(s -> assertThat(s.lockWaitMs()).isPresent());
        assertThat(result.describe()).startsWith("Migration executed under SERIALIZABLE isolation with lock_timeout 500ms")
                .contains("Lock acquired in ");
        assertThat(PgSchemas.columns(url, SCHEMA, "users")).contains("tenant_scope");
    }

    @Test
    void aLockTakenAfterTheDecisionMakesTheDdlFailFastInsteadOfQueueing() throws Exception {
        SecurityAuditor auditor = auditor();
        GateReport report = auditor.enforcePreMigrationGates(addColumn());
        assertThat(report.decision()).as(report.toText()).isEqualTo(Decision.SAFE_TO_MIGRATE);
        try (LockHolder holder = LockHolder.postgres(url, "select * from " + SCHEMA + ".users where id = 1 for update")) {
            assertThatThrownBy(() -> auditor.executeWithMonitoring(report.approvedStatement().orElseThrow()))
                    .isInstanceOf(MigrationExecutionException.class)
                    .hasMessageContaining("could not get its lock within maxLockWait 500 ms (lock_timeout)")
                    .hasMessageContaining("nothing was applied")
                    .satisfies(e -> assertThat(((MigrationExecutionException) e).lockTimeout()).isTrue());
        }
        assertThat(PgSchemas.columns(url, SCHEMA, "users")).doesNotContain("tenant_scope");
    }

    @Test
    void aBlockedReportApprovesNothingToExecute() throws Exception {
        try (LockHolder holder = LockHolder.postgres(url, "update " + SCHEMA + ".users set email = email where id = 1")) {
            GateReport report = auditor().enforcePreMigrationGates(addColumn());
            assertThat(report.decision()).isEqualTo(Decision.BLOCKED);
            assertThat(report.approvedStatement()).isEmpty();
            assertThatThrownBy(() -> auditor().executeWithMonitoring(null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only a SAFE_TO_MIGRATE report gives one");
        }
    }
}

package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lock checks of many tenants answered from one read of {@code pg_locks} / {@code pg_stat_activity}: what the shared
 * read answers, when the server is read again, and what it cannot see (a lock taken after it).
 */
class SharedActivityTest {
    private static final String A = "fd_shared_a";
    private static final String B = "fd_shared_b";
    private final String url = TestDatabases.postgresUrl();

    @BeforeEach
    void schemas() throws Exception {
        PgSchemas.recreateWithUsers(url, A);
        PgSchemas.recreateWithUsers(url, B);
    }

    @AfterEach
    void cleanup() throws Exception {
        PgSchemas.drop(url, A);
        PgSchemas.drop(url, B);
    }

    private static SecurityAuditor auditor(Duration shared) {
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).requirePointInTimeRecovery(false)
                .maxTransactionAge(Duration.ofDays(1)).build()).withSharedActivity(shared);
    }

    private static Verdict tableLock(SecurityAuditor auditor, String schema) {
        GateReport r = auditor.enforcePreMigrationGates(MigrationRequest.builder().environmentOnly(true).schema(schema).build());
        return r.verdicts().stream().filter(v -> v.gate().value().equals("table-lock")).findFirst().orElseThrow();
    }

    @Test
    void oneReadAnswersTheChecksOfSeveralSchemasWhileItIsYoung() {
        SecurityAuditor auditor = auditor(Duration.ofMinutes(1));
        Verdict a = tableLock(auditor, A);
        Verdict b = tableLock(auditor, B);
        assertThat(a.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(b.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(b.detail()).contains("shared by this run's tenants");
        assertThat(b.evidence()).anyMatch(e -> e.name().equals("lock source") && String.valueOf(e.measured()).contains("activity snapshot"));
    }

    @Test
    void aHolderInTheSharedReadIsCheckedAgainOnTheServerAndBlocksWithItsPid() throws Exception {
        try (LockHolder holder = LockHolder.postgres(url, "update " + B + ".users set email = email")) {
            SecurityAuditor auditor = auditor(Duration.ofMinutes(1));
            assertThat(tableLock(auditor, A).outcome()).isEqualTo(Outcome.PASSED); // the read, with B's holder in it
            Verdict b = tableLock(auditor, B);
            assertThat(b.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(b.detail()).contains("pid " + holder.pid()).contains(B + ".users").doesNotContain("shared by");
        }
    }

    @Test
    void aLockTakenAfterTheSharedReadIsSeenOnceTheReadIsOlderThanItsMaximumAge() throws Exception {
        SecurityAuditor auditor = auditor(Duration.ofMillis(300));
        assertThat(tableLock(auditor, A).outcome()).isEqualTo(Outcome.PASSED);
        try (LockHolder holder = LockHolder.postgres(url, "update " + A + ".users set email = email")) {
            // within 300 ms the shared read stands (what covers this window is the migration session's lock_timeout);
            // after it, the next check reads the server and finds the holder
            Thread.sleep(400);
            Verdict v = tableLock(auditor, A);
            assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(v.detail()).contains("pid " + holder.pid());
        }
    }
}

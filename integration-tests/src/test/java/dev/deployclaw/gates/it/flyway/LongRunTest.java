package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.flyway.GateCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run longer than {@code maxTransactionAge}: V1 sleeps 1.5 s with the limit at 1 s, so any Flyway session left in
 * a transaction since the run began (its lock, its history) would be reported as an old transaction before V2.
 */
class LongRunTest {
    private static final PGSimpleDataSource ds = FlywayFixtures.dataSource("fw-longrun-test");

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemas(List.of("fw_long"));
    }

    @Test
    void flywaysOwnLockSessionDoesNotCountAsAnOldTransactionLaterInALongRun() throws Exception {
        FlywayFixtures.dropSchemas(List.of("fw_long"));
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).maxTransactionAge(Duration.ofSeconds(1)).build());
        int applied = GateCallback.register(FlywayFixtures.flyway(ds, "fw_long", "slow"), new GateCallback(auditor)).load()
                .migrate().migrationsExecuted;

        assertThat(applied).isEqualTo(2);
        assertThat(FlywayFixtures.history("fw_long")).containsExactly("1:true", "2:true");
    }
}

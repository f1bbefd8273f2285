package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL primary really restarted ({@code pg_ctlcluster … restart -m fast}) while the migrator is in the middle
 * of a tenant: after that tenant's V1 committed, just before its V2 runs on the same connection.
 */
class PrimaryRestartTest {
    private static final String PREFIX = "ev_rs_";
    private static final List<String> TENANTS = EvTenants.names(PREFIX, 5);
    private static final String VICTIM = PREFIX + "03";
    private static final Path CI_SCRIPT = Path.of("..", ".ci", "postgres.sh");

    @BeforeAll
    static void setUp() throws Exception {
        TestDatabases.postgresUrl();
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/bin/pg_ctlcluster")) && Files.exists(CI_SCRIPT),
                "needs the Debian cluster 15/main and .ci/postgres.sh on this machine");
        EvTenants.dropLike(PREFIX);
    }

    @AfterAll
    static void tearDown() throws Exception {
        // the standby reconnects by itself; the CI script makes sure it streams again before other tests run
        EvTenants.run("bash", CI_SCRIPT.toString());
        EvTenants.dropLike(PREFIX);
    }

    /** Restarts the primary once, before {@code version} of {@code schema} runs, on Flyway's own connection. */
    private static final class RestartPrimaryOnce implements Callback {
        private final String schema;
        private final String version;
        final AtomicBoolean done = new AtomicBoolean();

        RestartPrimaryOnce(String schema, String version) {
            this.schema = schema;
            this.version = version;
        }

        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.BEFORE_EACH_MIGRATE;
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            if (schema.equals(context.getConfiguration().getDefaultSchema()) && context.getMigrationInfo().getVersion() != null
                    && version.equals(context.getMigrationInfo().getVersion().getVersion()) && done.compareAndSet(false, true)) {
                try {
                    EvTenants.run("pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart", "-m", "fast");
                } catch (Exception e) {
                    throw new IllegalStateException("could not restart the primary", e);
                }
            }
        }

        @Override
        public String getCallbackName() {
            return "zz-restart-primary"; // after the gates: they pass, then the server goes away
        }
    }

    @Test
    void aPrimaryRestartMidTenantFailsThatTenantByNameLeavesItWholeAndTheReRunCompletes() throws Exception {
        PGSimpleDataSource ds = EvTenants.dataSource("ev-restart-test");
        RestartPrimaryOnce restart = new RestartPrimaryOnce(VICTIM, "2");
        RunReport first = TenantMigrator.builder(EvTenants.auditor(ds), EvTenants.engine(ds, "two", restart))
                .tenants(TenantSource.list(TENANTS)).failurePolicy(FailurePolicy.CONTINUE)
                .maxLagWait(Duration.ofSeconds(90)).lagPollInterval(Duration.ofMillis(500)).build().run();
        System.out.println(first.toText());

        assertThat(restart.done).isTrue();
        RunReport.TenantRun victim = first.tenant(VICTIM).orElseThrow();
        assertThat(victim.decision()).isEqualTo(TenantDecision.FAILED);
        assertThat(victim.detail()).containsIgnoringCase("connection");
        assertThat(first.tenants()).filteredOn(t -> !t.tenant().equals(VICTIM))
                .allSatisfy(t -> assertThat(t.decision()).as(t.tenant()).isEqualTo(TenantDecision.MIGRATED));
        for (String t : TENANTS) {
            EvTenants.assertWhole(t);
        }
        assertThat(EvTenants.history(VICTIM)).as("V1 committed before the restart, V2 never started").containsExactly("1:true");

        RunReport again = TenantMigrator.builder(EvTenants.auditor(ds), EvTenants.engine(ds, "two"))
                .tenants(TenantSource.list(TENANTS)).maxLagWait(Duration.ofSeconds(90)).build().run();
        assertThat(again.succeeded()).as(again.toText()).isTrue();
        assertThat(again.tenant(VICTIM).orElseThrow().decision()).isEqualTo(TenantDecision.MIGRATED);
        assertThat(again.count(TenantDecision.UP_TO_DATE)).isEqualTo(TENANTS.size() - 1);
        for (String t : TENANTS) {
            assertThat(EvTenants.history(t)).as(t).containsExactly("1:true", "2:true");
            EvTenants.assertWhole(t);
        }
    }
}

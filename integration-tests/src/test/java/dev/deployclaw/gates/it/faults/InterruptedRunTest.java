package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The thread running a TenantMigrator (parallelism 2) is interrupted by its executor's {@code shutdownNow()} while two
 * tenants are in flight: they finish, no further tenant starts, the report says so, and a re-run completes.
 */
class InterruptedRunTest {
    private static final String PREFIX = "ev_in_";
    private static final List<String> TENANTS = EvTenants.names(PREFIX, 10);
    private static final Set<String> HELD = Set.of(PREFIX + "03", PREFIX + "04");

    @BeforeAll
    static void setUp() throws Exception {
        EvTenants.dropLike(PREFIX);
    }

    @AfterAll
    static void tearDown() throws Exception {
        EvTenants.dropLike(PREFIX);
    }

    /** Holds the tenants in {@link #HELD} at the start of their migration until released: "in flight". */
    private static final class HoldInFlight implements Callback {
        final CountDownLatch reached = new CountDownLatch(HELD.size());
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean workerInterrupted = new AtomicBoolean();

        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.BEFORE_MIGRATE;
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            if (HELD.contains(context.getConfiguration().getDefaultSchema())) {
                reached.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    workerInterrupted.set(true);
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public String getCallbackName() {
            return "zz-hold-in-flight";
        }
    }

    @Test
    void anInterruptedRunFinishesTheTenantsInFlightStartsNoOtherAndTheReRunCompletes() throws Exception {
        PGSimpleDataSource ds = EvTenants.dataSource("ev-interrupt-test");
        HoldInFlight hold = new HoldInFlight();
        TenantMigrator migrator = TenantMigrator.builder(EvTenants.auditor(ds), EvTenants.engine(ds, "two", hold))
                .tenants(TenantSource.list(TENANTS)).parallelism(2).build();
        AtomicBoolean interruptKept = new AtomicBoolean();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        Future<RunReport> running = caller.submit(() -> {
            RunReport r = migrator.run();
            interruptKept.set(Thread.currentThread().isInterrupted());
            return r;
        });
        assertThat(hold.reached.await(60, TimeUnit.SECONDS)).as("two tenants in flight").isTrue();
        caller.shutdownNow(); // interrupts the thread inside run()
        Thread.sleep(500); // let run() see the interrupt before the held tenants go on (no assertion on time)
        hold.release.countDown();
        RunReport first = running.get(60, TimeUnit.SECONDS);
        System.out.println(first.toText());

        assertThat(interruptKept).as("run() returns with the thread's interrupt status kept").isTrue();
        assertThat(hold.workerInterrupted).as("the tenants in flight were not interrupted").isFalse();
        for (String t : HELD) {
            assertThat(first.tenant(t).orElseThrow().decision()).as(t).isEqualTo(TenantDecision.MIGRATED);
        }
        assertThat(first.count(TenantDecision.MIGRATED)).isEqualTo(4);
        assertThat(first.count(TenantDecision.NOT_STARTED)).isEqualTo(TENANTS.size() - 4);
        assertThat(first.tenants()).filteredOn(t -> t.decision() == TenantDecision.NOT_STARTED)
                .allSatisfy(t -> {
                    assertThat(t.detail()).contains("the run was interrupted");
                    assertThat(EvTenants.history(t.tenant())).as(t.tenant()).isEmpty();
                });
        for (String t : TENANTS) {
            EvTenants.assertWhole(t);
        }

        RunReport again = TenantMigrator.builder(EvTenants.auditor(ds), EvTenants.engine(ds, "two"))
                .tenants(TenantSource.list(TENANTS)).parallelism(2).build().run();
        assertThat(again.succeeded()).as(again.toText()).isTrue();
        assertThat(again.count(TenantDecision.UP_TO_DATE)).isEqualTo(4);
        assertThat(again.count(TenantDecision.MIGRATED)).isEqualTo(TENANTS.size() - 4);
        for (String t : TENANTS) {
            assertThat(EvTenants.history(t)).as(t).containsExactly("1:true", "2:true");
        }
    }
}

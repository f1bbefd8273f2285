package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.core.tenant.TenantState;
import dev.deployclaw.gates.flyway.FlywayEngine;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each worker of a run keeps one gates' probe from tenant to tenant (the between-tenant lag check and the tenant's own
 * gates use it) and gives it back when the run ends, instead of taking and preparing a probe twice per tenant.
 */
class WorkerProbeTest {
    private static final PGSimpleDataSource ds = FlywayFixtures.dataSource("fw-worker-probe-test");

    @BeforeEach
    void clean() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_wp\\_%");
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_wp\\_%");
    }

    /** Records the probe the migrator lends for each tenant, and the thread that migrated it. */
    private static final class RecordingEngine implements MigrationEngine {
        private final FlywayEngine delegate = FlywayEngine.builder(Flyway.configure().dataSource(ds)
                .locations("classpath:db/fw/five")).build();
        private final Map<String, GateSession> lent = new ConcurrentHashMap<>();
        private final Map<String, String> threads = new ConcurrentHashMap<>();

        @Override public String name() { return "flyway"; }
        @Override public TenantState inspect(Tenant tenant) { return delegate.inspect(tenant); }

        @Override
        public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor) {
            throw new AssertionError("the migrator should lend its worker's probe for tenant " + tenant.id());
        }

        @Override
        public MigrationResult migrate(Tenant tenant, SecurityAuditor auditor, GateSession session) {
            lent.put(tenant.id(), session);
            threads.put(tenant.id(), Thread.currentThread().getName() + "#" + Thread.currentThread().getId());
            return delegate.migrate(tenant, auditor, session);
        }
    }

    private static List<String> tenants(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "fw_wp_" + i).toList();
    }

    @Test
    void oneWorkerUsesOneProbeForEveryTenantAndGivesItBackWhenTheRunEnds() throws Exception {
        RecordingEngine engine = new RecordingEngine();
        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()), engine)
                .tenants(TenantSource.list(tenants(6))).build().run();

        assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(6);
        assertThat(engine.lent).hasSize(6);
        assertThat(engine.lent.values().stream().distinct()).hasSize(1);
        GateSession probe = engine.lent.values().iterator().next();
        assertThat(probe.toString()).as("given back at the end of the run").startsWith("GateSession{closed");
        // the lag checks between tenants ran on it too, and their readings stood for the tenants' own replica-lag gate
        assertThat(report.tenants().subList(1, 6)).allSatisfy(t -> assertThat(t.reports()).anySatisfy(r -> assertThat(
                r.verdicts()).anySatisfy(v -> assertThat(v.detail()).contains("by the migrator's between-tenant check"))));
    }

    @Test
    void parallelWorkersEachKeepTheirOwnProbe() throws Exception {
        RecordingEngine engine = new RecordingEngine();
        RunReport report = TenantMigrator.builder(new SecurityAuditor(FlywayFixtures.config(ds).build()), engine)
                .tenants(TenantSource.list(tenants(8))).parallelism(2).build().run();

        assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(8);
        // the same worker thread always got the same probe, and two threads never shared one
        Map<String, GateSession> byThread = new ConcurrentHashMap<>();
        engine.lent.forEach((tenant, session) -> {
            GateSession before = byThread.putIfAbsent(engine.threads.get(tenant), session);
            assertThat(before == null || before == session).as("worker " + engine.threads.get(tenant)).isTrue();
        });
        assertThat(byThread.values().stream().distinct().count()).isEqualTo(byThread.size()).isBetween(1L, 2L);
        assertThat(engine.lent.values()).allSatisfy(s -> assertThat(s.toString()).startsWith("GateSession{closed"));
    }
}

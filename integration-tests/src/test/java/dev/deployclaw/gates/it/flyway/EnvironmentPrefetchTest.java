package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.RollbackValidationGate;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.gate.TopologyGate;
import dev.deployclaw.gates.core.gate.TransactionIsolationGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.core.tenant.MigrationResult;
import dev.deployclaw.gates.core.tenant.Tenant;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.core.tenant.TenantState;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migrator checks each tenant's environment gates in advance, on another thread, while Flyway starts the tenant's
 * run; at the tenant's beforeMigrate the gates take those verdicts (when young enough) instead of evaluating them
 * again, and every report says which verdicts were checked in advance.
 */
class EnvironmentPrefetchTest {
    private static final PGSimpleDataSource ds = FlywayFixtures.dataSource("fw-prefetch-test");
    private static final Set<GateId> IN_ADVANCE = Set.of(TopologyGate.ID, ReplicaLagGate.ID, TableLockGate.ID,
            RollbackValidationGate.ID);

    @BeforeEach
    void clean() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_pf\\_%");
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemasLike("fw\\_pf\\_%");
    }

    private static List<String> tenants(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "fw_pf_" + i).toList();
    }

    private static RunReport run(FlywayFixtures.Reports reports, Duration prefetch, int tenants) throws Exception {
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build()).withListener(reports);
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/five")).build();
        return TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(tenants(tenants)))
                .environmentPrefetch(prefetch).build().run();
    }

    private static List<GateReport> beforeMigrate(FlywayFixtures.Reports reports) {
        return reports.all.stream().filter(r -> r.migrationVersion().isEmpty()).toList();
    }

    private static JsonSchema schema() throws Exception {
        try (InputStream in = Files.newInputStream(Path.of("..", "docs", "report-format.schema.json"))) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private static boolean checkedInAdvance(Verdict v) {
        return v.evidence().stream().anyMatch(e -> e.name().equals("checked in advance"));
    }

    @Test
    void theEnvironmentGatesAreCheckedWhileFlywayStartsAndStandForEachTenantsBeforeMigrate() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        RunReport report = run(reports, TenantMigrator.DEFAULT_ENVIRONMENT_PREFETCH, 4);

        assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(4);
        List<GateReport> before = beforeMigrate(reports);
        assertThat(before).hasSize(4).allSatisfy(r -> {
            assertThat(r.prefetchMicros()).as(r.toText()).isPositive();
            for (Verdict v : r.verdicts()) {
                assertThat(checkedInAdvance(v)).as(v.gate() + " in " + r.toText()).isEqualTo(IN_ADVANCE.contains(v.gate()));
            }
            // the isolation and lock bound of Flyway's own connection are read on it, at beforeMigrate
            assertThat(r.verdicts()).anySatisfy(v -> assertThat(v.gate()).isEqualTo(TransactionIsolationGate.ID));
        });
        // replica-lag was measured by each tenant's check in advance, not by a separate between-tenant check first
        assertThat(reports.all).noneSatisfy(r -> assertThat(r.verdicts()).anySatisfy(v -> assertThat(v.detail())
                .contains("between-tenant check")));
        assertThat(reports.all.stream().filter(r -> r.migrationVersion().isPresent()))
                .allSatisfy(r -> assertThat(r.prefetchMicros()).isZero());
    }

    @Test
    void aCheckOlderThanItsMaximumAgeIsDroppedAndEveryGateRunsAtBeforeMigrate() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        // any check takes longer than a nanosecond: it is made, then found too old and not used
        RunReport report = run(reports, Duration.ofNanos(1), 3);

        assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(3);
        assertThat(beforeMigrate(reports)).hasSize(3).allSatisfy(r -> {
            assertThat(r.prefetchMicros()).isZero();
            assertThat(r.verdicts()).noneMatch(EnvironmentPrefetchTest::checkedInAdvance);
            assertThat(r.allGatesPassed()).as(r.toText()).isTrue();
        });
    }

    @Test
    void withoutChecksInAdvanceTheMigratorChecksLagBetweenTenantsAsBefore() throws Exception {
        FlywayFixtures.Reports reports = new FlywayFixtures.Reports();
        RunReport report = run(reports, Duration.ZERO, 3);

        assertThat(report.count(TenantDecision.MIGRATED)).as(report.toText()).isEqualTo(3);
        assertThat(reports.all).allSatisfy(r -> assertThat(r.prefetchMicros()).isZero());
        // tenants 2 and 3: the between-tenant lag reading stood for their own replica-lag gate
        assertThat(report.tenants().subList(1, 3)).allSatisfy(t -> assertThat(t.reports()).anySatisfy(r -> assertThat(
                r.verdicts()).anySatisfy(v -> assertThat(v.detail()).contains("by the migrator's between-tenant check"))));
    }

    /**
     * A lock taken once the check in advance is under way: either the check sees it and the tenant is BLOCKED naming the
     * holder, or the check passed before it and the DDL meets the lock bound that the gates put on Flyway's connection,
     * failing fast instead of queueing. Which of the two depends on timing; both leave the tenant at a whole version.
     */
    @Test
    @Timeout(120)
    void aLockTakenWhileTheCheckInAdvanceRunsNeverLetsTheDdlQueue() throws Exception {
        FlywayFixtures.flyway(ds, "fw_pf_late", "five").target("1").load().migrate();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).maxLockWait(Duration.ofMillis(300)).build());
        FlywayEngine flyway = FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/fw/five")).build();
        List<LockHolder> holders = new ArrayList<>();
        MigrationEngine lockingFirst = new MigrationEngine() {
            @Override public String name() { return "flyway"; }
            @Override public TenantState inspect(Tenant t) { return flyway.inspect(t); }
            @Override public Optional<MigrationRequest> environmentRequest(Tenant t) { return flyway.environmentRequest(t); }

            @Override
            public MigrationResult migrate(Tenant t, SecurityAuditor a) {
                throw new AssertionError("the migrator should lend its worker's probe");
            }

            @Override
            public MigrationResult migrate(Tenant t, SecurityAuditor a, GateSession s) {
                // the migrator has started the tenant's check in advance by now
                try {
                    holders.add(LockHolder.postgres(TestDatabases.postgresUrl(),
                            "lock table fw_pf_late.accounts in access share mode"));
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
                return flyway.migrate(t, a, s);
            }
        };
        RunReport report;
        try {
            report = TenantMigrator.builder(auditor, lockingFirst).tenants(TenantSource.list(List.of("fw_pf_late")))
                    .environmentPrefetch(Duration.ofMinutes(1)).build().run();
        } finally {
            for (var h : holders) {
                h.close();
            }
        }
        RunReport.TenantRun line = report.tenants().get(0);
        assertThat(holders).hasSize(1);
        assertThat(line.decision()).as(report.toText()).isIn(TenantDecision.BLOCKED, TenantDecision.FAILED);
        if (line.decision() == TenantDecision.BLOCKED) {
            assertThat(line.failedGates()).contains(TableLockGate.ID.value());
            assertThat(line.detail()).contains("pid " + holders.get(0).pid());
        } else {
            assertThat(line.detail()).as(report.toText()).containsIgnoringCase("lock timeout");
        }
        assertThat(FlywayFixtures.history("fw_pf_late")).containsExactly("1:true");
    }

    @Test
    void aCheckInAdvanceServesOnlyTheSameSchemaOnceAndIsDrainedByAnyOtherEvaluation() throws Exception {
        FlywayFixtures.dropSchemas(List.of("fw_pf_a", "fw_pf_b"));
        FlywayFixtures.flyway(ds, "fw_pf_a", "five").load().migrate();
        FlywayFixtures.flyway(ds, "fw_pf_b", "five").load().migrate();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(ds).build());
        MigrationRequest a = MigrationRequest.builder().environmentOnly(true).schema("fw_pf_a").tenant("a").build();
        MigrationRequest b = MigrationRequest.builder().environmentOnly(true).schema("fw_pf_b").tenant("b").build();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (GateSession session = auditor.openSession()) {
            auditor.prefetchEnvironment(a, session, executor, Duration.ofMinutes(1));
            GateReport other = auditor.enforcePreMigrationGates(b, session);
            assertThat(other.prefetchMicros()).as("another schema: the check for fw_pf_a is not used").isZero();
            assertThat(other.verdicts()).noneMatch(EnvironmentPrefetchTest::checkedInAdvance);
            assertThat(other.schema()).isEqualTo("fw_pf_b");

            auditor.prefetchEnvironment(a, session, executor, Duration.ofMinutes(1));
            GateReport same = auditor.enforcePreMigrationGates(a, session);
            assertThat(same.prefetchMicros()).isPositive();
            assertThat(same.verdicts().stream().filter(EnvironmentPrefetchTest::checkedInAdvance).map(Verdict::gate))
                    .containsExactlyInAnyOrderElementsOf(IN_ADVANCE);
            assertThat(same.allGatesPassed()).as(same.toText()).isTrue();
            // the report's JSON says so too, within the documented schema; a report without such a check leaves it out
            JsonNode json = new ObjectMapper().readTree(same.toJson());
            assertThat(json.get("prefetchTime_ms").asLong()).isEqualTo(same.prefetchMicros() / 1000);
            assertThat(schema().validate(json)).as(same.toJson()).isEmpty();
            assertThat(new ObjectMapper().readTree(other.toJson()).has("prefetchTime_ms")).isFalse();

            GateReport again = auditor.enforcePreMigrationGates(a, session);
            assertThat(again.prefetchMicros()).as("a check in advance serves one evaluation").isZero();
            assertThat(again.verdicts()).noneMatch(EnvironmentPrefetchTest::checkedInAdvance);
        } finally {
            executor.shutdownNow();
        }
    }
}

package dev.deployclaw.gates.it.liquibase;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.GateListener;
import dev.deployclaw.gates.core.RollbackPolicy;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.Decision;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import dev.deployclaw.gates.liquibase.GateChangeExecListener;
import dev.deployclaw.gates.liquibase.LiquibaseGateOptions;
import dev.deployclaw.gates.liquibase.UnpreviewableChangeSetException;
import dev.deployclaw.gates.liquibase.VolatileChanges;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.deployclaw.gates.it.liquibase.LiquibaseTenants.causeOf;
import static dev.deployclaw.gates.it.liquibase.LiquibaseTenants.recorded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The listener attached through the Liquibase Java API ({@code Liquibase#setChangeExecListener}), on the real PostgreSQL. */
class GateChangeExecListenerIT {
    private static final GateId TABLE_LOCK = GateId.of("table-lock");
    private static final GateId ROLLBACK = GateId.of("rollback-validation");
    static final Duration LAG_TOLERATED = Duration.ofSeconds(30);
    private final List<GateReport> reports = new CopyOnWriteArrayList<>();
    private final List<String> schemas = new CopyOnWriteArrayList<>();

    @AfterEach
    void dropSchemas() throws Exception {
        LiquibaseTenants.drop(schemas.toArray(String[]::new));
    }

    private String tenant(String name) throws Exception {
        schemas.add(name);
        LiquibaseTenants.create(name);
        return name;
    }

    private SecurityAuditor auditor(RollbackPolicy policy) {
        // other engineers' suites pause the standby's replay, break WAL archiving and leave transactions open for
        // minutes on the shared server; none of that is what these tests are about (the core's own tests cover it).
        // The lock holders here are caught by their lock on the changeset's table, not by their age.
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).rollbackPolicy(policy)
                .replicaLagThreshold(LAG_TOLERATED).requirePointInTimeRecovery(false)
                .maxTransactionAge(Duration.ofHours(1)).build())
                .withListener(new GateListener() {
                    @Override
                    public void onReport(GateReport report) {
                        reports.add(report);
                    }
                });
    }

    private GateChangeExecListener listener(RollbackPolicy policy, LiquibaseGateOptions options) {
        return new GateChangeExecListener(auditor(policy), options);
    }

    private GateChangeExecListener listener() {
        return listener(RollbackPolicy.REQUIRE_PLAN, LiquibaseGateOptions.defaults());
    }

    @Test
    void stopsTheUpdateBeforeTheChangesetWhoseTableIsLockedAndCompletesItOnceTheHolderIsGone() throws Exception {
        String s = tenant("lb_listener_block");
        Throwable thrown;
        long holderPid;
        try (LockHolder holder = LockHolder.postgres(LiquibaseTenants.url(), "select * from " + s + ".customers")) {
            holderPid = holder.pid();
            thrown = catchThrowable(() -> LiquibaseTenants.update("liquibase/tenant-changelog.xml", s, listener()));

            // stopped before changeset 4 (alters customers): 1-3 applied and recorded, 4 neither applied nor recorded
            GateBlockedException blocked = causeOf(thrown, GateBlockedException.class);
            assertThat(blocked.report().decision()).isEqualTo(Decision.BLOCKED);
            assertThat(blocked.report().migrationVersion()).hasValue("liquibase/tenant-changelog.xml::4::deployclaw");
            assertThat(blocked.getMessage()).isEqualTo(blocked.report().toText());
            assertThat(thrown.getMessage()).contains(blocked.report().toText().lines().findFirst().orElseThrow());
            Verdict lock = blocked.report().verdict(TABLE_LOCK).orElseThrow();
            assertThat(lock.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(lock.detail()).contains("pid " + holderPid).contains(s + ".customers");
            assertThat(recorded(s)).containsExactly("1", "2", "3");
            assertThat(LiquibaseTenants.columnExists(s, "accounts", "email")).isTrue();
            assertThat(LiquibaseTenants.columnExists(s, "customers", "tier")).isFalse();
            assertThat(LiquibaseTenants.lockFree(s)).isTrue();
        }
        System.out.println("BLOCKED UPDATE (Liquibase#update):\n" + thrown);

        LiquibaseTenants.update("liquibase/tenant-changelog.xml", s, listener());
        assertThat(recorded(s)).containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(LiquibaseTenants.columnExists(s, "customers", "tier")).isTrue();
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();
    }

    @Test
    void gatesEachFormatOnTheStatementsItBecomesOnPostgres() throws Exception {
        for (String format : List.of("xml", "yaml", "json", "sql")) {
            reports.clear();
            String s = tenant("lb_listener_" + format);
            LiquibaseTenants.update("liquibase/tenant-changelog." + format, s, listener());
            assertThat(recorded(s)).containsExactly("1", "2", "3", "4", "5", "6");
            assertThat(reports).hasSize(6).allMatch(GateReport::allGatesPassed);
            GateReport addColumn = reports.get(3);
            assertThat(addColumn.schema()).isEqualTo(s);
            assertThat(addColumn.tenant()).hasValue(s);
            assertThat(String.join("\n", addColumn.statements()).toLowerCase())
                    .contains("alter table").contains("customers").contains("add").contains("tier");
            assertThat(addColumn.verdict(TABLE_LOCK).orElseThrow().detail()).contains(s + ".customers");
            if (!format.equals("sql")) {
                // generated by Liquibase for PostgreSQL, schema-qualified from defaultSchemaName
                assertThat(addColumn.statements()).containsExactly("ALTER TABLE " + s + ".customers ADD tier VARCHAR(20)");
            }
            assertThat(addColumn.verdict(ROLLBACK).orElseThrow().detail()).contains("tool rollback");
        }
    }

    @Test
    void appliesTheChangesetsModifySqlForThisDatabaseOnly() throws Exception {
        String s = tenant("lb_listener_modsql");
        LiquibaseTenants.update("liquibase/modify-sql.xml", s, listener());
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).statements()).singleElement().asString()
                .startsWith("CREATE TABLE " + s + ".events").endsWith("WITH (fillfactor = 70)").doesNotContain("InnoDB");
    }

    @Test
    void reportsAFormattedSqlChangesetWithoutRollbackAndLetsItRunUnderReportPolicy() throws Exception {
        String s = tenant("lb_listener_norb_report");
        LiquibaseTenants.update("liquibase/no-rollback.sql", s, listener(RollbackPolicy.REPORT, LiquibaseGateOptions.defaults()));
        assertThat(recorded(s)).containsExactly("1", "2");
        Verdict first = reports.get(0).verdict(ROLLBACK).orElseThrow();
        Verdict second = reports.get(1).verdict(ROLLBACK).orElseThrow();
        assertThat(first.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(first.detail()).contains("explicit Liquibase rollback");
        assertThat(second.outcome()).isEqualTo(Outcome.WARNED);
        assertThat(second.detail()).containsIgnoringCase("no rollback plan for migration liquibase/no-rollback.sql::2::deployclaw")
                .contains("sql cannot be rolled back automatically");
    }

    @Test
    void blocksAFormattedSqlChangesetWithoutRollbackWhenPlansAreRequired() throws Exception {
        String s = tenant("lb_listener_norb_require");
        Throwable thrown = catchThrowable(() -> LiquibaseTenants.update("liquibase/no-rollback.sql", s,
                listener(RollbackPolicy.REQUIRE_PLAN, LiquibaseGateOptions.defaults())));
        GateBlockedException blocked = causeOf(thrown, GateBlockedException.class);
        System.out.println("BLOCKED UPDATE (no rollback, REQUIRE_PLAN):\n" + blocked.getMessage());
        assertThat(blocked.report().blockingVerdicts()).extracting(Verdict::gate).containsExactly(ROLLBACK);
        assertThat(blocked.getMessage()).containsIgnoringCase("no rollback plan for migration liquibase/no-rollback.sql::2::deployclaw")
                .contains("sql cannot be rolled back automatically");
        assertThat(recorded(s)).containsExactly("1");
        assertThat(LiquibaseTenants.columnExists(s, "ledger", "memo")).isFalse();
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();
    }

    @Test
    void aFormattedSqlChangesetDeclaredRollForwardOnlyPassesWhenPlansAreRequired() throws Exception {
        String s = tenant("lb_listener_rfo");
        LiquibaseTenants.update("liquibase/roll-forward.sql", s, listener());
        assertThat(recorded(s)).containsExactly("1", "2");
        assertThat(reports.get(1).verdict(ROLLBACK).orElseThrow().detail()).contains("roll forward only")
                .contains("backfill of a new column");
    }

    @Test
    void aBlockedFailOnErrorFalseChangesetStillStopsTheUpdate() throws Exception {
        String s = tenant("lb_listener_foe");
        Throwable thrown;
        try (LockHolder holder = LockHolder.postgres(LiquibaseTenants.url(), "select * from " + s + ".customers")) {
            thrown = catchThrowable(() -> LiquibaseTenants.update("liquibase/fail-on-error-false.xml", s, listener()));
        }
        GateBlockedException blocked = causeOf(thrown, GateBlockedException.class);
        assertThat(blocked.report().migrationVersion()).hasValue("liquibase/fail-on-error-false.xml::2::deployclaw");
        // not skipped and carried on: changeset 3 did not run either
        assertThat(recorded(s)).containsExactly("1");
        assertThat(LiquibaseTenants.columnExists(s, "customers", "nickname")).isFalse();
        assertThat(LiquibaseTenants.columnExists(s, "notes", "body")).isFalse();
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();
    }

    @Test
    void refusesAChangeWhoseSqlExistsOnlyAtRunTimeByDefault() throws Exception {
        String s = tenant("lb_listener_volatile");
        Throwable thrown = catchThrowable(() -> LiquibaseTenants.update("liquibase/volatile.xml", s, listener()));
        UnpreviewableChangeSetException refused = causeOf(thrown, UnpreviewableChangeSetException.class);
        assertThat(refused.getMessage()).contains("liquibase/volatile.xml::2::deployclaw")
                .contains("dropAllForeignKeyConstraints").contains("PREVIEW_AT_RUN_TIME");
        System.out.println("REFUSED (volatile change):\n" + refused.getMessage());
        assertThat(recorded(s)).containsExactly("1");
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();
    }

    @Test
    void gatesTheStatementsAVolatileChangeWouldRunWhenPreviewAtRunTimeIsChosen() throws Exception {
        String s = tenant("lb_listener_volatile_ok");
        LiquibaseTenants.update("liquibase/volatile.xml", s, listener(RollbackPolicy.REPORT,
                LiquibaseGateOptions.builder().volatileChanges(VolatileChanges.PREVIEW_AT_RUN_TIME).build()));
        assertThat(recorded(s)).containsExactly("1", "2");
        assertThat(String.join("\n", reports.get(1).statements())).contains("children").contains("DROP CONSTRAINT")
                .contains("children_parent_fk");
    }

    @Test
    void runsTheEnvironmentGatesOnceAndTheStatementGatesBeforeEveryChangeset() throws Exception {
        String s = tenant("lb_listener_sched");
        LiquibaseTenants.update("liquibase/tenant-changelog.xml", s, listener());
        assertThat(reports).hasSize(6);
        assertThat(reports.get(0).verdict(GateId.of("replica-lag"))).isPresent();
        assertThat(reports.get(0).verdict(GateId.of("topology"))).isPresent();
        for (GateReport later : reports.subList(1, 6)) {
            assertThat(later.verdict(GateId.of("replica-lag"))).isEmpty();
            assertThat(later.verdict(GateId.of("topology"))).isEmpty();
            assertThat(later.verdicts()).extracting(Verdict::gate)
                    .contains(TABLE_LOCK, GateId.of("transaction-isolation"), ROLLBACK);
        }

        // the same listener on the same database: a new update starts with a full evaluation again
        reports.clear();
        GateChangeExecListener reused = listener();
        var db = LiquibaseTenants.database(tenant("lb_listener_sched_reuse"));
        try (var lb = new liquibase.Liquibase("liquibase/no-rollback.sql", new liquibase.resource.ClassLoaderResourceAccessor(), db)) {
            lb.setChangeExecListener(reused);
            lb.update(1, new liquibase.Contexts(), new liquibase.LabelExpression());
            lb.update(1, new liquibase.Contexts(), new liquibase.LabelExpression());
        } catch (Exception blockedByMissingPlan) {
            // changeset 2 has no rollback plan; what matters here is that both updates started with a full evaluation
        }
        assertThat(reports).hasSize(2).allSatisfy(r -> assertThat(r.verdict(GateId.of("topology"))).isPresent());

        reports.clear();
        String every = tenant("lb_listener_sched_every");
        LiquibaseTenants.update("liquibase/tenant-changelog.xml", every, listener(RollbackPolicy.REQUIRE_PLAN,
                LiquibaseGateOptions.builder().environmentRecheck(Duration.ZERO).build()));
        assertThat(reports).hasSize(6).allSatisfy(r -> assertThat(r.verdict(GateId.of("replica-lag"))).isPresent());
    }

    @Test
    void theLockWaitBoundTheGatesSetIsInForceWhileTheChangesetRuns() throws Exception {
        // Liquibase rolls back the open transaction right before a changeset's changes; the bound must survive that
        String s = tenant("lb_listener_bound");
        LiquibaseTenants.update("liquibase/settings-seen.sql", s, listener());
        try (var c = TestDatabases.connect(LiquibaseTenants.url()); var st = c.createStatement();
             var rs = st.executeQuery("select lock_timeout, statement_timeout from " + s + ".settings_seen")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("3s");
            assertThat(rs.getString(2)).isEqualTo("5min");
        }
    }
}

package dev.deployclaw.gates.it.liquibase;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.RollbackPolicy;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import dev.deployclaw.gates.liquibase.GateChangeExecListener;
import dev.deployclaw.gates.liquibase.GateChangeExecListenerCommandStep;
import dev.deployclaw.gates.liquibase.LiquibaseGateOptions;
import liquibase.command.CommandFactory;
import liquibase.command.CommandScope;
import liquibase.command.CommandStep;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.ChangeExecListenerCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.deployclaw.gates.it.liquibase.LiquibaseTenants.causeOf;
import static dev.deployclaw.gates.it.liquibase.LiquibaseTenants.recorded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The ways to attach the gate besides the Java API: nothing at all (zero wiring through Liquibase's command-step
 * override), and the command API ({@code CommandScope} update with {@code changeExecListenerClass}).
 */
class AttachmentsIT {
    private static final List<String> PROPERTIES = List.of("deployclaw.liquibase.autoRegister", "deployclaw.rollbackPolicy",
            "deployclaw.replicaLagThreshold", "deployclaw.requirePointInTimeRecovery", "deployclaw.maxTransactionAge");
    private final List<String> schemas = new CopyOnWriteArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        PROPERTIES.forEach(System::clearProperty);
        LiquibaseTenants.drop(schemas.toArray(String[]::new));
    }

    private String tenant(String name) throws Exception {
        schemas.add(name);
        LiquibaseTenants.create(name);
        // other engineers' suites pause the standby's replay, break WAL archiving and leave transactions open for
        // minutes on the shared server; none of that is what these tests are about (the core's own tests cover it)
        System.setProperty("deployclaw.replicaLagThreshold", "30s");
        System.setProperty("deployclaw.requirePointInTimeRecovery", "false");
        System.setProperty("deployclaw.maxTransactionAge", "1h");
        return name;
    }

    private static void commandUpdate(String changelog, Database db, String listenerClass, String propertiesFile) throws Exception {
        CommandScope update = new CommandScope(UpdateCommandStep.COMMAND_NAME)
                .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, db)
                .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, changelog);
        if (listenerClass != null) {
            update.addArgumentValue(ChangeExecListenerCommandStep.CHANGE_EXEC_LISTENER_CLASS_ARG, listenerClass);
        }
        if (propertiesFile != null) {
            update.addArgumentValue(ChangeExecListenerCommandStep.CHANGE_EXEC_LISTENER_PROPERTIES_FILE_ARG, propertiesFile);
        }
        try {
            update.execute();
        } finally {
            db.close();
        }
    }

    @Test
    void liquibaseStillUsesOurCommandStepInPlaceOfItsOwnChangeExecListenerStep() {
        // fails when a Liquibase upgrade drops @CommandOverride, renames the step or changes how steps are found
        List<CommandStep> pipeline = CommandFactory.getInstance().getCommandDefinition(UpdateCommandStep.COMMAND_NAME).getPipeline();
        assertThat(pipeline).hasAtLeastOneElementOfType(GateChangeExecListenerCommandStep.class);
        assertThat(pipeline).filteredOn(s -> s.getClass() == ChangeExecListenerCommandStep.class).isEmpty();
    }

    @Test
    void zeroWiringGatesACommandScopeUpdateWithNothingConfigured() throws Exception {
        String s = tenant("lb_attach_zero_cmd");
        Throwable thrown;
        try (LockHolder holder = LockHolder.postgres(LiquibaseTenants.url(), "select * from " + s + ".customers")) {
            thrown = catchThrowable(() -> commandUpdate("liquibase/tenant-changelog.xml", LiquibaseTenants.database(s), null, null));
            GateBlockedException blocked = causeOf(thrown, GateBlockedException.class);
            assertThat(blocked.report().verdict(GateId.of("table-lock")).orElseThrow().detail()).contains("pid " + holder.pid());
        }
        assertThat(recorded(s)).containsExactly("1", "2", "3");
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();
        System.out.println("BLOCKED UPDATE (zero wiring, CommandScope):\n" + thrown);
    }

    @Test
    void zeroWiringGatesTheLiquibaseJavaApiWithNoListenerSet() throws Exception {
        String s = tenant("lb_attach_zero_api");
        Throwable thrown = catchThrowable(() -> LiquibaseTenants.update("liquibase/no-rollback.sql", s, null));
        GateBlockedException blocked = causeOf(thrown, GateBlockedException.class);
        assertThat(blocked.report().blockingVerdicts()).extracting(Verdict::gate).containsExactly(GateId.of("rollback-validation"));
        assertThat(recorded(s)).containsExactly("1");
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();
    }

    @Test
    void zeroWiringIsSwitchedOffByItsOptOutProperty() throws Exception {
        String s = tenant("lb_attach_optout");
        System.setProperty("deployclaw.liquibase.autoRegister", "false");
        LiquibaseTenants.update("liquibase/no-rollback.sql", s, null);
        assertThat(recorded(s)).containsExactly("1", "2");
    }

    @Test
    void zeroWiringDoesNotAddASecondGateWhenOneIsAttachedExplicitly() throws Exception {
        String s = tenant("lb_attach_nodouble");
        // the zero-wiring gate would require a plan (its default); the explicit one only reports a missing plan
        SecurityAuditor reportOnly = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .rollbackPolicy(RollbackPolicy.REPORT).replicaLagThreshold(Duration.ofSeconds(30))
                .requirePointInTimeRecovery(false).maxTransactionAge(Duration.ofHours(1)).build());
        LiquibaseTenants.update("liquibase/no-rollback.sql", s, new GateChangeExecListener(reportOnly, LiquibaseGateOptions.defaults()));
        assertThat(recorded(s)).containsExactly("1", "2");
    }

    @Test
    void commandScopeUpdateWithChangeExecListenerClassReadsItsPropertiesFile(@TempDir Path dir) throws Exception {
        System.setProperty("deployclaw.liquibase.autoRegister", "false"); // prove the class argument alone gates
        String s = tenant("lb_attach_class");
        Path requirePlan = Files.writeString(dir.resolve("require.properties"), "deployclaw.rollbackPolicy=REQUIRE_PLAN\n");
        Throwable thrown = catchThrowable(() -> commandUpdate("liquibase/no-rollback.sql", LiquibaseTenants.database(s),
                GateChangeExecListener.class.getName(), requirePlan.toString()));
        assertThat(causeOf(thrown, GateBlockedException.class).report().blockingVerdicts()).extracting(Verdict::gate)
                .containsExactly(GateId.of("rollback-validation"));
        assertThat(recorded(s)).containsExactly("1");
        assertThat(LiquibaseTenants.lockFree(s)).isTrue();

        Path report = Files.writeString(dir.resolve("report.properties"), "deployclaw.rollbackPolicy=REPORT\n");
        commandUpdate("liquibase/no-rollback.sql", LiquibaseTenants.database(s), GateChangeExecListener.class.getName(),
                report.toString());
        assertThat(recorded(s)).containsExactly("1", "2");
    }

    @Test
    void commandScopeUpdateWithChangeExecListenerClassAndNoPropertiesFileUsesSystemProperties() throws Exception {
        System.setProperty("deployclaw.liquibase.autoRegister", "false");
        String s = tenant("lb_attach_class_sys");
        System.setProperty("deployclaw.rollbackPolicy", "REPORT");
        commandUpdate("liquibase/no-rollback.sql", LiquibaseTenants.database(s), GateChangeExecListener.class.getName(), null);
        assertThat(recorded(s)).containsExactly("1", "2");
        System.setProperty("deployclaw.rollbackPolicy", "REQUIRE_PLAN");
        String t = tenant("lb_attach_class_sys2");
        Throwable thrown = catchThrowable(() -> commandUpdate("liquibase/no-rollback.sql", LiquibaseTenants.database(t),
                GateChangeExecListener.class.getName(), null));
        assertThat(causeOf(thrown, GateBlockedException.class)).isNotNull();
        assertThat(recorded(t)).containsExactly("1");
    }

    @Test
    void zeroWiringHandsTheLiquibaseSessionBackWithoutTheGatesBoundsWhenTheCommandEnds() throws Exception {
        String s = tenant("lb_attach_reset");
        Database db = LiquibaseTenants.database(s);
        java.sql.Connection session = ((liquibase.database.jvm.JdbcConnection) db.getConnection()).getUnderlyingConnection();
        try (liquibase.Liquibase lb = new liquibase.Liquibase("liquibase/settings-seen.sql",
                new liquibase.resource.ClassLoaderResourceAccessor(), db)) {
            lb.update(new liquibase.Contexts(), new liquibase.LabelExpression());
            try (var st = session.createStatement(); var rs = st.executeQuery(
                    "select current_setting('lock_timeout') || '/' || current_setting('statement_timeout')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("0/0");
            }
        }
        // while the changeset ran, the bound was in force
        try (var c = TestDatabases.connect(LiquibaseTenants.url()); var st = c.createStatement();
             var rs = st.executeQuery("select lock_timeout from " + s + ".settings_seen")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("3s");
        }
    }

    @Test
    void updateSqlIsNotGatedBecauseNothingReachesTheDatabase() throws Exception {
        String s = tenant("lb_attach_updatesql");
        Database db = LiquibaseTenants.database(s);
        java.io.StringWriter sql = new java.io.StringWriter();
        try (LockHolder holder = LockHolder.postgres(LiquibaseTenants.url(), "select * from " + s + ".customers");
             liquibase.Liquibase lb = new liquibase.Liquibase("liquibase/tenant-changelog.xml",
                     new liquibase.resource.ClassLoaderResourceAccessor(), db)) {
            lb.update(new liquibase.Contexts(), new liquibase.LabelExpression(), sql);
        }
        assertThat(sql.toString()).contains("ALTER TABLE " + s + ".customers ADD tier VARCHAR(20)");
        assertThat(LiquibaseTenants.columnExists(s, "customers", "tier")).isFalse();
    }
}

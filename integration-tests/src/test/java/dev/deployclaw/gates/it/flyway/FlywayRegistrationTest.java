package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.tenant.MigrationEngine;
import dev.deployclaw.gates.flyway.AutoGateCallback;
import dev.deployclaw.gates.flyway.GateCallback;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.extensibility.Plugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each way of registering the gates, on the real primary. The {@code noplan} set's V2 has no rollback plan: with the
 * default policy a registered gate blocks it; {@code deployclaw.rollbackPolicy=REPORT} lets it through, which shows the
 * configuration was read.
 */
class FlywayRegistrationTest {
    private static final List<String> SCHEMAS = List.of("fw_reg_java", "fw_reg_name_block", "fw_reg_name_report",
            "fw_reg_props", "fw_reg_auto_block", "fw_reg_auto_off");
    private static final String CALLBACK = GateCallback.class.getName();
    private static PGSimpleDataSource ds;
    /** Other areas' tests hold transactions open for minutes on the shared server: only this test's locks count. */
    private static final Map<String, String> SHARED_SERVER = Map.of("deployclaw.maxTransactionAge", "1d");

    private static java.util.List<String> blockingGates(Throwable e) {
        return MigrationEngine.blockedBy(e).orElseThrow().report().blockingVerdicts().stream().map(v -> v.gate().value()).toList();
    }

    @BeforeAll
    static void setUp() throws Exception {
        ds = FlywayFixtures.dataSource("fw-registration-test");
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        FlywayFixtures.dropSchemas(SCHEMAS);
    }

    @Test
    void javaApiRegistrationAppendsToTheCallbacksAlreadyConfigured() {
        AtomicInteger seen = new AtomicInteger();
        Callback counting = new Callback() {
            public boolean supports(Event event, Context context) { return event == Event.AFTER_EACH_MIGRATE; }
            public boolean canHandleInTransaction(Event event, Context context) { return true; }
            public void handle(Event event, Context context) { seen.incrementAndGet(); }
            public String getCallbackName() { return "counting"; }
        };
        FluentConfiguration cfg = FlywayFixtures.flyway(ds, "fw_reg_java", "noplan").callbacks(counting).placeholders(SHARED_SERVER);

        GateCallback.register(cfg, new GateCallback());

        assertThat(cfg.getCallbacks()).hasSize(2);
        assertThat(cfg.getCallbacks()[0]).isSameAs(counting);
        assertThatThrownBy(() -> cfg.load().migrate()).satisfies(e -> assertThat(blockingGates(e)).containsExactly("rollback-validation"));
        assertThat(seen.get()).isEqualTo(1);
    }

    @Test
    void classNameRegistrationThroughTheCallbacksPropertyGatesTheMigration() throws Exception {
        Flyway flyway = FlywayFixtures.flyway(ds, "fw_reg_name_block", "noplan").callbacks(CALLBACK)
                .placeholders(Map.of("deployclaw.flyway.autoRegister", "false", "deployclaw.maxTransactionAge", "1d")).load();

        assertThatThrownBy(flyway::migrate).isInstanceOf(FlywayException.class)
                .satisfies(e -> assertThat(blockingGates(e)).containsExactly("rollback-validation"));
        assertThat(FlywayFixtures.history("fw_reg_name_block")).containsExactly("1:true");
    }

    @Test
    void classNameRegistrationReadsDeployclawSettingsFromFlywayPlaceholders() throws Exception {
        Flyway flyway = FlywayFixtures.flyway(ds, "fw_reg_name_report", "noplan").callbacks(CALLBACK)
                .placeholders(Map.of("deployclaw.flyway.autoRegister", "false", "deployclaw.rollbackPolicy", "REPORT",
                        "deployclaw.maxTransactionAge", "1d")).load();

        assertThat(flyway.migrate().migrationsExecuted).isEqualTo(2);
    }

    @Test
    void classNameRegistrationWorksFromAFlywayPropertiesMap() throws Exception {
        Flyway flyway = Flyway.configure().dataSource(ds).configuration(Map.of(
                "flyway.schemas", "fw_reg_props",
                "flyway.defaultSchema", "fw_reg_props",
                "flyway.locations", "classpath:db/fw/noplan",
                "flyway.callbacks", CALLBACK,
                "flyway.placeholders.deployclaw.rollbackPolicy", "report",
                "flyway.placeholders.deployclaw.maxLockWait", "2s",
                "flyway.placeholders.deployclaw.maxTransactionAge", "1d")).load();

        assertThat(flyway.getConfiguration().getCallbacks()).hasAtLeastOneElementOfType(GateCallback.class);
        assertThat(flyway.migrate().migrationsExecuted).isEqualTo(2);
    }

    @Test
    void zeroWiringGatesAPlainFlywayRunWhenTheJarIsOnTheClasspath() throws Exception {
        Flyway flyway = FlywayFixtures.flyway(ds, "fw_reg_auto_block", "noplan").placeholders(SHARED_SERVER).load();
        assertThat(flyway.getConfiguration().getCallbacks()).isEmpty();

        assertThatThrownBy(flyway::migrate).isInstanceOf(FlywayException.class)
                .satisfies(e -> {
                    GateBlockedException blocked = MigrationEngine.blockedBy(e).orElseThrow();
                    assertThat(blockingGates(e)).containsExactly("rollback-validation");
                    assertThat(blocked.getMessage()).contains("fw_reg_auto_block");
                });
        assertThat(FlywayFixtures.history("fw_reg_auto_block")).containsExactly("1:true");
    }

    @Test
    void zeroWiringStepsAsideWhenOptedOut() throws Exception {
        Flyway flyway = FlywayFixtures.flyway(ds, "fw_reg_auto_off", "noplan")
                .placeholders(Map.of("deployclaw.flyway.autoRegister", "false")).load();

        assertThat(flyway.migrate().migrationsExecuted).isEqualTo(2);
    }

    @Test
    void theZeroWiringHookIsStillAFlywayPluginServiceAfterAnUpgrade() {
        // guards the internal API the zero-wiring relies on: Flyway's Plugin ServiceLoader must still find us
        assertThat(ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::type).toList())
                .contains(AutoGateCallback.class);
        assertThat(TestDatabases.postgresUrl()).isNotBlank();
    }
}

package dev.deployclaw.gates.it.flyway.spring;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.flyway.GateCallback;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.api.callback.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The Spring Boot registration of docs/flyway.md, compiled and run: a {@code Callback} bean is registered by Boot's
 * Flyway auto-configuration; while a gate fails the application refuses to start with the report in the startup
 * failure, and it starts (and migrates) once the condition clears.
 */
class SpringBootFlywayStartupTest {
    private static final String SCHEMA = "fw_spring";

    /** The docs' example: one Callback bean. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
        @Bean
        Callback deployclawGates(DataSource dataSource) {
            // the server is shared with the other suites' sessions; only the lock on this schema's table matters here
            return new GateCallback(new SecurityAuditor(AuditorConfig.builder(dataSource)
                    .replicaLagThreshold(Duration.ofSeconds(30)).requirePointInTimeRecovery(false)
                    .maxTransactionAge(Duration.ofHours(1)).build()));
        }
    }

    @BeforeEach
    @AfterEach
    void dropSchema() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
        }
    }

    private static ConfigurableApplicationContext start(String target) {
        SpringApplication application = new SpringApplication(App.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setRegisterShutdownHook(false);
        return application.run(
                "--spring.datasource.url=" + TestDatabases.postgresUrl(),
                "--spring.flyway.schemas=" + SCHEMA,
                "--spring.flyway.default-schema=" + SCHEMA,
                "--spring.flyway.locations=classpath:db/fw/five",
                "--spring.flyway.target=" + target,
                "--spring.liquibase.enabled=false");
    }

    @Test
    void refusesToStartWhileAGateFailsAndStartsOnceItClears() throws Exception {
        try (ConfigurableApplicationContext context = start("1")) {
            assertThat(history()).containsExactly("1");
        }
        Throwable failure;
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "update " + SCHEMA + ".accounts set name = name")) {
            failure = catchThrowable(() -> start("latest").close());
            GateBlockedException blocked = causeOf(failure);
            assertThat(blocked.getMessage()).startsWith("BLOCKED").contains("pid " + holder.pid());
            assertThat(blocked.report().verdict(GateId.of("table-lock")).orElseThrow().outcome()).isEqualTo(Outcome.FAILED);
        }
        assertThat(history()).containsExactly("1");

        try (ConfigurableApplicationContext context = start("latest")) {
            assertThat(context.isRunning()).isTrue();
            assertThat(history()).containsExactly("1", "2", "3", "4", "5");
        }
    }

    private static GateBlockedException causeOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof GateBlockedException g) {
                return g;
            }
        }
        throw new AssertionError("startup failure does not carry the gate report", t);
    }

    private static List<String> history() throws Exception {
        List<String> versions = new ArrayList<>();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select version from " + SCHEMA + ".flyway_schema_history where success"
                     + " and version is not null order by installed_rank")) {
            while (rs.next()) {
                versions.add(rs.getString(1));
            }
        }
        return versions;
    }
}

package dev.deployclaw.gates.it.liquibase.spring;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.GateId;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import dev.deployclaw.gates.liquibase.GateChangeExecListener;
import dev.deployclaw.gates.liquibase.LiquibaseGateOptions;
import liquibase.integration.spring.Customizer;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
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
 * A Spring Boot 4 application that runs Liquibase at start ({@code SpringLiquibase}, auto-configured): while a gate
 * fails it refuses to start, with the report in the startup failure; once the condition clears it starts.
 */
class SpringLiquibaseStartupIT {
    private static final String SCHEMA = "lb_spring";

    /** Nothing but the dependency on the classpath: the zero-wiring command step gates SpringLiquibase. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class ZeroWiringApp {
    }

    /** Explicit wiring: the listener added to Boot's SpringLiquibase, with an auditor on the application's DataSource. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class ExplicitApp {
        @Bean
        static BeanPostProcessor deployclawGates(ObjectProvider<DataSource> dataSource) {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessBeforeInitialization(Object bean, String name) {
                    if (bean instanceof SpringLiquibase liquibase) {
                        Customizer<liquibase.Liquibase> boot = liquibase.getCustomizer();
                        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(dataSource.getObject())
                                .replicaLagThreshold(Duration.ofSeconds(30)).requirePointInTimeRecovery(false)
                                .maxTransactionAge(Duration.ofHours(1)).build());
                        liquibase.setCustomizer(lb -> {
                            if (boot != null) {
                                boot.customize(lb);
                            }
                            lb.setChangeExecListener(new GateChangeExecListener(auditor, LiquibaseGateOptions.defaults()));
                        });
                    }
                    return bean;
                }
            };
        }
    }

    @BeforeEach
    void createTenant() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
            st.execute("create schema " + SCHEMA);
            st.execute("create table " + SCHEMA + ".customers (id bigint primary key, name text)");
        }
        // other engineers' suites pause the standby's replay, break WAL archiving and leave transactions open for
        // minutes on the shared server; none of that is what this test is about (the core's own tests cover it)
        System.setProperty("deployclaw.replicaLagThreshold", "30s");
        System.setProperty("deployclaw.requirePointInTimeRecovery", "false");
        System.setProperty("deployclaw.maxTransactionAge", "1h");
    }

    @AfterEach
    void dropTenant() throws Exception {
        System.clearProperty("deployclaw.replicaLagThreshold");
        System.clearProperty("deployclaw.requirePointInTimeRecovery");
        System.clearProperty("deployclaw.maxTransactionAge");
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
        }
    }

    private static ConfigurableApplicationContext start(Class<?> app) {
        SpringApplication application = new SpringApplication(app);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setRegisterShutdownHook(false);
        return application.run(
                "--spring.datasource.url=" + TestDatabases.postgresUrl(),
                "--spring.liquibase.change-log=classpath:liquibase/tenant-changelog.xml",
                "--spring.liquibase.default-schema=" + SCHEMA,
                "--spring.liquibase.liquibase-schema=" + SCHEMA,
                "--spring.flyway.enabled=false");
    }

    @Test
    void refusesToStartWhileAGateFailsAndStartsOnceItClearsWithZeroWiring() throws Exception {
        refusesThenStarts(ZeroWiringApp.class);
    }

    @Test
    void refusesToStartWhileAGateFailsAndStartsOnceItClearsWithAnExplicitListener() throws Exception {
        refusesThenStarts(ExplicitApp.class);
    }

    private void refusesThenStarts(Class<?> app) throws Exception {
        Throwable failure;
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "select * from " + SCHEMA + ".customers")) {
            failure = catchThrowable(() -> start(app).close());
            assertThat(failure).isNotNull();
            GateBlockedException blocked = causeOf(failure);
            assertThat(blocked.getMessage()).startsWith("BLOCKED").contains("pid " + holder.pid());
            assertThat(blocked.report().verdict(GateId.of("table-lock")).orElseThrow().outcome()).isEqualTo(Outcome.FAILED);
            assertThat(recorded()).containsExactly("1", "2", "3");
        }
        System.out.println("STARTUP REFUSED (" + app.getSimpleName() + "):\n" + failure);

        try (ConfigurableApplicationContext context = start(app)) {
            assertThat(context.isRunning()).isTrue();
            assertThat(recorded()).containsExactly("1", "2", "3", "4", "5", "6");
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

    private static List<String> recorded() throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from " + SCHEMA + ".databasechangelog order by orderexecuted")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }
}

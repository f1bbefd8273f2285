package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile tenant names, one test per kind. Given names are rejected before the database is even asked for a
 * connection; discovered names (registry table, schema pattern) fail the run before any tenant is migrated.
 */
class HostileTenantNamesTest {
    private static PGSimpleDataSource real;

    @BeforeAll
    static void setUp() throws Exception {
        real = FlywayFixtures.dataSource("fw-hostile-test");
        tearDown();
    }

    @AfterAll
    static void tearDown() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("drop schema if exists fw_hn_registry cascade");
            st.execute("drop schema if exists \"fw_hn_bad;drop\" cascade");
            st.execute("drop schema if exists fw_hn_ok cascade");
        }
    }

    /** Counts every connection asked for: zero means no SQL was sent. */
    static final class CountingDataSource implements DataSource {
        final AtomicInteger connections = new AtomicInteger();

        @Override public Connection getConnection() throws SQLException { connections.incrementAndGet(); return real.getConnection(); }
        @Override public Connection getConnection(String u, String p) throws SQLException { connections.incrementAndGet(); return real.getConnection(u, p); }
        @Override public PrintWriter getLogWriter() { return null; }
        @Override public void setLogWriter(PrintWriter out) { }
        @Override public void setLoginTimeout(int seconds) { }
        @Override public int getLoginTimeout() { return 0; }
        @Override public Logger getParentLogger() { return Logger.getGlobal(); }
        @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("no"); }
        @Override public boolean isWrapperFor(Class<?> iface) { return false; }
    }

    private static void assertRejectedBeforeAnySql(String hostile, String expectedMessagePart) {
        CountingDataSource counting = new CountingDataSource();
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(counting).build());
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(counting).locations("classpath:db/fw/five")).build();

        assertThatThrownBy(() -> TenantMigrator.builder(auditor, engine)
                .tenants(TenantSource.list("fw_hn_ok", hostile)).build().run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(expectedMessagePart);
        assertThat(counting.connections.get()).as("connections asked for").isZero();
    }

    @Test
    void rejectsANameWithADoubleQuote() {
        assertRejectedBeforeAnySql("t1\"; drop schema public cascade; --", "character '\"' at position 2");
    }

    @Test
    void rejectsANameWithASingleQuote() {
        assertRejectedBeforeAnySql("t1' or '1'='1", "character ''' at position 2");
    }

    @Test
    void rejectsANameWithASemicolon() {
        assertRejectedBeforeAnySql("t1;drop", "character ';' at position 2");
    }

    @Test
    void rejectsANameWithACommentMarker() {
        assertRejectedBeforeAnySql("t1--", "character '-' at position 2");
    }

    @Test
    void rejectsAnOverLongName() {
        assertRejectedBeforeAnySql("t".repeat(64), "tenant must be at most 63 characters, but was 64 characters");
    }

    @Test
    void rejectsAnEmptyName() {
        assertRejectedBeforeAnySql("", "tenant must not be empty, but was ''");
    }

    @Test
    void rejectsANameWithAUnicodeLookalike() {
        assertRejectedBeforeAnySql("t\u0435nant", "non-ASCII character U+0435 at position 1");
    }

    @Test
    void rejectsANameWithANulByte() {
        assertRejectedBeforeAnySql("t1\u0000x", "control character U+0000 at position 2");
    }

    @Test
    void rejectsAHostileNameFoundInTheTenantRegistryBeforeMigratingAnyTenant() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("create schema fw_hn_registry");
            st.execute("create table fw_hn_registry.tenants (schema_name text)");
            st.execute("insert into fw_hn_registry.tenants values ('fw_hn_ok'), ('x\"; drop table y; --')");
        }
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(real).build());
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(real).locations("classpath:db/fw/five")).build();

        assertThatThrownBy(() -> TenantMigrator.builder(auditor, engine)
                .tenants(TenantSource.registry("fw_hn_registry.tenants", "schema_name")).build().run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tenant discovery (registry fw_hn_registry.tenants.schema_name) found a name that is not a valid tenant");
        assertThat(FlywayFixtures.history("fw_hn_ok")).isEmpty();
    }

    @Test
    void rejectsAHostileSchemaNameFoundByPatternBeforeMigratingAnyTenant() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("create schema \"fw_hn_bad;drop\"");
        }
        SecurityAuditor auditor = new SecurityAuditor(FlywayFixtures.config(real).build());
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(real).locations("classpath:db/fw/five")).build();

        assertThatThrownBy(() -> TenantMigrator.builder(auditor, engine)
                .tenants(TenantSource.schemaPattern("fw_hn%")).build().run())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schemas like 'fw_hn%'").hasMessageContaining("fw_hn_bad;drop");
        assertThat(FlywayFixtures.history("fw_hn_ok")).isEmpty();
    }
}

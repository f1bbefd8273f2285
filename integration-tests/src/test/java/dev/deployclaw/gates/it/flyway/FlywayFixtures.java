package dev.deployclaw.gates.it.flyway;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateListener;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.postgresql.ds.PGSimpleDataSource;
import com.zaxxer.hikari.HikariDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Schemas, Flyway configurations and history reads shared by the Flyway tests. Schema names start with {@code fw_}. */
final class FlywayFixtures {
    private FlywayFixtures() {
    }

    static PGSimpleDataSource dataSource(String applicationName) {
        PGSimpleDataSource ds = TestDatabases.pgDataSource(TestDatabases.postgresUrl());
        ds.setApplicationName(applicationName);
        return ds;
    }

    /** A small pool, as an application would migrate with; close it after the class. */
    static HikariDataSource pool(String applicationName, int size) {
        com.zaxxer.hikari.HikariConfig cfg = new com.zaxxer.hikari.HikariConfig();
        cfg.setJdbcUrl(TestDatabases.postgresUrl());
        cfg.setMaximumPoolSize(size);
        cfg.setPoolName(applicationName);
        cfg.addDataSourceProperty("ApplicationName", applicationName);
        return new HikariDataSource(cfg);
    }

    static PGSimpleDataSource dataSourceFor(String url) {
        PGSimpleDataSource ds = TestDatabases.pgDataSource(url);
        ds.setApplicationName("fw-tenant-db");
        return ds;
    }

    /**
     * Gates as the tests need them here. The server is shared with other engineers' tests, whose sessions may sit
     * idle in transaction for minutes in their own schemas; the old-transaction check (any schema) would then block
     * every run here, so it is set to a day. Locks on the tables a migration touches still block (that is what these
     * tests hold).
     */
    static AuditorConfig.Builder config(DataSource ds) {
        return AuditorConfig.builder(ds).maxTransactionAge(java.time.Duration.ofDays(1));
    }

    static FluentConfiguration flyway(DataSource ds, String schema, String location) {
        return Flyway.configure().dataSource(ds).schemas(schema).defaultSchema(schema)
                .locations("classpath:db/fw/" + location);
    }

    static void dropSchemas(Collection<String> schemas) throws SQLException {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("drop schema if exists \"" + s + "\" cascade");
            }
        }
    }

    static void dropSchemasLike(String likePattern) throws SQLException {
        List<String> found = new ArrayList<>();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl());
             PreparedStatement ps = c.prepareStatement("select nspname from pg_namespace where nspname like ?")) {
            ps.setString(1, likePattern);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1));
                }
            }
        }
        dropSchemas(found);
    }

    /** Versions in the schema's history, in order, with their success flag: {@code 1:true}. */
    static List<String> history(String schema) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            try (ResultSet exists = st.executeQuery("select to_regclass('\"" + schema + "\".flyway_schema_history') is not null")) {
                exists.next();
                if (!exists.getBoolean(1)) {
                    return out;
                }
            }
            try (ResultSet rs = st.executeQuery("select version, success from \"" + schema
                    + "\".flyway_schema_history where version is not null order by installed_rank")) {
                while (rs.next()) {
                    out.add(rs.getString(1) + ":" + rs.getBoolean(2));
                }
            }
        }
        return out;
    }

    static boolean columnExists(String schema, String table, String column) throws SQLException {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl());
             PreparedStatement ps = c.prepareStatement("select 1 from information_schema.columns where table_schema = ?"
                     + " and table_name = ? and column_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Collects every report an auditor produces. */
    static final class Reports implements GateListener {
        final List<GateReport> all = new CopyOnWriteArrayList<>();

        @Override
        public void onReport(GateReport report) {
            all.add(report);
        }
    }
}

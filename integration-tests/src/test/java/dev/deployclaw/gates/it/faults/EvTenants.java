package dev.deployclaw.gates.it.faults;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.callback.Callback;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tenant schemas ({@code ev_} prefix), Flyway engines and history reads for the fault tests. The migration set
 * {@code db/ev/two} is V1 (create items) and V2 (add items.note), each with its undo script.
 */
final class EvTenants {
    private EvTenants() {
    }

    static PGSimpleDataSource dataSource(String applicationName) {
        PGSimpleDataSource ds = TestDatabases.pgDataSource(TestDatabases.postgresUrl());
        ds.setApplicationName(applicationName);
        return ds;
    }

    static List<String> names(String prefix, int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("%s%02d", prefix, i)).toList();
    }

    /**
     * Every gate, as configured by default, except that transactions other suites leave open on the shared server
     * for minutes do not block these runs (a lock on the tenant's own tables still does).
     */
    static SecurityAuditor auditor(DataSource ds) {
        return new SecurityAuditor(AuditorConfig.builder(ds).maxTransactionAge(Duration.ofHours(1)).build());
    }

    static FlywayEngine engine(DataSource ds, String location, Callback... extra) {
        return FlywayEngine.builder(Flyway.configure().dataSource(ds).locations("classpath:db/ev/" + location).callbacks(extra))
                .build();
    }

    static void dropLike(String prefix) throws SQLException {
        List<String> found = new ArrayList<>();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl());
             PreparedStatement ps = c.prepareStatement("select nspname from pg_namespace where nspname like ?")) {
            ps.setString(1, prefix.replace("_", "\\_") + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1));
                }
            }
            try (Statement st = c.createStatement()) {
                for (String s : found) {
                    st.execute("drop schema if exists \"" + s + "\" cascade");
                }
            }
        }
    }

    /** Versions in the schema's history, in order, with their success flag: {@code 1:true}. Empty when none. */
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

    /** The objects of {@code db/ev/two} present in the schema: "items", "note" (items.note). */
    static List<String> objects(String schema) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl());
             PreparedStatement ps = c.prepareStatement("select column_name from information_schema.columns"
                     + " where table_schema = ? and table_name = 'items' and column_name in ('id', 'note') order by 1")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1).equals("id") ? "items" : "note");
                }
            }
        }
        return out;
    }

    /**
     * No tenant half-migrated: every history row succeeded, and the schema holds exactly what its history says
     * (nothing: no objects; V1: items; V1 and V2: items and note).
     */
    static void assertWhole(String schema) throws SQLException {
        List<String> history = history(schema);
        assertThat(history).as(schema + " history").allMatch(h -> h.endsWith(":true"));
        List<String> expected = switch (history.size()) {
            case 0 -> List.of();
            case 1 -> List.of("items");
            default -> List.of("items", "note");
        };
        assertThat(objects(schema)).as(schema + " objects match its history " + history).containsExactlyElementsOf(expected);
    }

    /** Runs a command (as root on the CI machine), failing the test when it fails or takes longer than 3 minutes. */
    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }
}

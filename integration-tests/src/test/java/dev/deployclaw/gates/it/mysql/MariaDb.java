package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.TestDatabases;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The MariaDB servers of the MySQL-family tests: the primary (3306) and its replica (3307) built by
 * {@code .ci/mariadb.sh}, and a throwaway server with performance_schema ON and binary logging OFF (3308) built by
 * {@code .ci/mariadb-pfs.sh}. Databases the tests create are prefixed {@code my_}.
 */
final class MariaDb {
    static final String PFS_URL = System.getenv().getOrDefault("DEPLOYCLAW_MARIADB_PFS_URL",
            "jdbc:mysql://127.0.0.1:3308/test?user=root&password=&allowPublicKeyRetrieval=true&useSSL=false");

    private MariaDb() {
    }

    static String primaryUrl() {
        return TestDatabases.mariadbUrl();
    }

    static String replicaUrl() {
        return TestDatabases.mariadbReplicaUrl();
    }

    static String pfsUrl() {
        try (Connection c = TestDatabases.connect(PFS_URL)) {
            return PFS_URL;
        } catch (SQLException e) {
            if (TestDatabases.serversRequired()) {
                throw new IllegalStateException("MariaDB with performance_schema at " + PFS_URL + " is not reachable: run"
                        + " .ci/mariadb-pfs.sh", e);
            }
            org.junit.jupiter.api.Assumptions.abort("MariaDB with performance_schema at " + PFS_URL
                    + " is not reachable (run .ci/mariadb-pfs.sh); skipping");
            return null;
        }
    }

    /** The same server, database {@code db}. */
    static String withDatabase(String url, String db) {
        return url.replaceFirst("/[A-Za-z0-9_]*\\?", "/" + db + "?");
    }

    static DataSource dataSource(String url) {
        return TestDatabases.mysql(url);
    }

    static void exec(String url, String... sql) throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    static String string(String url, String sql) throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Recreates database {@code db} on the server of {@code url} and returns the URL pointing at it. */
    static String freshDatabase(String url, String db, String... ddl) throws SQLException {
        exec(url, "DROP DATABASE IF EXISTS `" + db + "`", "CREATE DATABASE `" + db + "`");
        String dbUrl = withDatabase(url, db);
        if (ddl.length > 0) {
            exec(dbUrl, ddl);
        }
        return dbUrl;
    }

    static void dropDatabase(String url, String db) {
        try {
            exec(url, "DROP DATABASE IF EXISTS `" + db + "`");
        } catch (SQLException ignored) {
            // best effort cleanup
        }
    }

    static AuditorConfig.Builder config(String url) {
        return AuditorConfig.builder(dataSource(url)).probeTimeout(Duration.ofSeconds(2));
    }

    static GateReport evaluate(AuditorConfig config, List<Gate> gates, UnaryOperator<MigrationRequest.Builder> request) {
        return new SecurityAuditor(config, gates, List.of()).enforcePreMigrationGates(request.apply(MigrationRequest.builder()).build());
    }

    static MigrationRequest.Builder alter(String sql) {
        return MigrationRequest.builder().operation(sql, DatabaseKind.MARIADB);
    }

    static Verdict only(GateReport report) {
        if (report.verdicts().size() != 1) {
            throw new AssertionError("expected one verdict, got " + report.verdicts());
        }
        return report.verdicts().get(0);
    }

    /** SHOW CREATE TABLE, to prove a DDL never ran. */
    static String showCreate(String url, String table) throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW CREATE TABLE `" + table + "`")) {
            rs.next();
            return rs.getString(2);
        }
    }
}

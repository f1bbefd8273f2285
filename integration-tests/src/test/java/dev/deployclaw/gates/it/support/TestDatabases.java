package dev.deployclaw.gates.it.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the real servers the tests run against, in this order:
 * <ol>
 *   <li>a JDBC URL from the environment ({@code DEPLOYCLAW_PG_URL}, {@code DEPLOYCLAW_PG_STANDBY_URL},
 *       {@code DEPLOYCLAW_MARIADB_URL}, {@code DEPLOYCLAW_MARIADB_REPLICA_URL});</li>
 *   <li>the local default ports (PostgreSQL 5432 with its standby on 5433, as {@code .ci/postgres.sh} builds them;
 *       MariaDB 3306 with its replica on 3307, as {@code .ci/mariadb.sh} builds them);</li>
 *   <li>Testcontainers, where a Docker engine is available (primary only: a standby needs the CI scripts).</li>
 * </ol>
 * When none answers, the test is skipped, unless {@code DEPLOYCLAW_REQUIRE_SERVERS=true} (set by {@code .ci/run}),
 * in which case it fails: CI must never pass by skipping every real-server test.
 */
public final class TestDatabases {
    public static final String PG_URL = env("DEPLOYCLAW_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    public static final String PG_STANDBY_URL = env("DEPLOYCLAW_PG_STANDBY_URL",
            "jdbc:postgresql://127.0.0.1:5433/test?user=postgres");
    public static final String MARIADB_URL = env("DEPLOYCLAW_MARIADB_URL",
            "jdbc:mysql://127.0.0.1:3306/test?user=root&password=&allowPublicKeyRetrieval=true&useSSL=false");
    public static final String MARIADB_REPLICA_URL = env("DEPLOYCLAW_MARIADB_REPLICA_URL",
            "jdbc:mysql://127.0.0.1:3307/test?user=root&password=&allowPublicKeyRetrieval=true&useSSL=false");
    /** Name of the local standby in pg_stat_replication (its cluster_name / application_name). */
    public static final String PG_STANDBY_NAME = env("DEPLOYCLAW_PG_STANDBY_NAME", "deployclaw-standby");

    private static final Map<String, Boolean> REACHABLE = new ConcurrentHashMap<>();
    private static volatile PostgreSQLContainer<?> container;

    private TestDatabases() {
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    public static boolean serversRequired() {
        return "true".equalsIgnoreCase(System.getenv("DEPLOYCLAW_REQUIRE_SERVERS"));
    }

    /** The PostgreSQL primary's URL, or skips / fails the test as described above. */
    public static String postgresUrl() {
        if (reachable(PG_URL)) {
            return PG_URL;
        }
        Optional<String> tc = testcontainersPostgres();
        if (tc.isPresent()) {
            return tc.get();
        }
        return unavailable("PostgreSQL primary at " + PG_URL);
    }

    public static String postgresStandbyUrl() {
        return reachable(PG_STANDBY_URL) ? PG_STANDBY_URL : unavailable("PostgreSQL standby at " + PG_STANDBY_URL
                + " (run .ci/postgres.sh)");
    }

    public static String mariadbUrl() {
        return reachable(MARIADB_URL) ? MARIADB_URL : unavailable("MariaDB at " + MARIADB_URL);
    }

    public static String mariadbReplicaUrl() {
        return reachable(MARIADB_REPLICA_URL) ? MARIADB_REPLICA_URL : unavailable("MariaDB replica at "
                + MARIADB_REPLICA_URL + " (run .ci/mariadb.sh)");
    }

    /** An unpooled DataSource for the PostgreSQL primary. */
    public static DataSource postgres() {
        return pgDataSource(postgresUrl());
    }

    public static DataSource postgresStandby() {
        return pgDataSource(postgresStandbyUrl());
    }

    public static PGSimpleDataSource pgDataSource(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setApplicationName("deployclaw-it");
        return ds;
    }

    /** A small Hikari pool, for tests that exercise pooled connections. Close it after the test. */
    public static HikariDataSource pooled(String url, int size) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setMaximumPoolSize(size);
        cfg.setPoolName("deployclaw-it");
        return new HikariDataSource(cfg);
    }

    /** An unpooled MySQL / MariaDB DataSource (Connector/J). */
    public static DataSource mysql(String url) {
        com.mysql.cj.jdbc.MysqlDataSource ds = new com.mysql.cj.jdbc.MysqlDataSource();
        ds.setURL(url);
        return ds;
    }

    public static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url);
    }

    private static boolean reachable(String url) {
        return REACHABLE.computeIfAbsent(url, u -> {
            try (Connection c = DriverManager.getConnection(u)) {
                return c.isValid(2);
            } catch (SQLException e) {
                return false;
            }
        });
    }

    private static Optional<String> testcontainersPostgres() {
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return Optional.empty();
            }
        } catch (Throwable t) {
            return Optional.empty();
        }
        synchronized (TestDatabases.class) {
            if (container == null) {
                PostgreSQLContainer<?> c = new PostgreSQLContainer<>("postgres:15");
                c.start();
                container = c;
            }
        }
        return Optional.of(container.getJdbcUrl() + "&user=" + container.getUsername() + "&password=" + container.getPassword());
    }

    private static <T> T unavailable(String what) {
        String msg = what + " is not reachable";
        if (serversRequired()) {
            throw new IllegalStateException(msg + " and DEPLOYCLAW_REQUIRE_SERVERS=true: start it with .ci/run");
        }
        Assumptions.abort(msg + "; skipping (set DEPLOYCLAW_REQUIRE_SERVERS=true to fail instead)");
        return null;
    }
}

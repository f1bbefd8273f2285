package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.RollbackPolicy;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.internal.Secrets;
import liquibase.database.Database;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Builds auditors from {@code deployclaw.*} properties for the listener's property constructors and the zero-wiring
 * step. The probe connection (the gates' own session) comes from {@code deployclaw.url} / {@code deployclaw.user} /
 * {@code deployclaw.password}, else from the Liquibase connection's own URL and user (enough with trust, peer,
 * {@code .pgpass} or a password in the URL; otherwise set {@code deployclaw.url} and friends: a probe that cannot
 * connect fails every gate closed, with the connection error in the report).
 */
final class PropertiesAuditorSource implements AuditorSource {
    static final String AUTO = "deployclaw.liquibase.auto";
    static final String VOLATILE_CHANGES = "deployclaw.liquibase.volatile-changes";
    static final String ENVIRONMENT_RECHECK = "deployclaw.liquibase.environment-recheck";

    private final Map<String, String> properties;
    private final LiquibaseGateOptions options;
    private final Map<String, SecurityAuditor> auditors = new ConcurrentHashMap<>();

    private PropertiesAuditorSource(Map<String, String> properties) {
        this.properties = properties;
        LiquibaseGateOptions.Builder b = LiquibaseGateOptions.builder();
        get(VOLATILE_CHANGES).ifPresent(v -> b.volatileChanges(parseEnum(VOLATILE_CHANGES, v, VolatileChanges.class)));
        get(ENVIRONMENT_RECHECK).ifPresent(v -> b.environmentRecheck(parseDuration(ENVIRONMENT_RECHECK, v)));
        get("deployclaw.tenant-id").ifPresent(b::tenant);
        this.options = b.build();
    }

    /** {@code overrides} (may be null) over system properties over {@code DEPLOYCLAW_*} environment variables. */
    static PropertiesAuditorSource load(Properties overrides) {
        Map<String, String> all = new LinkedHashMap<>();
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("DEPLOYCLAW_")) {
                all.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        System.getProperties().forEach((k, v) -> {
            if (k.toString().startsWith("deployclaw.")) {
                all.put(k.toString(), v.toString());
            }
        });
        if (overrides != null) {
            overrides.forEach((k, v) -> all.put(k.toString(), v.toString()));
        }
        return new PropertiesAuditorSource(all);
    }

    /** Whether the zero-wiring step attaches the gate: {@value #AUTO} (default true). */
    static boolean autoAttach() {
        String v = System.getProperty(AUTO, System.getenv("DEPLOYCLAW_LIQUIBASE_AUTO"));
        if (v == null || v.isBlank()) {
            return true;
        }
        if (v.strip().equalsIgnoreCase("true") || v.strip().equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v.strip());
        }
        throw new IllegalArgumentException(AUTO + " must be true or false, but was '" + v + "'");
    }

    LiquibaseGateOptions options() {
        return options;
    }

    @Override
    public SecurityAuditor auditorFor(Database database) {
        Probe probe = probeFor(database);
        return auditors.computeIfAbsent(probe.url() + "|" + probe.user(), k -> new SecurityAuditor(config(probe)));
    }

    private AuditorConfig config(DataSource primary) {
        AuditorConfig.Builder b = AuditorConfig.builder(primary);
        get("deployclaw.rollback-policy").ifPresent(v -> b.rollbackPolicy(parseEnum("deployclaw.rollback-policy", v, RollbackPolicy.class)));
        get("deployclaw.require-point-in-time-recovery").ifPresent(v -> b.requirePointInTimeRecovery(Boolean.parseBoolean(v)));
        get("deployclaw.max-transaction-age").ifPresent(v -> b.maxTransactionAge(parseDuration("deployclaw.max-transaction-age", v)));
        get("deployclaw.tenant-id").ifPresent(b::tenantId);
        get("deployclaw.replica-lag-threshold").ifPresent(v -> b.replicaLagThreshold(parseDuration("deployclaw.replica-lag-threshold", v)));
        return b.build();
    }

    private Probe probeFor(Database database) {
        Optional<String> url = get("deployclaw.url");
        String password = get("deployclaw.password").orElse(null);
        if (url.isPresent()) {
            return new Probe(url.get(), get("deployclaw.user").orElse(null), password);
        }
        Connection session = GateChangeExecListener.session(database).orElseThrow(() -> new IllegalStateException(
                "deployclaw.url must be set: the Liquibase database " + database.getShortName() + " has no JDBC connection"
                        + " to derive the gates' probe connection from"));
        try {
            DatabaseMetaData md = session.getMetaData();
            return new Probe(md.getURL(), get("deployclaw.user").orElse(md.getUserName()), password);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the Liquibase connection's URL to open the gates' probe"
                    + " connection: " + Secrets.mask(String.valueOf(e.getMessage())) + "; set deployclaw.url", e);
        }
    }

    private Optional<String> get(String key) {
        String v = properties.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    private static <E extends Enum<E>> E parseEnum(String key, String value, Class<E> type) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " must be one of " + java.util.Arrays.toString(type.getEnumConstants())
                    + ", but was '" + value + "'", e);
        }
    }

    private static Duration parseDuration(String key, String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
        } catch (RuntimeException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(key + " must be a duration such as 500ms, 30s, 2m or PT1M, but was '" + value + "'");
    }

    /** The gates' probe connection: a new JDBC session to the same database as Liquibase's. */
    private record Probe(String url, String user, String password) implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            return DriverManager.getConnection(url, p);
        }

        @Override
        public Connection getConnection(String username, String pw) throws SQLException {
            return DriverManager.getConnection(url, username, pw);
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }

        @Override
        public String toString() {
            return "Probe[" + Secrets.mask(url) + ", user " + user + "]";
        }
    }
}

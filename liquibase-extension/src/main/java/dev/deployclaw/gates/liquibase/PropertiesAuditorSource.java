package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.GateProperties;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.internal.Secrets;
import dev.deployclaw.gates.core.internal.UrlDataSource;
import liquibase.database.Database;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds auditors from {@code deployclaw.*} properties, read by the one parser ({@link GateProperties}), for the
 * listener's property constructors and the zero-wiring step. The gates' own connection comes from
 * {@code deployclaw.liquibase.url} / {@code .user} / {@code .password}, else from the Liquibase connection's own URL
 * and user (enough with trust, peer, {@code .pgpass} or a password in the URL; otherwise set
 * {@code deployclaw.liquibase.url} and friends: a probe that cannot connect fails every gate closed, with the
 * connection error in the report).
 */
final class PropertiesAuditorSource implements AuditorSource {
    private final GateProperties properties;
    private final LiquibaseGateOptions options;
    private final Map<String, SecurityAuditor> auditors = new ConcurrentHashMap<>();

    private PropertiesAuditorSource(GateProperties properties) {
        this.properties = properties;
        LiquibaseGateOptions.Builder b = LiquibaseGateOptions.builder();
        properties.get("liquibase.volatileChanges").ifPresent(v -> b.volatileChanges(volatileChanges(v)));
        properties.get("liquibase.environmentRecheck").ifPresent(v -> b.environmentRecheck(
                GateProperties.duration("liquibase.environmentRecheck", v)));
        properties.get("tenantId").ifPresent(b::tenant);
        this.options = b.build();
    }

    /** {@code overrides} (may be null; only {@code deployclaw.*} keys count) over system properties over the environment. */
    static PropertiesAuditorSource load(Properties overrides) {
        GateProperties p = GateProperties.fromSystem();
        if (overrides != null) {
            Map<String, String> m = new LinkedHashMap<>();
            overrides.forEach((k, v) -> m.put(String.valueOf(k), String.valueOf(v)));
            p = p.with(m);
        }
        return new PropertiesAuditorSource(p);
    }

    /** Whether the zero-wiring step attaches the gate ({@value GateProperties#LIQUIBASE_AUTO_REGISTER}, default true). */
    static boolean autoAttach() {
        return GateProperties.fromSystem().liquibaseAutoRegister();
    }

    LiquibaseGateOptions options() {
        return options;
    }

    @Override
    public SecurityAuditor auditorFor(Database database) {
        Probe probe = probeFor(database);
        return auditors.computeIfAbsent(probe.url() + "|" + probe.user(), k -> new SecurityAuditor(
                properties.toConfig(new UrlDataSource(probe.url(), probe.user(), probe.password()))));
    }

    private Probe probeFor(Database database) {
        Optional<String> url = properties.get("liquibase.url");
        String password = properties.get("liquibase.password").orElse(null);
        if (url.isPresent()) {
            return new Probe(url.get(), properties.get("liquibase.user").orElse(null), password);
        }
        Connection session = GateChangeExecListener.session(database).orElseThrow(() -> new IllegalStateException(
                "deployclaw.liquibase.url must be set: the Liquibase database " + database.getShortName() + " has no JDBC"
                        + " connection to derive the gates' own connection from"));
        try {
            DatabaseMetaData md = session.getMetaData();
            return new Probe(md.getURL(), properties.get("liquibase.user").orElse(md.getUserName()), password);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the Liquibase connection's URL to open the gates' own"
                    + " connection: " + Secrets.mask(String.valueOf(e.getMessage())) + "; set deployclaw.liquibase.url", e);
        }
    }

    private static VolatileChanges volatileChanges(String v) {
        try {
            return VolatileChanges.valueOf(v.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("deployclaw.liquibase.volatileChanges must be one of "
                    + java.util.Arrays.toString(VolatileChanges.values()) + ", but was '" + v + "'", e);
        }
    }

    /** Where the gates' own connection goes. {@link #toString()} never shows the password. */
    private record Probe(String url, String user, String password) {
        @Override
        public String toString() {
            return "Probe[" + Secrets.mask(url) + ", user " + user + "]";
        }
    }
}

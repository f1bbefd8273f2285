package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.internal.Secrets;
import dev.deployclaw.gates.core.internal.UrlDataSource;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one parser of string configuration: {@code deployclaw.*} properties (Flyway placeholders, system properties,
 * a properties file) and {@code DEPLOYCLAW_*} environment variables, turned into an {@link AuditorConfig}.
 *
 * <p>Keys (property form; the environment form is the upper-snake-case of the part after {@code deployclaw.},
 * e.g. {@code DEPLOYCLAW_REPLICA_LAG_THRESHOLD}):
 * <pre>
 * deployclaw.tenantId                    tenant guarded (default: none)
 * deployclaw.replicaLagThreshold         duration, default 500ms
 * deployclaw.maxLockWait                 duration, default 3s
 * deployclaw.maxTransactionAge           duration, default 30s
 * deployclaw.statementTimeout            duration, default 5m
 * deployclaw.probeTimeout                duration, default 2s
 * deployclaw.requiredIsolation           READ_COMMITTED (default), REPEATABLE_READ, SERIALIZABLE, ...
 * deployclaw.isolationPolicy             ADJUST (default) | REJECT
 * deployclaw.rollbackPolicy              REQUIRE_PLAN (default) | REPORT
 * deployclaw.requirePointInTimeRecovery  true (default) | false
 * deployclaw.maxArchiveAge               duration, default 24h
 * deployclaw.maxBackupAge                duration, default 24h
 * deployclaw.heartbeatTable              [schema.]table, default public.deployclaw_heartbeat
 * deployclaw.tenantSchemaPattern         SQL LIKE pattern of tenant schemas
 * deployclaw.minBinlogRetention          duration, default 7d (MySQL/MariaDB binary log retention)
 * deployclaw.lockRetries                 0..10, default 2 (executeWithMonitoring retries after a lock timeout)
 * deployclaw.lockRetryBackoff            duration, default 250ms (doubled before each further retry)
 * deployclaw.ddl.warnRows / .blockRows   table rows at which a size-aware DDL finding warns / blocks (10000 / 1000000)
 * deployclaw.ddl.warnBytes / .blockBytes table bytes at which it warns / blocks (104857600 / 1073741824)
 * deployclaw.replicas.NAME.url           JDBC URL of a replica read directly (also .user, .password)
 * deployclaw.flyway.autoRegister         true (default) | false: the zero-wiring Flyway callback
 * deployclaw.flyway.environmentRecheck   duration, default 1m: re-run the environment gates during a long migrate
 * deployclaw.liquibase.autoRegister      true (default) | false: the zero-wiring Liquibase command step
 * deployclaw.liquibase.volatileChanges   BLOCK (default) | PREVIEW_AT_RUN_TIME: changes whose SQL exists only at run time
 * deployclaw.liquibase.environmentRecheck duration, default 1m: re-run the environment gates during a long update
 * deployclaw.liquibase.url               JDBC URL of the gates' own connection (default: Liquibase's URL and user)
 * deployclaw.liquibase.user / .password  its credentials
 * </pre>
 * Durations are {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 ({@code PT2S}).
 * An unknown {@code deployclaw.*} property is an error listing the valid keys; environment variables that are not
 * keys are ignored (the environment is shared). Explicit properties win over the environment.
 */
public final class GateProperties {
    public static final String PREFIX = "deployclaw.";
    public static final String ENV_PREFIX = "DEPLOYCLAW_";
    public static final String AUTO_REGISTER = "deployclaw.flyway.autoRegister";
    public static final String LIQUIBASE_AUTO_REGISTER = "deployclaw.liquibase.autoRegister";

    private static final List<String> KEYS = List.of("tenantId", "replicaLagThreshold", "maxLockWait", "maxTransactionAge",
            "statementTimeout", "probeTimeout", "requiredIsolation", "isolationPolicy", "rollbackPolicy",
            "requirePointInTimeRecovery", "maxArchiveAge", "maxBackupAge", "heartbeatTable", "tenantSchemaPattern",
            "minBinlogRetention", "lockRetries", "lockRetryBackoff", "ddl.warnRows", "ddl.blockRows", "ddl.warnBytes",
            "ddl.blockBytes",
            "flyway.autoRegister", "flyway.environmentRecheck", "liquibase.autoRegister", "liquibase.volatileChanges", "liquibase.environmentRecheck",
            "liquibase.url", "liquibase.user", "liquibase.password");
    private static final Pattern REPLICA_KEY = Pattern.compile("replicas\\.([A-Za-z0-9_-]+)\\.(url|user|password)");
    private static final Pattern ENV_REPLICA = Pattern.compile("REPLICAS_([A-Z0-9]+)_(URL|USER|PASSWORD)");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final Map<String, String> values;

    private GateProperties(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** No settings: every default. */
    public static GateProperties empty() {
        return new GateProperties(Map.of());
    }

    /**
     * Reads {@code properties} (only keys starting with {@code deployclaw.}; others are ignored) over {@code env}
     * (only {@code DEPLOYCLAW_*} names that map to a key). Validates every value now.
     *
     * @throws IllegalArgumentException naming the key and the value, for an unknown key or a bad value
     */
    public static GateProperties of(Map<String, String> properties, Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, v) -> fromEnv(k).ifPresent(key -> out.put(key, v)));
        properties.forEach((k, v) -> {
            if (k != null && k.startsWith(PREFIX)) {
                out.put(checkKey(k.substring(PREFIX.length())), v == null ? "" : v.strip());
            }
        });
        GateProperties p = new GateProperties(out);
        p.validate();
        return p;
    }

    /** System properties over the process environment. */
    public static GateProperties fromSystem() {
        Map<String, String> props = new LinkedHashMap<>();
        System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
        return of(props, System.getenv());
    }

    /** These properties with {@code overrides} ({@code deployclaw.*} keys) applied on top. */
    public GateProperties with(Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>();
        values.forEach((k, v) -> merged.put(PREFIX + k, v));
        merged.putAll(overrides);
        return of(merged, Map.of());
    }

    /** The raw value of a key (without the {@code deployclaw.} prefix), if set. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** Whether the zero-wiring Flyway callback is on ({@value #AUTO_REGISTER}, default true). */
    public boolean autoRegister() {
        return get("flyway.autoRegister").map(v -> bool("flyway.autoRegister", v)).orElse(true);
    }

    /** Whether the zero-wiring Liquibase command step is on ({@value #LIQUIBASE_AUTO_REGISTER}, default true). */
    public boolean liquibaseAutoRegister() {
        return get("liquibase.autoRegister").map(v -> bool("liquibase.autoRegister", v)).orElse(true);
    }

    /** Builds the auditor configuration for {@code primary} from these properties. */
    public AuditorConfig toConfig(DataSource primary) {
        AuditorConfig.Builder b = AuditorConfig.builder(primary);
        apply(b);
        return b.build();
    }

    /** Applies every set key to {@code builder}. */
    public AuditorConfig.Builder apply(AuditorConfig.Builder b) {
        Map<String, Map<String, String>> replicas = new TreeMap<>();
        Map<String, Long> sizes = new TreeMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            try {
                switch (k) {
                    case "tenantId" -> b.tenantId(v);
                    case "replicaLagThreshold" -> b.replicaLagThreshold(duration(k, v));
                    case "maxLockWait" -> b.maxLockWait(duration(k, v));
                    case "maxTransactionAge" -> b.maxTransactionAge(duration(k, v));
                    case "statementTimeout" -> b.statementTimeout(duration(k, v));
                    case "probeTimeout" -> b.probeTimeout(duration(k, v));
                    case "requiredIsolation" -> b.requiredIsolation(v);
                    case "isolationPolicy" -> b.isolationPolicy(enumValue(k, v, IsolationPolicy.class));
                    case "rollbackPolicy" -> b.rollbackPolicy(enumValue(k, v, RollbackPolicy.class));
                    case "requirePointInTimeRecovery" -> b.requirePointInTimeRecovery(bool(k, v));
                    case "maxArchiveAge" -> b.maxArchiveAge(duration(k, v));
                    case "maxBackupAge" -> b.maxBackupAge(duration(k, v));
                    case "heartbeatTable" -> b.heartbeatTable(v);
                    case "tenantSchemaPattern" -> b.tenantSchemaPattern(v);
                    case "minBinlogRetention" -> b.minBinlogRetention(duration(k, v));
                    case "lockRetries" -> b.lockRetries((int) number(k, v, 10));
                    case "lockRetryBackoff" -> b.lockRetryBackoff(duration(k, v));
                    case "ddl.warnRows", "ddl.blockRows", "ddl.warnBytes", "ddl.blockBytes" -> sizes.put(k, number(k, v, Long.MAX_VALUE));
                    case "flyway.autoRegister", "liquibase.autoRegister" -> bool(k, v);
                    case "liquibase.environmentRecheck", "flyway.environmentRecheck" -> duration(k, v);
                    default -> {
                        Matcher m = REPLICA_KEY.matcher(k);
                        if (m.matches()) {
                            replicas.computeIfAbsent(m.group(1), n -> new LinkedHashMap<>()).put(m.group(2), v);
                        }
                    }
                }
            } catch (IllegalArgumentException ex) {
                if (ex.getMessage() != null && ex.getMessage().startsWith(PREFIX)) {
                    throw ex;
                }
                throw new IllegalArgumentException(PREFIX + k + ": " + ex.getMessage(), ex);
            }
        }
        if (!sizes.isEmpty()) {
            dev.deployclaw.gates.core.ddl.SizeThresholds d = dev.deployclaw.gates.core.ddl.SizeThresholds.DEFAULTS;
            try {
                b.ddlSizeThresholds(new dev.deployclaw.gates.core.ddl.SizeThresholds(sizes.getOrDefault("ddl.warnRows", d.warnRows()),
                        sizes.getOrDefault("ddl.blockRows", d.blockRows()), sizes.getOrDefault("ddl.warnBytes", d.warnBytes()),
                        sizes.getOrDefault("ddl.blockBytes", d.blockBytes())));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(PREFIX + "ddl.*: " + ex.getMessage(), ex);
            }
        }
        replicas.forEach((name, r) -> {
            String url = r.get("url");
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException(PREFIX + "replicas." + name + ".url must be set (a JDBC URL), but"
                        + " only " + r.keySet() + " were given");
            }
            b.replica(name, new UrlDataSource(jdbcUrl(PREFIX + "replicas." + name + ".url", url), r.get("user"),
                    r.get("password")));
        });
        return b;
    }

    private void validate() {
        apply(AuditorConfig.builder(new UrlDataSource("jdbc:validate-only", null, null)));
    }

    /** Parses {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT2S}. */
    public static Duration duration(String key, String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(t);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            return Duration.parse(text.strip().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException | ArithmeticException | NullPointerException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be a duration such as 500ms, 2s, 5m or PT2S, but was '"
                    + shown(text) + "'");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be a duration of at most 7 days, but was '"
                    + shown(text) + "' (too large to read)");
        }
    }

    /**
     * Checks the shape of a JDBC URL ({@code jdbc:<subprotocol>:<rest>}, no whitespace or control characters) so a
     * typo fails at configuration time, naming the key; the message masks any password in the URL.
     */
    public static String jdbcUrl(String key, String url) {
        if (url == null || !url.matches("jdbc:[a-zA-Z0-9]+:\\S+") || url.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(key + " must be a JDBC URL such as jdbc:postgresql://host:5432/db, but was '"
                    + shown(url) + "'");
        }
        return url;
    }

    /** A value as an error message may show it: passwords masked, control characters escaped, at most 200 chars. */
    private static String shown(String v) {
        if (v == null) {
            return "null";
        }
        String masked = dev.deployclaw.gates.core.internal.Identifiers.printable(Secrets.mask(v));
        return masked.length() > 200 ? masked.substring(0, 200) + "…" : masked;
    }

    private static long number(String key, String v, long max) {
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0 || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be a whole number from 0 to " + max + ", but was '"
                    + shown(v) + "'");
        }
    }

    private static boolean bool(String key, String v) {
        if ("true".equalsIgnoreCase(v) || "false".equalsIgnoreCase(v)) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(PREFIX + key + " must be true or false, but was '" + shown(v) + "'");
    }

    private static <E extends Enum<E>> E enumValue(String key, String v, Class<E> type) {
        try {
            return Enum.valueOf(type, v.strip().toUpperCase(Locale.ROOT).replace(' ', '_').replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be one of " + List.of(type.getEnumConstants())
                    + ", but was '" + shown(v) + "'");
        }
    }

    private static String checkKey(String key) {
        if (KEYS.contains(key) || REPLICA_KEY.matcher(key).matches()) {
            return key;
        }
        throw new IllegalArgumentException("unknown property " + PREFIX + key + "; valid keys: " + KEYS.stream()
                .map(k -> PREFIX + k).toList() + " and " + PREFIX + "replicas.<name>.url|user|password");
    }

    private static Optional<String> fromEnv(String name) {
        if (name == null || !name.startsWith(ENV_PREFIX)) {
            return Optional.empty();
        }
        String rest = name.substring(ENV_PREFIX.length());
        Matcher m = ENV_REPLICA.matcher(rest);
        if (m.matches()) {
            return Optional.of("replicas." + m.group(1).toLowerCase(Locale.ROOT) + "." + m.group(2).toLowerCase(Locale.ROOT));
        }
        for (String k : KEYS) {
            if (envName(k).equals(rest)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** {@code replicaLagThreshold} → {@code REPLICA_LAG_THRESHOLD}; {@code flyway.autoRegister} → {@code FLYWAY_AUTO_REGISTER}. */
    static String envName(String key) {
        return key.replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        values.forEach((k, v) -> shown.put(PREFIX + k, k.endsWith("password") ? "****" : Secrets.mask(v)));
        return "GateProperties" + shown;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GateProperties p && p.values.equals(values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(values);
    }
}

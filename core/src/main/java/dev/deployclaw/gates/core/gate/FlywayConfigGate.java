package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blocks a Flyway configuration that cannot finish: on PostgreSQL, with Flyway's default
 * {@code postgresql.transactional.lock=true}, Flyway holds its advisory lock inside an open transaction on its own
 * session; a non-transactional migration that builds an index {@code CONCURRENTLY} waits for every older
 * transaction to end, including that one, and hangs forever. Engine-neutral: it reads the tool setting from
 * {@link dev.deployclaw.gates.core.MigrationRequest#attributes()} (set by the Flyway adapter), and is SKIPPED for
 * requests that do not carry it.
 */
public final class FlywayConfigGate implements Gate {
    public static final GateId ID = GateId.of("flyway-config");
    /** The request attribute the Flyway adapter sets: {@code true} or {@code false}. */
    public static final String TRANSACTIONAL_LOCK = "flyway.postgresql.transactional.lock";
    /** Statements that wait for every older transaction (their snapshots), so also for Flyway's lock transaction. */
    private static final Pattern WAITS_FOR_OLDER_TRANSACTIONS = Pattern.compile(
            "(?is)^(\\s*(--[^\\n]*(\\n|$)|/\\*.*?\\*/))*\\s*(create\\s+(unique\\s+)?index\\s+concurrently\\b|reindex\\s+(\\(.*?\\)\\s*)?(index|table|schema|database|system)\\s+concurrently\\b)");

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public String action() {
        return "Checking the migration tool's configuration for self-deadlocks";
    }

    @Override
    public Verdict evaluate(GateContext ctx) {
        String lock = ctx.request().attributes().get(TRANSACTIONAL_LOCK);
        if (lock == null) {
            return Verdicts.skipped(this, "Not a Flyway migration: no Flyway settings in the request.");
        }
        if (ctx.dialect().kind() != DatabaseKind.POSTGRESQL) {
            return Verdicts.skipped(this, "Flyway's transactional lock exists on PostgreSQL only; this is " + ctx.dialect().kind() + ".");
        }
        if (ctx.request().environmentOnly()) {
            return Verdicts.skipped(this, "Flyway settings are checked per migration, against its statements.");
        }
        List<String> waiting = new ArrayList<>();
        for (String s : ctx.request().statements()) {
            Matcher m = WAITS_FOR_OLDER_TRANSACTIONS.matcher(s);
            if (m.find()) {
                waiting.add(firstLine(s.substring(m.start(4))));
            }
        }
        List<Evidence> ev = List.of(Evidence.fact("postgresql.transactional.lock", lock),
                Evidence.fact("statements waiting for older transactions", waiting.size()));
        if (waiting.isEmpty()) {
            return Verdicts.passed(this, "No statement waits for older transactions (postgresql.transactional.lock="
                    + lock + ").", ev);
        }
        if (!Boolean.parseBoolean(lock.strip().toLowerCase(Locale.ROOT))) {
            return Verdicts.passed(this, "Flyway's lock is session-level (postgresql.transactional.lock=false), so "
                    + waiting.size() + " concurrent index build(s) can finish.", ev);
        }
        String version = ctx.request().migrationVersion().map(v -> "Migration " + v).orElse("The migration");
        return Verdicts.failed(this, version + " runs " + waiting.get(0) + (waiting.size() > 1 ? " (and " + (waiting.size() - 1)
                + " more)" : "") + " outside a transaction while Flyway holds its lock inside one"
                + " (postgresql.transactional.lock=true, the default): the index build waits for Flyway's own idle"
                + " transaction and never finishes. Turn Flyway's transactional lock off:"
                + " configuration.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false),"
                + " or FlywayEngine.builder(...).transactionalLock(false), or flyway.postgresql.transactional.lock=false /"
                + " FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK=false (Flyway 13 reads these two only with Jackson 3,"
                + " tools.jackson.core:jackson-databind, on the classpath).", ev);
    }

    private static String firstLine(String sql) {
        String one = sql.strip().replaceAll("\\s+", " ");
        return one.length() > 80 ? one.substring(0, 77) + "..." : one;
    }
}

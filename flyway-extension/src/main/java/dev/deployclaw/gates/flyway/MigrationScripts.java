package dev.deployclaw.gates.flyway;

import dev.deployclaw.gates.core.RollbackPlan;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.configuration.Configuration;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a pending Flyway migration will run, as Flyway will run it (placeholders replaced), and its rollback
 * plan: an undo script {@code U<version>__*.sql} beside it, or the marker
 * {@code -- deployclaw:roll-forward-only <reason>} in the script. Translation only.
 */
final class MigrationScripts {
    /** The roll-forward-only marker; the reason after it is required. */
    static final Pattern ROLL_FORWARD_ONLY = Pattern.compile("(?m)^\\s*--\\s*deployclaw:roll-forward-only\\b[ \\t]*(.*)$");
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private MigrationScripts() {
    }

    /**
     * What the gates read of a Flyway configuration, read once per Flyway run: Flyway 13's getters rebuild their values
     * on every call ({@code getLocations()} parses every location again, about 45 µs a call), and a run asks for them
     * before each of its migrations.
     */
    record Settings(ScriptCatalog catalog, boolean placeholderReplacement, Pattern placeholder, Map<String, String> configured,
                    String table, String workingDirectory, String environment, String separator) {
        static Settings of(Configuration cfg, ScriptCatalog catalog) {
            Map<String, String> configured = new LinkedHashMap<>();
            cfg.getPlaceholders().forEach((k, v) -> configured.put(k.toLowerCase(Locale.ROOT), v));
            return new Settings(catalog, cfg.isPlaceholderReplacement(), Pattern.compile(Pattern.quote(cfg.getPlaceholderPrefix())
                    + "(.+?)" + Pattern.quote(cfg.getPlaceholderSuffix())), Collections.unmodifiableMap(configured), cfg.getTable(),
                    cfg.getWorkingDirectory() == null ? System.getProperty("user.dir") : cfg.getWorkingDirectory(),
                    String.valueOf(cfg.getCurrentEnvironmentName()), cfg.getSqlMigrationSeparator());
        }
    }

    /** The script's text with placeholders replaced, or empty when it is not a SQL script in a readable location. */
    static Optional<String> sql(Settings cfg, MigrationInfo mi, Connection c, String schema) throws SQLException {
        String script = mi.getScript();
        if (script == null || !script.toLowerCase(Locale.ROOT).endsWith(".sql")) {
            return Optional.empty();
        }
        Optional<String> text = cfg.catalog().read(script);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Boolean replace = mi.isPlaceholderReplacement();
        if (!cfg.placeholderReplacement() || Boolean.FALSE.equals(replace)) {
            return text;
        }
        return Optional.of(replacePlaceholders(text.get(), cfg.placeholder(), placeholders(cfg, c, schema, script)));
    }

    /** Flyway's placeholders: configured ones and the built-in {@code flyway:*} ones. Keys are lower case. */
    static Map<String, String> placeholders(Settings cfg, Connection c, String schema, String script) throws SQLException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("flyway:defaultschema", schema);
        p.put("flyway:user", c.getMetaData().getUserName());
        p.put("flyway:database", String.valueOf(c.getCatalog()));
        p.put("flyway:timestamp", TIMESTAMP.format(LocalDateTime.now()));
        p.put("flyway:filename", ScriptCatalog.fileName(script));
        p.put("flyway:table", cfg.table());
        p.put("flyway:workingdirectory", cfg.workingDirectory());
        p.put("flyway:environment", cfg.environment());
        p.putAll(cfg.configured());
        return p;
    }

    static String replacePlaceholders(String sql, Pattern placeholder, Map<String, String> values) {
        Matcher m = placeholder.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1).strip().toLowerCase(Locale.ROOT));
            // an unknown placeholder is left as is: Flyway itself refuses the script with its own message
            m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The rollback plan of a versioned migration: the marker in its text, else an undo script with the same version
     * in the same directory, else none.
     */
    static RollbackPlan rollbackPlan(Settings cfg, MigrationInfo mi, String sql) {
        Matcher marker = ROLL_FORWARD_ONLY.matcher(sql);
        if (marker.find()) {
            String reason = marker.group(1).strip();
            if (reason.isEmpty()) {
                return RollbackPlan.none("the -- deployclaw:roll-forward-only marker in " + mi.getScript()
                        + " has no reason; write one after it");
            }
            return new RollbackPlan(RollbackPlan.Kind.ROLL_FORWARD_ONLY, reason);
        }
        MigrationVersion version = mi.getVersion();
        if (version == null) {
            return RollbackPlan.none("repeatable migration " + mi.getScript());
        }
        String separator = cfg.separator();
        for (String sibling : cfg.catalog().siblings(mi.getScript())) {
            String name = ScriptCatalog.fileName(sibling);
            int sep = name.indexOf(separator);
            if (name.startsWith("U") && sep > 1 && name.toLowerCase(Locale.ROOT).endsWith(".sql")) {
                try {
                    if (MigrationVersion.fromVersion(name.substring(1, sep)).equals(version)) {
                        return new RollbackPlan(RollbackPlan.Kind.UNDO_SCRIPT, sibling);
                    }
                } catch (RuntimeException notAVersion) {
                    // U-prefixed file that is not an undo script: not a plan
                }
            }
        }
        return RollbackPlan.none("no undo script U" + version + separator + "*.sql beside " + mi.getScript()
                + " and no -- deployclaw:roll-forward-only marker");
    }
}

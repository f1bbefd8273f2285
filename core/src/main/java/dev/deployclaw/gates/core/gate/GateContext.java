package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.dialect.Dialect;

import java.sql.Connection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a gate may read, all of it present: the configuration, the request, the dialect, an open probe
 * connection to the primary (its queries bounded by the probe timeout), and what the statements touch.
 *
 * @param config        the auditor's configuration
 * @param request       what is about to run
 * @param dialect       SQL of the database family
 * @param probe         the gate engine's own connection to the primary
 * @param defaultSchema the schema unqualified table names resolve to
 * @param tables        the tables the statements touch; empty when a statement's form is not understood, in which
 *                      case gates must assume every table of {@code defaultSchema} may be touched
 * @param excludedPids  sessions that belong to the migration itself (its own locks are not blockers)
 */
public record GateContext(AuditorConfig config, MigrationRequest request, Dialect dialect, Connection probe,
                          String defaultSchema, Optional<Set<TableRef>> tables, List<Long> excludedPids) {
    public GateContext {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(dialect, "dialect");
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(defaultSchema, "defaultSchema");
        Objects.requireNonNull(tables, "tables");
        excludedPids = List.copyOf(excludedPids);
    }

    /** The isolation level required for this request: the request's own, else the configured one. */
    public dev.deployclaw.gates.core.IsolationLevel requiredIsolation() {
        return request.isolationLevel().orElse(config.requiredIsolation());
    }

    /** Who is being migrated, for messages: {@code tenant acme (schema tenant_acme)}. */
    public String target() {
        return request.tenant().map(t -> "tenant " + t + " (schema " + defaultSchema + ")").orElse("schema " + defaultSchema);
    }
}

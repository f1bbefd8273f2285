package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.internal.Identifiers;

import javax.sql.DataSource;
import java.util.Objects;
import java.util.Optional;

/**
 * One tenant to migrate: its id, the schema holding its tables, and, for {@link Topology#DATABASE_PER_TENANT}, its
 * own database. The id and schema are validated when the tenant is created (ASCII letters, digits and {@code _},
 * 1 to 63 characters, see {@link Identifiers#requireValidName}), so a hostile name is rejected before any SQL runs.
 *
 * @param id         the tenant's id, as reports show it
 * @param schema     the schema migrated for this tenant
 * @param dataSource the tenant's own database; empty when the tenant lives in the migrator's database
 */
public record Tenant(String id, String schema, Optional<DataSource> dataSource) {
    public Tenant {
        Identifiers.requireValidName("tenant", id);
        Identifiers.requireValidName("schema of tenant " + id, schema);
        Objects.requireNonNull(dataSource, "dataSource");
    }

    /** A tenant whose schema has the tenant's name. */
    public static Tenant of(String id) {
        return new Tenant(id, id, Optional.empty());
    }

    public static Tenant of(String id, String schema) {
        return new Tenant(id, schema, Optional.empty());
    }

    /** A tenant in a database of its own ({@link Topology#DATABASE_PER_TENANT}). */
    public static Tenant inDatabase(String id, String schema, DataSource dataSource) {
        return new Tenant(id, schema, Optional.of(Objects.requireNonNull(dataSource, "dataSource of tenant " + id)));
    }

    @Override
    public String toString() {
        return id.equals(schema) ? id : id + " (schema " + schema + ")";
    }
}

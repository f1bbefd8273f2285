package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.internal.Identifiers;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where the tenants to migrate come from: a list, a schema-name pattern, or a registry table. Every name, given or
 * discovered, becomes a {@link Tenant}, which validates it; a hostile name (quotes, semicolons, {@code --}, spaces,
 * over 63 characters, empty) is rejected with an error naming it. A given list is validated when the source is
 * created, before any SQL runs; discovered names fail the discovery (fail closed) instead of being skipped.
 */
@FunctionalInterface
public interface TenantSource {
    /**
     * LIKE patterns may use letters, digits, {@code _}, the wildcard {@code %} and {@code \} (to escape {@code _});
     * nothing else is accepted. The pattern is a bind parameter either way.
     */
    Pattern LIKE_PATTERN = Pattern.compile("[A-Za-z0-9_%\\\\]{1,63}");

    /**
     * The tenants, in migration order (canaries are chosen from the front of this list when given as a count).
     *
     * @param primary the migrator's database, for discovery queries
     */
    List<Tenant> tenants(DataSource primary) throws SQLException;

    /** The given tenants (schema = id), validated now. Duplicates are an error. */
    static TenantSource list(String... ids) {
        return list(Arrays.asList(ids));
    }

    /** The given tenants (schema = id), validated now. Duplicates are an error. */
    static TenantSource list(Collection<String> ids) {
        Objects.requireNonNull(ids, "tenant ids");
        List<Tenant> tenants = new ArrayList<>();
        for (String id : ids) {
            tenants.add(Tenant.of(id));
        }
        return of(tenants);
    }

    /** The given tenants, validated now. Duplicates are an error. */
    static TenantSource of(List<Tenant> tenants) {
        List<Tenant> copy = List.copyOf(requireDistinct(tenants));
        return primary -> copy;
    }

    /**
     * Every schema whose name matches the SQL LIKE pattern (e.g. {@code tenant%}), sorted by name; the tenant id is
     * the schema name. Note that {@code _} in LIKE matches any one character: write {@code tenant\\_%} to match a
     * literal underscore.
     */
    static TenantSource schemaPattern(String likePattern) {
        if (likePattern == null || !LIKE_PATTERN.matcher(likePattern).matches()) {
            throw new IllegalArgumentException("tenant schema pattern must be 1-63 characters of letters, digits, '_', '%'"
                    + " and '\\', but was '" + (likePattern == null ? "null" : Identifiers.printable(likePattern)) + "'");
        }
        return primary -> {
            try (Connection c = primary.getConnection()) {
                Dialect d = Dialects.forKind(Dialects.detectKind(c));
                return validated("schemas like '" + likePattern + "'", d.schemasLike(c, likePattern));
            }
        };
    }

    /**
     * The distinct values of {@code column} in {@code table} ({@code table} or {@code schema.table}): each value is a
     * tenant id and its schema. Table and column are validated now and quoted when read.
     */
    static TenantSource registry(String table, String column) {
        Identifiers.parseQualified("tenant registry table", table);
        Identifiers.requireValidName("tenant registry column", column);
        return primary -> {
            try (Connection c = primary.getConnection()) {
                Dialect d = Dialects.forKind(Dialects.detectKind(c));
                return validated("registry " + table + "." + column, d.registryValues(c, table, column));
            }
        };
    }

    /**
     * {@link Topology#DATABASE_PER_TENANT}: the given tenants, each in its own database from {@code provider}
     * (asked once per tenant, now). The schema migrated in each database is {@code schema}.
     */
    static TenantSource databases(Collection<String> ids, String schema, Function<String, DataSource> provider) {
        Objects.requireNonNull(provider, "provider");
        List<Tenant> tenants = new ArrayList<>();
        for (String id : ids) {
            Identifiers.requireValidName("tenant", id);
            DataSource ds = provider.apply(id);
            if (ds == null) {
                throw new IllegalArgumentException("DataSource provider returned null for tenant " + id);
            }
            tenants.add(Tenant.inDatabase(id, schema, ds));
        }
        return of(tenants);
    }

    private static List<Tenant> validated(String where, List<String> names) {
        List<Tenant> out = new ArrayList<>();
        for (String n : names) {
            try {
                out.add(Tenant.of(n));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tenant discovery (" + where + ") found a name that is not a valid"
                        + " tenant: " + e.getMessage() + ". Rename it or exclude it from discovery.", e);
            }
        }
        return out;
    }

    private static List<Tenant> requireDistinct(List<Tenant> tenants) {
        Objects.requireNonNull(tenants, "tenants");
        Set<String> seen = new LinkedHashSet<>();
        for (Tenant t : tenants) {
            Objects.requireNonNull(t, "tenant");
            if (!seen.add(t.id())) {
                throw new IllegalArgumentException("tenants must be distinct, but '" + t.id() + "' was given twice");
            }
        }
        return tenants;
    }
}

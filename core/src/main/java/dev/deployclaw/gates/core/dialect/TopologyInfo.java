package dev.deployclaw.gates.core.dialect;

import java.util.Optional;

/**
 * What the topology step found in the migration's schema.
 *
 * @param schema              the schema inspected
 * @param tables              tables in it
 * @param tablesWithTenantId  tables having a {@code tenant_id} column
 * @param rlsEnabled          tables with row-level security enabled
 * @param rlsForced           tables with row-level security forced
 * @param policies            row-level security policies
 * @param tenantSchemas       schemas matching the tenant pattern, when a pattern is configured
 */
public record TopologyInfo(String schema, int tables, int tablesWithTenantId, int rlsEnabled, int rlsForced, int policies,
                           Optional<Integer> tenantSchemas) {
    /** Shared schema when tables carry a tenant_id column; otherwise one schema per tenant. */
    public boolean sharedSchema() {
        return tablesWithTenantId > 0;
    }
}

package dev.deployclaw.gates.core.tenant;

/** How tenants are laid out in the database. */
public enum Topology {
    /** One schema per tenant in one database: one migration (and one history table) per tenant schema. */
    SCHEMA_PER_TENANT,
    /**
     * All tenants share one schema: the schema is migrated once, and the gates weigh the activity of every tenant's
     * sessions (their locks on the shared tables block the migration like any other session's).
     */
    SHARED_SCHEMA,
    /** One database per tenant, each reached through its own {@code DataSource}. */
    DATABASE_PER_TENANT
}

package dev.deployclaw.gates.core.tenant;

/** What a multi-tenant run does after a tenant is BLOCKED or FAILED. */
public enum FailurePolicy {
    /** Start no further tenant; tenants already running finish. */
    HALT,
    /** Record the tenant and go on with the others. */
    CONTINUE
}

package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;

import java.util.Optional;

/**
 * The service a migration tool adapter (Flyway, Liquibase) provides to the {@code TenantMigrator}: read where a
 * tenant stands, and migrate one tenant with the gates attached. Implementations hold no gate logic; they translate.
 *
 * <p>An engine is used by several threads at once (one tenant per thread) and must be thread-safe. It should
 * prepare what does not depend on the tenant (scanned migration resources, parsed configuration) once, not per
 * tenant.
 */
public interface MigrationEngine extends AutoCloseable {
    /** A short name for reports and logs, e.g. {@code flyway}. */
    String name();

    /**
     * Reads the tenant's current and target version and how many migrations are pending. Sends no DDL and takes no
     * migration lock.
     *
     * @throws Exception when the tenant's database cannot be read
     */
    TenantState inspect(Tenant tenant) throws Exception;

    /**
     * Where every tenant stands, read before the run (by tenant id). The migrator skips the tenants already at target
     * and, for the others, trusts the migration tool's own result instead of reading each tenant again. An engine may
     * read many tenants in one query; the default reads them one by one. A tenant missing from the map is inspected
     * on its own.
     */
    default java.util.Map<String, TenantState> inspectAll(java.util.List<Tenant> tenants) throws Exception {
        java.util.Map<String, TenantState> out = new java.util.LinkedHashMap<>();
        for (Tenant t : tenants) {
            out.put(t.id(), inspect(t));
        }
        return out;
    }

    /**
     * Migrates one tenant to the target version with {@code auditor}'s gates attached to the tool's own events
     * (before the run: the environment gates for the tenant's schema; before each migration: the gates for its SQL).
     * When a gate blocks, the migration that would have started does not start, and the method throws an exception
     * with the {@link GateBlockedException} in its cause chain (see {@link #blockedBy(Throwable)}); migrations that
     * completed before it stay applied and recorded.
     *
     * @throws Exception a {@link GateBlockedException} (possibly wrapped by the tool) when blocked, any other
     *                   exception when the migration failed
     */
    MigrationResult migrate(Tenant tenant, SecurityAuditor auditor) throws Exception;

    /**
     * {@link #migrate(Tenant, SecurityAuditor)} with the probe connection of the migrator's worker: {@code session} was
     * opened by an auditor with {@code auditor}'s data source and probe timeout, serves the tenants this worker migrates
     * one after another (so the gates take and prepare their probe once per run, not per tenant), and belongs to the
     * migrator: the engine uses it for the gates' evaluations and does not close it. Default: ignores it.
     */
    default MigrationResult migrate(Tenant tenant, SecurityAuditor auditor, GateSession session) throws Exception {
        return migrate(tenant, auditor);
    }

    /**
     * The environment-only request that this engine's gates evaluate for {@code tenant} when the tool starts its run
     * (Flyway: {@code beforeMigrate}, with the tenant's schema, id and the tool's own tables), so that the migrator can
     * evaluate those gates in advance, while the tool starts (see {@link SecurityAuditor#prefetchEnvironment}). It must
     * be the request the engine's adapter then makes, or the check in advance is dropped unused. Default: empty (no
     * check in advance).
     */
    default Optional<MigrationRequest> environmentRequest(Tenant tenant) {
        return Optional.empty();
    }

    /** Releases what the engine holds (caches, pools it created). Default: nothing. */
    @Override
    default void close() {
    }

    /** The gate block in {@code failure}'s cause chain, if the failure was a block. */
    static Optional<GateBlockedException> blockedBy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof GateBlockedException g) {
                return Optional.of(g);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }
}

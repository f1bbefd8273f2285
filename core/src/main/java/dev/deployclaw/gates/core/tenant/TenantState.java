package dev.deployclaw.gates.core.tenant;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a tenant stands, as its migration tool's history says.
 *
 * @param currentVersion the newest applied version; empty when nothing is applied yet
 * @param targetVersion  the newest version the migration set would reach; empty when the set is empty
 * @param pending        how many migrations would run
 */
public record TenantState(Optional<String> currentVersion, Optional<String> targetVersion, int pending) {
    public TenantState {
        Objects.requireNonNull(currentVersion, "currentVersion");
        Objects.requireNonNull(targetVersion, "targetVersion");
        if (pending < 0) {
            throw new IllegalArgumentException("pending must be zero or positive, but was " + pending);
        }
    }

    /** True when nothing is pending: a re-run leaves this tenant alone. */
    public boolean atTarget() {
        return pending == 0;
    }
}

package dev.deployclaw.gates.core.tenant;

import java.util.Objects;
import java.util.Optional;

/**
 * What one tenant's migration did.
 *
 * @param versionBefore the newest applied version before the run
 * @param versionAfter  the newest applied version after it
 * @param applied       how many migrations were applied
 */
public record MigrationResult(Optional<String> versionBefore, Optional<String> versionAfter, int applied) {
    public MigrationResult {
        Objects.requireNonNull(versionBefore, "versionBefore");
        Objects.requireNonNull(versionAfter, "versionAfter");
        if (applied < 0) {
            throw new IllegalArgumentException("applied must be zero or positive, but was " + applied);
        }
    }
}

package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.SecurityAuditor;
import liquibase.database.Database;

/** Where a listener gets its auditor: a fixed one (Java API) or one built from properties for the database at hand. */
@FunctionalInterface
interface AuditorSource {
    SecurityAuditor auditorFor(Database database);

    static AuditorSource of(SecurityAuditor auditor) {
        java.util.Objects.requireNonNull(auditor, "auditor");
        return database -> auditor;
    }
}

package dev.deployclaw.gates.core;

import java.util.Objects;

/**
 * How a migration would be undone. Adapters fill it in: a Flyway undo script, a Liquibase {@code <rollback>},
 * a rollback statement given to {@link SecurityAuditor}, or an explicit roll-forward-only declaration.
 *
 * @param kind        what kind of plan it is
 * @param description where the plan is (script name, changeset id) or why there is none
 */
public record RollbackPlan(Kind kind, String description) {
    public enum Kind {
        /** Rollback SQL supplied with the request. */
        STATEMENT,
        /** A script beside the migration (Flyway {@code U<version>__*.sql}). */
        UNDO_SCRIPT,
        /** The migration tool can roll it back (Liquibase explicit or automatic rollback). */
        TOOL_ROLLBACK,
        /** Declared roll-forward only: the fix for a bad migration is a new migration. */
        ROLL_FORWARD_ONLY,
        /** Nothing: no plan and no declaration. */
        NONE
    }

    public RollbackPlan {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(description, "description");
    }

    public static RollbackPlan none(String why) {
        return new RollbackPlan(Kind.NONE, why);
    }

    public static RollbackPlan statement(String sql) {
        if (sql == null || sql.isBlank()) {
            throw new IllegalArgumentException("rollback statement must not be blank, but was '" + sql + "'");
        }
        return new RollbackPlan(Kind.STATEMENT, sql.strip());
    }

    public boolean present() {
        return kind != Kind.NONE;
    }
}

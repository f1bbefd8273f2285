package dev.deployclaw.gates.liquibase;

/**
 * What to do with a change whose SQL Liquibase can only generate while it runs
 * ({@code Change.generateStatementsVolatile(database)} is true: {@code dropAllForeignKeyConstraints},
 * {@code loadUpdateData}, some custom changes), so the gates cannot see its statements in advance.
 */
public enum VolatileChanges {
    /**
     * The default: refuse the changeset before it runs ({@link UnpreviewableChangeSetException}). A gate that cannot see
     * what will run fails closed.
     */
    BLOCK,
    /**
     * Generate the change's statements anyway, just before the changeset runs, from the database as it is then (every
     * earlier changeset applied). Exact unless an earlier change of the same changeset alters what the volatile change
     * reads (e.g. adds a foreign key that {@code dropAllForeignKeyConstraints} would then drop): the gates see the
     * statements as of before the changeset.
     */
    PREVIEW_AT_RUN_TIME
}

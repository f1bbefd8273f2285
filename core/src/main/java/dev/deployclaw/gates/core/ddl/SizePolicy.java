package dev.deployclaw.gates.core.ddl;

/** How a rule's severity depends on the live size of the table it is about. */
public enum SizePolicy {
    /** Lock or rewrite time grows with the table: severity from the size thresholds (empty/new tables are INFO). */
    SIZE_AWARE,
    /** Breaks running code whatever the size, except on a table created earlier in the same migration (INFO). */
    NEW_TABLE_EXEMPT,
    /** The size does not matter (security changes, a statement the server will refuse, unreadable SQL). */
    FIXED
}

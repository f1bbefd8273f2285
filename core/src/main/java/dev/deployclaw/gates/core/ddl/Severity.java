package dev.deployclaw.gates.core.ddl;

/** How much a finding matters: {@link #BLOCK} stops the migration unless acknowledged by a reasoned override. */
public enum Severity {
    INFO,
    WARN,
    BLOCK;

    public Severity min(Severity other) {
        return other.ordinal() < ordinal() ? other : this;
    }
}

package dev.deployclaw.gates.liquibase;

/**
 * Thrown before a changeset runs when one of its changes generates its SQL only at run time and
 * {@link VolatileChanges#BLOCK} is in force: the gates cannot judge statements they cannot see, so the changeset is
 * refused (fail closed). Like a blocked gate, it stops the update before the changeset: earlier changesets stay
 * applied and recorded, this one is not recorded, and the Liquibase lock is released.
 */
public class UnpreviewableChangeSetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnpreviewableChangeSetException(String message) {
        super(message);
    }

    public UnpreviewableChangeSetException(String message, Throwable cause) {
        super(message, cause);
    }
}

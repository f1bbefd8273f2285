package dev.deployclaw.gates.cli;

/** The database could not be reached or read; exit code 2. The message is already masked. */
final class ConnectionFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConnectionFailure(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.deployclaw.gates.core.ddl;

/** The SQL text cannot be read safely (unterminated quote, NUL byte). The message names the construct and line. */
public final class SqlParseException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SqlParseException(String message) {
        super(message);
    }
}

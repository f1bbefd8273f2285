package dev.deployclaw.gates.core.ddl;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One rule's finding on one statement.
 *
 * @param ruleId             the rule's kebab-case id
 * @param severity           the severity after the table's live size was taken into account
 * @param statementIndex     1-based position of the statement in the script
 * @param statement          the statement, abbreviated to one line
 * @param tables             the tables the finding is about
 * @param size               the live size of the largest of them, when measured (or the table was created earlier in
 *                           this migration)
 * @param message            what was seen, with the size and limit when they decided the severity
 * @param safeAlternative    the rule's safe alternative
 * @param acknowledgedReason the reason of the {@code deployclaw:allow} override that accepted it, if one did
 */
public record Finding(String ruleId, Severity severity, int statementIndex, String statement, List<TableRef> tables,
                      Optional<TableSize> size, String message, String safeAlternative, Optional<String> acknowledgedReason) {
    public Finding {
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(severity, "severity");
        tables = List.copyOf(tables);
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(safeAlternative, "safeAlternative");
        Objects.requireNonNull(acknowledgedReason, "acknowledgedReason");
    }

    public boolean acknowledged() {
        return acknowledgedReason.isPresent();
    }

    /** True when this finding stops the migration: BLOCK and not acknowledged. */
    public boolean blocks() {
        return severity == Severity.BLOCK && acknowledgedReason.isEmpty();
    }

    Finding acknowledge(String reason) {
        return new Finding(ruleId, severity, statementIndex, statement, tables, size, message, safeAlternative,
                Optional.of(reason));
    }

    /** One line: {@code [BLOCK] create-index-blocking, statement 2: … Safe alternative: …}. */
    public String describe() {
        String m = message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
        return "[" + (acknowledged() ? "ACKNOWLEDGED " + severity : severity.name()) + "] " + ruleId + ", statement "
                + statementIndex + ": " + m + (acknowledged() ? " (override: " + acknowledgedReason.get() + ")"
                : severity == Severity.INFO ? "" : ". Safe alternative: " + (safeAlternative.endsWith(".")
                ? safeAlternative.substring(0, safeAlternative.length() - 1) : safeAlternative));
    }
}

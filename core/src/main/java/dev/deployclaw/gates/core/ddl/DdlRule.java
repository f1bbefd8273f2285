package dev.deployclaw.gates.core.ddl;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One DDL risk rule: a stable kebab-case id (used in reports, overrides and {@code docs/rules/<id>.md}), its
 * default severity, how the table's size changes it, why it matters, what the server does, and the safe
 * alternative. Rules are listed once, in order, in {@link DdlRules#defaults()}.
 *
 * @param id              e.g. {@code create-index-blocking}
 * @param severity        the severity when the table's size is unknown (no live catalog)
 * @param sizePolicy      how the live size changes it
 * @param problem         one sentence: what goes wrong
 * @param serverBehaviour one sentence: what the server does (lock, rewrite, scan)
 * @param safeAlternative the safe way to get the same result
 * @param matcher         finds the rule's case in one analysed statement
 */
public record DdlRule(String id, Severity severity, SizePolicy sizePolicy, String problem, String serverBehaviour,
                      String safeAlternative, Matcher matcher) {
    private static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    public DdlRule {
        Objects.requireNonNull(id, "id");
        if (!KEBAB.matcher(id).matches()) {
            throw new IllegalArgumentException("rule id must be kebab-case, but was '" + id + "'");
        }
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(sizePolicy, "sizePolicy");
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(serverBehaviour, "serverBehaviour");
        Objects.requireNonNull(safeAlternative, "safeAlternative");
        Objects.requireNonNull(matcher, "matcher");
    }

    /** What a rule saw in a statement: a sentence, and an upper bound on the severity (e.g. an online MySQL rebuild). */
    public record Match(String message, Severity cap) {
        public static Optional<Match> of(String message) {
            return Optional.of(new Match(message, Severity.BLOCK));
        }

        public static Optional<Match> capped(String message, Severity cap) {
            return Optional.of(new Match(message, cap));
        }
    }

    /** Finds the rule's case in a statement, given what came before it in the script. */
    @FunctionalInterface
    public interface Matcher {
        Optional<Match> match(StatementAnalysis statement, ScriptContext script);
    }
}

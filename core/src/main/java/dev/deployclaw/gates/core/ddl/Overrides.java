package dev.deployclaw.gates.core.ddl;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code -- deployclaw:allow <rule-id> <reason>} (or the same inside {@code /* … *}{@code /}) from the comments
 * of a statement: written on the lines before it, or on its own line after it (before or after the {@code ;}), it
 * belongs to that statement ({@link ScriptSplitter} keeps such comments with their statement).
 */
public final class Overrides {
    private static final Pattern LINE = Pattern.compile("--[ \\t]*deployclaw:allow\\b([^\\n]*)");
    private static final Pattern BLOCK = Pattern.compile("/\\*\\s*deployclaw:allow\\b(.*?)\\*/", Pattern.DOTALL);

    private Overrides() {
    }

    /** One override as written: the rule id and the reason (empty when missing). */
    public record Override(String ruleId, String reason) {
    }

    public static List<Override> in(String statement) {
        List<Override> out = new ArrayList<>();
        for (Pattern p : List.of(LINE, BLOCK)) {
            Matcher m = p.matcher(statement);
            while (m.find()) {
                String rest = m.group(1).strip();
                int sp = rest.indexOf(' ');
                String id = sp < 0 ? rest : rest.substring(0, sp);
                String reason = sp < 0 ? "" : rest.substring(sp + 1).strip();
                out.add(new Override(id, reason));
            }
        }
        return out;
    }
}

package dev.deployclaw.gates.core.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks credentials in any text bound for a report, log line or exception message: {@code password=…} in JDBC
 * URLs and properties, {@code user:password@} in URLs, and {@code PASSWORD '…'} / {@code IDENTIFIED BY '…'} in SQL.
 */
public final class Secrets {
    private static final Pattern[] PATTERNS = {
            Pattern.compile("(?i)((?:password|passwd|pwd|secret)\\s*[=:]\\s*)(\"[^\"]*\"|'[^']*'|[^&;,\\s)]+)"),
            Pattern.compile("(?i)(//[^/:@\\s]+:)([^@/\\s]+)(@)"),
            Pattern.compile("(?i)((?:PASSWORD|IDENTIFIED\\s+BY)\\s+')((?:[^']|'')*)(')"),
    };

    private Secrets() {
    }

    public static String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (Pattern p : PATTERNS) {
            Matcher m = p.matcher(out);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String tail = m.groupCount() >= 3 ? m.group(3) : "";
                m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + "****" + tail));
            }
            m.appendTail(sb);
            out = sb.toString();
        }
        return out;
    }
}

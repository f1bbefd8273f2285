package dev.deployclaw.gates.core.dialect;

import java.util.Optional;

/**
 * Another session seen by a probe: who it is, what it holds or waits for, and how old its transaction is.
 *
 * @param pid             server process / connection id
 * @param state           e.g. {@code idle in transaction}, {@code active}, or the MySQL command/state
 * @param transactionAgeMs age of its open transaction, if it has one
 * @param application     application name (PostgreSQL) or user@host (MySQL)
 * @param user            database user
 * @param query           first 200 characters of its current or last query
 * @param relation        the table it locks or waits for, when the finding is about a table
 * @param lockMode        the lock mode held or awaited, when known
 * @param granted         true when it holds the lock, false when it waits for it
 */
public record SessionInfo(long pid, String state, Optional<Long> transactionAgeMs, String application, String user,
                          String query, Optional<String> relation, Optional<String> lockMode, boolean granted) {

    public static final int QUERY_CHARS = 200;

    public static String truncate(String query) {
        if (query == null) {
            return "";
        }
        String oneLine = query.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= QUERY_CHARS ? oneLine : oneLine.substring(0, QUERY_CHARS);
    }

    /** One line for reports: {@code pid 4711 (idle in transaction, 12.3 s, app psql) holds RowExclusiveLock on public.users: "update …"}. */
    public String describe() {
        StringBuilder b = new StringBuilder("pid ").append(pid).append(" (").append(state);
        transactionAgeMs.ifPresent(a -> b.append(", transaction age ").append(Durations.human(a)));
        if (!application.isEmpty()) {
            b.append(", application '").append(application).append('\'');
        }
        if (!user.isEmpty()) {
            b.append(", user ").append(user);
        }
        b.append(')');
        relation.ifPresent(r -> b.append(granted ? " holds " : " waits for ").append(lockMode.orElse("a lock")).append(" on ").append(r));
        b.append(": \"").append(query).append('"');
        return b.toString();
    }
}

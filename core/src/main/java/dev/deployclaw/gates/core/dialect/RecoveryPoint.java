package dev.deployclaw.gates.core.dialect;

import java.util.List;

/**
 * Point-in-time-recovery evidence read from the server.
 *
 * @param available whether a recovery point exists by the server's own account
 * @param facts     what was read (setting = value), for the report
 * @param explanation why it is not available, with the fix; when available, a one-line summary
 */
public record RecoveryPoint(boolean available, List<String> facts, String explanation) {
    public RecoveryPoint {
        facts = List.copyOf(facts);
    }
}

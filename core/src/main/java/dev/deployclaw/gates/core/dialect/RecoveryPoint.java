package dev.deployclaw.gates.core.dialect;

import java.util.List;

/**
 * Point-in-time-recovery evidence read from the server.
 *
 * @param available whether a recovery point exists by the server's own account
 * @param facts     what was read (setting = value), for the report
 * @param problem   why it is not available, with the fix; empty when available
 */
public record RecoveryPoint(boolean available, List<String> facts, String problem) {
    public RecoveryPoint {
        facts = List.copyOf(facts);
    }
}

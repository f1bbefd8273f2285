package dev.deployclaw.gates.core.dialect;

import java.util.Optional;

/**
 * One replica as a probe saw it.
 *
 * @param name      the replica's name (PostgreSQL {@code application_name}, or the configured name)
 * @param source    where the number came from, e.g. {@code pg_stat_replication} or {@code heartbeat}
 * @param healthy   streaming / replication threads running
 * @param lagMs     measured lag, when it could be observed
 * @param problem   why it is unhealthy or why the lag could not be observed
 */
public record ReplicaStatus(String name, String source, boolean healthy, Optional<Long> lagMs, Optional<String> problem) {
    public static ReplicaStatus lag(String name, String source, long lagMs) {
        return new ReplicaStatus(name, source, true, Optional.of(lagMs), Optional.empty());
    }

    public static ReplicaStatus broken(String name, String source, String problem) {
        return new ReplicaStatus(name, source, false, Optional.empty(), Optional.of(problem));
    }
}

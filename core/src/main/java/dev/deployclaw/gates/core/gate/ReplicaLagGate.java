package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.dialect.Durations;
import dev.deployclaw.gates.core.dialect.ReplicaStatus;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Blocks while any replica is further behind than {@code replicaLagThreshold}, or when a configured replica is
 * unreachable, not streaming, or its lag cannot be observed (fail closed). Standbys are read two ways: as the
 * primary sees them ({@code pg_stat_replication}), and directly, for each configured replica, by a heartbeat row
 * written on the primary and awaited on the replica (true lag, unlike {@code pg_last_xact_replay_timestamp()}).
 */
public final class ReplicaLagGate implements Gate {
    public static final GateId ID = GateId.of("replica-lag");

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public boolean readsOtherSessions() {
        return true;
    }

    @Override
    public String action() {
        return "Querying replica lag across read-only instances";
    }

    @Override
    public Verdict evaluate(GateContext ctx) throws Exception {
        Duration threshold = ctx.config().replicaLagThreshold();
        // wait a little past the threshold so a replica exactly at the limit is measured, not guessed
        Duration wait = threshold.plusMillis(Math.max(50, threshold.toMillis() / 5));
        List<ReplicaStatus> seen = new ArrayList<>(ctx.dialect().replicasSeenFromPrimary(ctx.probe(), wait));
        Map<String, DataSource> replicas = ctx.config().replicas();
        if (!replicas.isEmpty()) {
            Instant beat = ctx.dialect().writeHeartbeat(ctx.probe(), ctx.config().heartbeatTable());
            for (Map.Entry<String, DataSource> r : replicas.entrySet()) {
                seen.add(readReplica(ctx, r.getKey(), r.getValue(), beat, wait));
            }
        }
        if (seen.isEmpty()) {
            return Verdicts.skipped(this, "No replicas: pg_stat_replication lists no standby and no replica is configured.");
        }
        List<Evidence> ev = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        for (ReplicaStatus s : seen) {
            if (s.lagMs().isPresent()) {
                long lag = s.lagMs().get();
                ev.add(Evidence.of("lag of " + s.name() + " (" + s.source() + ")", lag, threshold.toMillis(), "ms"));
                parts.add(s.name() + "=" + lag + "ms");
                if (lag > threshold.toMillis()) {
                    problems.add("replica " + s.name() + " is " + Durations.human(lag) + " behind (" + s.source() + ")");
                }
            } else {
                ev.add(Evidence.fact("status of " + s.name() + " (" + s.source() + ")", s.problem().orElse("unhealthy")));
                problems.add(s.problem().orElse("replica " + s.name() + " is unhealthy"));
            }
        }
        if (!problems.isEmpty()) {
            return Verdicts.failed(this, String.join("; ", problems) + " (limit " + threshold.toMillis() + " ms)."
                    + " Wait for the replicas to catch up (or restore replication), or raise replicaLagThreshold.", ev);
        }
        return Verdicts.passed(this, "Replica lag: " + String.join(", ", parts) + ". All below threshold ("
                + threshold.toMillis() + "ms).", ev);
    }

    private static ReplicaStatus readReplica(GateContext ctx, String name, DataSource ds, Instant beat, Duration wait) {
        try (Connection c = ds.getConnection()) {
            ctx.dialect().applyProbeTimeouts(c, ctx.config().probeTimeout());
            try {
                return ctx.dialect().readReplica(name, c, ctx.config().heartbeatTable(), beat, wait);
            } finally {
                ctx.dialect().resetProbeTimeouts(c);
            }
        } catch (SQLException e) {
            return ReplicaStatus.broken(name, "heartbeat", "replica " + name + " is unreachable or failed to answer: "
                    + e.getMessage() + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"));
        }
    }
}

package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.dialect.ActivitySnapshot;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.RecoveryPoint;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link ActivitySnapshot} (and one recovery-point read) per database, shared by the checks of many tenants for at
 * most {@code maxAge}
 * (a multi-tenant run: one {@code pg_locks} / {@code pg_stat_activity} read serves many schemas). A check that finds
 * a candidate blocker in the snapshot reads the server again before it blocks, so only "nothing there" answers come
 * from the shared read; a lock taken after it is met by the migration session's lock wait bound.
 */
public final class SharedActivity {
    private final Duration maxAge;
    private final Map<DataSource, Entry> entries = new ConcurrentHashMap<>();

    private static final class Entry {
        private ActivitySnapshot snapshot;
        private RecoveryPoint recoveryPoint;
        private long recoveryPointAt;
        private List<Duration> recoveryPointKey;
    }

    public SharedActivity(Duration maxAge) {
        if (maxAge == null || maxAge.isNegative() || maxAge.isZero() || maxAge.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("sharedActivityMaxAge must be positive and at most 1 minute, but was " + maxAge);
        }
        this.maxAge = maxAge;
    }

    public Duration maxAge() {
        return maxAge;
    }

    /**
     * The recovery point of {@code database} (WAL archiving / binary log retention), read at most once per
     * {@code maxAge} for the same limits.
     */
    RecoveryPoint recoveryPoint(DataSource database, Dialect dialect, GateContext.ProbeSource probe, Duration maxArchiveAge,
                                Duration minBinlogRetention) throws SQLException {
        Entry e = entries.computeIfAbsent(Objects.requireNonNull(database, "database"), k -> new Entry());
        List<Duration> key = List.of(maxArchiveAge, minBinlogRetention);
        synchronized (e) {
            if (e.recoveryPoint == null || !key.equals(e.recoveryPointKey) || System.nanoTime() - e.recoveryPointAt >= maxAge.toNanos()) {
                e.recoveryPointAt = System.nanoTime();
                e.recoveryPoint = dialect.recoveryPoint(probe.get(), maxArchiveAge, minBinlogRetention);
                e.recoveryPointKey = key;
            }
            return e.recoveryPoint;
        }
    }

    /** A snapshot of {@code database} younger than {@code maxAge}, read through {@code probe} when there is none. */
    Optional<ActivitySnapshot> get(DataSource database, Dialect dialect, GateContext.ProbeSource probe) throws SQLException {
        Entry e = entries.computeIfAbsent(Objects.requireNonNull(database, "database"), k -> new Entry());
        synchronized (e) {
            if (e.snapshot == null || System.nanoTime() - e.snapshot.takenAtNanos() >= maxAge.toNanos()) {
                Optional<ActivitySnapshot> fresh = dialect.activitySnapshot(probe.get());
                if (fresh.isEmpty()) {
                    return Optional.empty();
                }
                e.snapshot = fresh.get();
            }
            return Optional.of(e.snapshot);
        }
    }
}

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
    /** One read per database and kind of read (and its limits), with when it was taken. */
    private final Map<List<Object>, Timed> reads = new ConcurrentHashMap<>();

    private static final class Timed {
        private Object value;
        private long atNanos;
    }

    /** A read of the server (through the probe). */
    @FunctionalInterface
    private interface Read<T> {
        T read() throws SQLException;
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
        return shared(List.of(database, "recovery point", maxArchiveAge, minBinlogRetention),
                () -> dialect.recoveryPoint(probe.get(), maxArchiveAge, minBinlogRetention));
    }

    /** A snapshot of {@code database} younger than {@code maxAge}, read through {@code probe} when there is none. */
    Optional<ActivitySnapshot> get(DataSource database, Dialect dialect, GateContext.ProbeSource probe) throws SQLException {
        return shared(List.of(database, "activity"), () -> dialect.activitySnapshot(probe.get()));
    }

    @SuppressWarnings("unchecked")
    private <T> T shared(List<Object> key, Read<T> read) throws SQLException {
        Timed t = reads.computeIfAbsent(key, k -> new Timed());
        synchronized (t) {
            if (t.value == null || System.nanoTime() - t.atNanos >= maxAge.toNanos()) {
                long at = System.nanoTime();
                t.value = Objects.requireNonNull(read.read(), "read");
                t.atNanos = at;
            }
            return (T) t.value;
        }
    }
}

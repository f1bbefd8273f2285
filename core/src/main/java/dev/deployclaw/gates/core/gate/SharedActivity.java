package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.dialect.ActivitySnapshot;
import dev.deployclaw.gates.core.dialect.Dialect;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link ActivitySnapshot} per database, shared by the lock checks of many tenants for at most {@code maxAge}
 * (a multi-tenant run: one {@code pg_locks} / {@code pg_stat_activity} read serves many schemas). A check that finds
 * a candidate blocker in the snapshot reads the server again before it blocks, so only "nothing there" answers come
 * from the shared read; a lock taken after it is met by the migration session's lock wait bound.
 */
public final class SharedActivity {
    private final Duration maxAge;
    private final Map<DataSource, Entry> entries = new ConcurrentHashMap<>();

    private static final class Entry {
        private ActivitySnapshot snapshot;
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

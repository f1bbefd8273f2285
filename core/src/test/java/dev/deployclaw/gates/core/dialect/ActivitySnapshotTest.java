package dev.deployclaw.gates.core.dialect;

import dev.deployclaw.gates.core.ddl.TableRef;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ActivitySnapshotTest {
    private static SessionInfo session(long pid, String state, Long ageMs) {
        return new SessionInfo(pid, state, Optional.ofNullable(ageMs), "app", "u", "q", Optional.empty(), Optional.empty(), true);
    }

    private static ActivitySnapshot.Lock lock(String schema, String table, long pid) {
        return new ActivitySnapshot.Lock(schema, table, new SessionInfo(pid, "idle in transaction", Optional.of(5_000L), "app",
                "u", "q", Optional.of(schema + "." + table), Optional.of("RowExclusiveLock"), true));
    }

    private final long now = System.nanoTime();
    private final ActivitySnapshot snap = new ActivitySnapshot(now - Duration.ofMillis(200).toNanos(), 99,
            List.of(lock("t1", "users", 10), lock("t2", "users", 20), lock("t2", "orders", 21), lock("t1", "users", 99)),
            List.of(session(10, "idle in transaction", 29_900L), session(30, "active", 1_000L), session(99, "active", 60_000L)));

    @Test
    void findsTheHoldersOfTheTablesAskedForOrOfWholeSchemasButNotTheReaderOrExcludedSessions() {
        assertThat(snap.holders(Set.of(TableRef.of(null, "users")), "t1", List.of(), List.of()))
                .extracting(SessionInfo::pid).containsExactly(10L);
        assertThat(snap.holders(Set.of(), "t1", List.of("t2"), List.of())).extracting(SessionInfo::pid).containsExactly(20L, 21L);
        assertThat(snap.holders(Set.of(TableRef.of("t2", "orders")), "t1", List.of(), List.of(21L))).isEmpty();
        assertThat(snap.holders(Set.of(TableRef.of(null, "accounts")), "t1", List.of(), List.of())).isEmpty();
    }

    @Test
    void agesTransactionsByTheSnapshotsOwnAgeSoAThresholdCrossedSinceTheReadCounts() {
        // 29.9 s at the read, 200 ms ago: over 30 s now
        assertThat(snap.oldTransactions(Duration.ofSeconds(30), List.of())).extracting(SessionInfo::pid).containsExactly(10L);
        assertThat(snap.oldTransactions(Duration.ofSeconds(30), List.of()).get(0).transactionAgeMs().orElseThrow())
                .isGreaterThanOrEqualTo(30_100L);
        assertThat(snap.oldTransactions(Duration.ofSeconds(31), List.of())).isEmpty();
        assertThat(snap.oldTransactions(Duration.ofSeconds(30), List.of(10L))).isEmpty();
        assertThat(snap.holders(Set.of(TableRef.of("t1", "users")), "x", List.of(), List.of()).get(0).transactionAgeMs())
                .hasValueSatisfying(a -> assertThat(a).isGreaterThanOrEqualTo(5_200L));
    }
}

package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.dialect.SessionInfo;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Which lock holders the table-lock gate counts: decision logic only (the real-server cases are in integration-tests). */
class TableLockTransientTest {
    private static SessionInfo session(String state, Long ageMs, boolean granted) {
        return new SessionInfo(42, state, Optional.ofNullable(ageMs), "app", "user", "update t set x = 1",
                Optional.of("s.t"), Optional.of("RowExclusiveLock"), granted);
    }

    @Test
    void aStatementRunningInAYoungTransactionIsTransient() {
        assertThat(TableLockGate.isTransient(session("active", 3L, true), 1000)).isTrue();
    }

    @Test
    void aSessionAlreadyIdleOutsideATransactionIsTransient() {
        assertThat(TableLockGate.isTransient(session("idle", null, true), 1000)).isTrue();
    }

    @Test
    void anIdleInTransactionSessionAlwaysCountsHoweverYoung() {
        assertThat(TableLockGate.isTransient(session("idle in transaction", 1L, true), 1000)).isFalse();
    }

    @Test
    void aStatementRunningPastTheGraceCounts() {
        assertThat(TableLockGate.isTransient(session("active", 1000L, true), 1000)).isFalse();
        assertThat(TableLockGate.isTransient(session("active", 600L, true), 500)).isFalse();
    }

    @Test
    void aSessionWaitingForTheLockAlwaysCounts() {
        assertThat(TableLockGate.isTransient(session("active", 3L, false), 1000)).isFalse();
    }

    @Test
    void anActiveSessionWhoseAgeCannotBeReadCounts() {
        assertThat(TableLockGate.isTransient(session("active", null, true), 1000)).isFalse();
    }

    @Test
    void mySqlStatesAreNeverTransient() {
        assertThat(TableLockGate.isTransient(session("Query", 3L, true), 1000)).isFalse();
    }
}

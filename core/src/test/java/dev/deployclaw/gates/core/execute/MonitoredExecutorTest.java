package dev.deployclaw.gates.core.execute;

import dev.deployclaw.gates.core.ddl.LockMode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MonitoredExecutorTest {
    @Test
    void takesExplicitlyTheLockTheStatementNeedsNotAlwaysAccessExclusive() {
        assertThat(MonitoredExecutor.explicitLockMode("alter table t validate constraint c")).contains("share update exclusive");
        assertThat(MonitoredExecutor.explicitLockMode("create index i on t (a)")).contains("share");
        assertThat(MonitoredExecutor.explicitLockMode("alter table t add column c int")).contains("access exclusive");
        assertThat(MonitoredExecutor.explicitLocks("alter table o add constraint f foreign key (c) references p (id)"))
                .containsOnlyKeys(LockMode.SHARE_ROW_EXCLUSIVE);
        assertThat(MonitoredExecutor.explicitLockMode("insert into t values (1)")).isEmpty();
        assertThat(MonitoredExecutor.explicitLockMode("create table t (id int)")).isEmpty();
    }

    @Test
    void statementsPostgresRefusesInATransactionAreRunOneByOne() {
        assertThat(MonitoredExecutor.canRunInTransaction("create index concurrently i on t (a)")).isFalse();
        assertThat(MonitoredExecutor.canRunInTransaction("reindex table concurrently t")).isFalse();
        assertThat(MonitoredExecutor.canRunInTransaction("vacuum t")).isFalse();
        assertThat(MonitoredExecutor.canRunInTransaction("alter table t add column c int")).isTrue();
    }

    @Test
    void lockConflictsFollowPostgresTable() {
        assertThat(LockMode.SHARE.conflictsWith(LockMode.ROW_EXCLUSIVE)).isTrue();
        assertThat(LockMode.SHARE.conflictsWith(LockMode.SHARE)).isFalse();
        assertThat(LockMode.ACCESS_EXCLUSIVE.conflictsWith(LockMode.ACCESS_SHARE)).isTrue();
        assertThat(LockMode.SHARE_UPDATE_EXCLUSIVE.conflictsWith(LockMode.ROW_EXCLUSIVE)).isFalse();
        for (LockMode a : LockMode.values()) {
            for (LockMode b : LockMode.values()) {
                assertThat(a.conflictsWith(b)).as(a + " vs " + b).isEqualTo(b.conflictsWith(a));
            }
        }
    }
}

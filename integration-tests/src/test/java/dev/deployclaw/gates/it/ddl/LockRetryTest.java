package dev.deployclaw.gates.it.ddl;

import dev.deployclaw.gates.core.ApprovedStatement;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.ExecutionResult;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.MigrationExecutionException;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** executeWithMonitoring against a lock really held by another session. */
class LockRetryTest {
    static final String SCHEMA = "ddl_exec";
    String url;

    @BeforeEach
    void table() throws SQLException {
        url = TestDatabases.postgresUrl();
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
            st.execute("create schema " + SCHEMA);
            st.execute("create table " + SCHEMA + ".t (id int primary key)");
        }
    }

    @AfterEach
    void drop() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SCHEMA + " cascade");
        }
    }

    static SecurityAuditor auditor(int retries) {
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).maxLockWait(Duration.ofMillis(300))
                .lockRetries(retries).lockRetryBackoff(Duration.ofMillis(300)).build());
    }

    static ApprovedStatement approved(String sql) {
        return new ApprovedStatement("sg-test", List.of(sql), SCHEMA, IsolationLevel.READ_COMMITTED, DatabaseKind.POSTGRESQL,
                Instant.now(), Optional.empty());
    }

    @Test
    void retriesTheConfiguredNumberOfTimesThenFailsNamingTheHolder() throws SQLException {
        try (LockHolder holder = LockHolder.postgres(url, "select * from " + SCHEMA + ".t")) {
            MigrationExecutionException e = catchThrowableOfType(MigrationExecutionException.class,
                    () -> auditor(2).executeWithMonitoring(approved("alter table t add column c int")));
            assertThat(e.lockTimeout()).isTrue();
            assertThat(e.getMessage()).contains("in 3 attempts (retried 2 times after waiting 300 ms, 600 ms)")
                    .contains("blocked by pid " + holder.pid()).contains("idle in transaction")
                    .contains("AccessShareLock on ddl_exec.t").contains("lock-holder")
                    .contains("nothing was applied");
        }
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from information_schema.columns where table_schema = '"
                     + SCHEMA + "' and column_name = 'c'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the column was not added").isZero();
        }
    }

    @Test
    void succeedsWhenTheHolderReleasesDuringTheRetries() throws Exception {
        LockHolder holder = LockHolder.postgres(url, "select * from " + SCHEMA + ".t");
        CompletableFuture<Void> releaser = CompletableFuture.runAsync(() -> releaseAfterFirstTimeout(holder));
        try {
            ExecutionResult r = auditor(5).executeWithMonitoring(approved("alter table t add column c int"));
            releaser.get(30, TimeUnit.SECONDS);
            assertThat(r.lockRetries()).isGreaterThanOrEqualTo(1);
            assertThat(r.describe()).contains("lock-timeout retr").contains("Lock acquired in");
            assertThat(r.statements().get(0).lockWaitMs()).isPresent();
        } finally {
            if (!holder.connection().isClosed()) {
                holder.close();
            }
        }
    }

    @Test
    void takesOnlyThePredictedLockSoValidatingAConstraintDoesNotWaitForAWriter() throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("insert into " + SCHEMA + ".t values (1), (2)");
            st.execute("alter table " + SCHEMA + ".t add constraint t_pos check (id > 0) not valid");
        }
        try (LockHolder writer = LockHolder.postgres(url, "update " + SCHEMA + ".t set id = id where id = 1")) {
            ExecutionResult r = auditor(0).executeWithMonitoring(approved("alter table t validate constraint t_pos"));
            assertThat(r.lockRetries()).isZero();
            assertThat(r.statements().get(0).lockWaitMs()).as("ShareUpdateExclusiveLock taken explicitly").isPresent();
        }
    }

    @Test
    void aStatementOnATableThatIsNotThereStillRunsItsIfExistsForm() {
        ExecutionResult r = auditor(0).executeWithMonitoring(approved("drop table if exists not_there"));
        assertThat(r.transactional()).isTrue();
        assertThat(r.statements()).hasSize(1);
    }

    /** Waits until the migration session has queued for the lock and then stopped queueing (its lock timed out), then lets go. */
    private void releaseAfterFirstTimeout(LockHolder holder) {
        try (Connection observer = TestDatabases.connect(url); PreparedStatement ps = observer.prepareStatement(
                "select count(*) from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid ="
                        + " c.relnamespace where n.nspname = ? and c.relname = 't' and not l.granted")) {
            ps.setString(1, SCHEMA);
            boolean seenWaiting = false;
            for (int i = 0; i < 1000; i++) {
                boolean waiting;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    waiting = rs.getInt(1) > 0;
                }
                if (waiting) {
                    seenWaiting = true;
                } else if (seenWaiting) {
                    holder.close();
                    return;
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("never saw the migration wait for its lock and time out");
        } catch (SQLException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.RollbackPolicy;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.RollbackValidationGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RollbackValidationGateTest {
    private static final String SCHEMA = "fd_rollback";

    @BeforeAll
    static void schema() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
    }

    @AfterAll
    static void cleanup() throws Exception {
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    private static Verdict evaluate(AuditorConfig.Builder config, MigrationRequest request) {
        return new SecurityAuditor(config.build()).enforcePreMigrationGates(request)
                .verdict(RollbackValidationGate.ID).orElseThrow();
    }

    private static MigrationRequest.Builder addColumn() {
        return MigrationRequest.builder().schema(SCHEMA).operation("alter table users add column note text");
    }

    @Test
    void passesWithARollbackStatementAndAHealthyWalArchiver() throws Exception {
        archiveCurrentSegment();
        Verdict v = evaluate(AuditorConfig.builder(TestDatabases.postgres()),
                addColumn().rollbackStatement("alter table users drop column note").build());
        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.PASSED);
        assertThat(v.detail()).contains("point-in-time recovery available (WAL archiving on (wal_level=replica), last segment archived");
    }

    @Test
    void blocksAMigrationWithoutRollbackPlanWhenPlansAreRequiredAndWarnsUnderReport() {
        MigrationRequest noPlan = addColumn().build();
        Verdict required = evaluate(AuditorConfig.builder(TestDatabases.postgres()).requirePointInTimeRecovery(false), noPlan);
        assertThat(required.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(required.detail()).contains("No rollback plan for the operation").contains("set rollbackPolicy REPORT");
        Verdict reported = evaluate(AuditorConfig.builder(TestDatabases.postgres()).requirePointInTimeRecovery(false)
                .rollbackPolicy(RollbackPolicy.REPORT), noPlan);
        assertThat(reported.outcome()).isEqualTo(Outcome.WARNED);
    }

    @Test
    void blocksWhenTheExternalBackupIsOlderThanMaxBackupAge() {
        Instant old = Instant.now().minus(Duration.ofHours(30));
        Verdict v = evaluate(AuditorConfig.builder(TestDatabases.postgres()).requirePointInTimeRecovery(false)
                        .maxBackupAge(Duration.ofHours(24)).backupStatusProvider(() -> Optional.of(old)),
                addColumn().rollbackStatement("alter table users drop column note").build());
        assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(v.detail()).contains("Newest backup (" + old + ", from the configured BackupStatusProvider)").contains("over maxBackupAge 24 h 0 min");
    }

    @Test
    void blocksWithTheReasonWhileTheWalArchiverIsFailing() throws Exception {
        String command;
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            command = one(st, "select setting from pg_settings where name = 'archive_command'");
            long failedBefore = Long.parseLong(one(st, "select failed_count from pg_stat_archiver"));
            st.execute("alter system set archive_command = 'false'");
            st.execute("select pg_reload_conf()");
            try {
                Thread.sleep(300); // the reload reaches the archiver asynchronously
                st.execute("select pg_switch_wal()");
                st.execute("create table if not exists " + SCHEMA + ".wal_filler (x int)");
                st.execute("insert into " + SCHEMA + ".wal_filler values (1)");
                st.execute("select pg_switch_wal()");
                awaitTrue(st, "select failed_count > " + failedBefore + " from pg_stat_archiver");
                Verdict v = evaluate(AuditorConfig.builder(TestDatabases.postgres()),
                        addColumn().rollbackStatement("alter table users drop column note").build());
                assertThat(v.outcome()).isEqualTo(Outcome.FAILED);
                assertThat(v.detail()).contains("No point-in-time recovery: the WAL archiver is failing");
            } finally {
                st.execute("alter system set archive_command = '" + command.replace("'", "''") + "'");
                st.execute("select pg_reload_conf()");
            }
        }
        archiveCurrentSegment();
    }

    /** Switches WAL and waits until the archiver reports a success newer than any failure. */
    static void archiveCurrentSegment() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("select pg_switch_wal()");
            awaitTrue(st, "select last_archived_time is not null and (last_failed_time is null"
                    + " or last_archived_time > last_failed_time) from pg_stat_archiver");
        }
    }

    private static void awaitTrue(Statement st, String sql) throws Exception {
        for (int i = 0; i < 300; i++) {
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("condition not reached within 30 s: " + sql);
    }

    private static String one(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}

package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.liquibase.LiquibaseEngine;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5 through the adapters: a Flyway migration set and a Liquibase changelog each migrate 20 tenant databases on
 * the real MariaDB primary (with its replica read for heartbeat lag); a tenant whose table is locked is left exactly
 * at its previous version, and a re-run completes it.
 */
class MariaDbAdaptersTest {
    private static final int TENANTS = 20;

    @AfterAll
    static void cleanup() {
        for (String prefix : List.of("my_fwa_", "my_lba_")) {
            ids(prefix).forEach(db -> MariaDb.dropDatabase(MariaDb.primaryUrl(), db));
        }
    }

    private static List<String> ids(String prefix) {
        return IntStream.rangeClosed(1, TENANTS).mapToObj(i -> String.format("%s%02d", prefix, i)).toList();
    }

    private static SecurityAuditor auditor(DataSource primary) {
        return new SecurityAuditor(AuditorConfig.builder(primary)
                .replica("mariadb-replica", MariaDb.dataSource(MariaDb.replicaUrl()))
                .replicaLagThreshold(Duration.ofSeconds(2))
                .maxTransactionAge(Duration.ofHours(1)).build());
    }

    private static String version(String db, String sql) throws Exception {
        return MariaDb.string(MariaDb.withDatabase(MariaDb.primaryUrl(), db), sql);
    }

    @Test
    void flywayMigratesTwentyTenantDatabasesAndLeavesTheLockedOneAtItsPreviousVersion() throws Exception {
        DataSource primary = MariaDb.dataSource(MariaDb.primaryUrl());
        List<String> ids = ids("my_fwa_");
        ids.forEach(db -> MariaDb.dropDatabase(MariaDb.primaryUrl(), db));
        Flyway.configure().dataSource(primary).schemas("my_fwa_07").defaultSchema("my_fwa_07").locations("classpath:db/fw/mysql")
                .target("1").placeholders(Map.of("deployclaw.flyway.autoRegister", "false")).load().migrate();
        FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(primary).locations("classpath:db/fw/mysql")).build();
        RunReport first;
        try (LockHolder holder = LockHolder.mysql(MariaDb.primaryUrl(), "update my_fwa_07.accounts set name = name")) {
            Thread.sleep(200); // information_schema.INNODB_TRX is refreshed at most every 100 ms on MariaDB
            first = TenantMigrator.builder(auditor(primary), engine).tenants(TenantSource.list(ids))
                    .failurePolicy(FailurePolicy.CONTINUE).build().run();
            assertThat(first.tenant("my_fwa_07").orElseThrow().detail()).contains(String.valueOf(holder.pid()));
        }
        assertThat(first.count(TenantDecision.MIGRATED)).as(first.toText()).isEqualTo(TENANTS - 1);
        assertThat(first.tenant("my_fwa_07").orElseThrow().decision()).isEqualTo(TenantDecision.BLOCKED);
        assertThat(first.tenant("my_fwa_07").orElseThrow().failedGates()).contains("table-lock");
        assertThat(version("my_fwa_07", "select max(version) from flyway_schema_history where success = 1")).isEqualTo("1");
        assertThat(version("my_fwa_07", "select count(*) from information_schema.COLUMNS where table_schema = 'my_fwa_07'"
                + " and table_name = 'accounts' and column_name = 'email'")).isEqualTo("0");
        assertThat(version("my_fwa_12", "select max(version) from flyway_schema_history where success = 1")).isEqualTo("3");

        RunReport again = TenantMigrator.builder(auditor(primary), engine).tenants(TenantSource.list(ids)).build().run();
        assertThat(again.count(TenantDecision.MIGRATED)).as(again.toText()).isEqualTo(1);
        assertThat(again.count(TenantDecision.UP_TO_DATE)).isEqualTo(TENANTS - 1);
        assertThat(version("my_fwa_07", "select max(version) from flyway_schema_history where success = 1")).isEqualTo("3");
    }

    @Test
    void liquibaseUpdatesTwentyTenantDatabasesAndLeavesTheLockedOneAtItsPreviousChangeset() throws Exception {
        DataSource primary = MariaDb.dataSource(MariaDb.primaryUrl());
        List<String> ids = ids("my_lba_");
        for (String db : ids) {
            // the application's own table, present before any changeset; changeset 2 alters it
            MariaDb.freshDatabase(MariaDb.primaryUrl(), db, "create table customers (id bigint primary key, name varchar(100))");
        }
        try (LiquibaseEngine engine = new LiquibaseEngine(primary, "liquibase/mysql-changelog.sql")) {
            RunReport first;
            try (LockHolder holder = LockHolder.mysql(MariaDb.primaryUrl(), "update my_lba_07.customers set name = name")) {
                Thread.sleep(200); // information_schema.INNODB_TRX is refreshed at most every 100 ms on MariaDB
                first = TenantMigrator.builder(auditor(primary), engine).tenants(TenantSource.list(ids))
                        .failurePolicy(FailurePolicy.CONTINUE).build().run();
                assertThat(first.tenant("my_lba_07").orElseThrow().detail()).contains(String.valueOf(holder.pid()));
            }
            assertThat(first.count(TenantDecision.MIGRATED)).as(first.toText()).isEqualTo(TENANTS - 1);
            assertThat(first.tenant("my_lba_07").orElseThrow().decision()).isEqualTo(TenantDecision.BLOCKED);
            assertThat(version("my_lba_07", "select group_concat(ID order by ORDEREXECUTED) from DATABASECHANGELOG")).isEqualTo("1");
            assertThat(version("my_lba_07", "select count(*) from DATABASECHANGELOGLOCK where LOCKED = 1")).isEqualTo("0");
            assertThat(version("my_lba_07", "select count(*) from information_schema.COLUMNS where table_schema = 'my_lba_07'"
                    + " and table_name = 'customers' and column_name = 'tier'")).isEqualTo("0");
            assertThat(version("my_lba_12", "select count(*) from DATABASECHANGELOG")).isEqualTo("3");
            assertThat(version("my_lba_12", "select count(*) from information_schema.TABLES where table_schema = 'my_lba_12'"
                    + " and table_name = 'orders'")).isEqualTo("1");

            RunReport again = TenantMigrator.builder(auditor(primary), engine).tenants(TenantSource.list(ids)).build().run();
            assertThat(again.count(TenantDecision.MIGRATED)).as(again.toText()).isEqualTo(1);
            assertThat(version("my_lba_07", "select count(*) from DATABASECHANGELOG")).isEqualTo("3");
        }
    }
}

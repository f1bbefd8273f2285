package dev.deployclaw.gates.it.mysql;

import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.TableLockGate;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database per tenant, through the core API (the Flyway and Liquibase adapters are tested elsewhere): one auditor
 * on one DataSource gates and migrates each tenant database; the tenant whose table is held is blocked and left
 * exactly as it was, the others are migrated.
 */
class MariaDbTenantDatabasesTest {
    private static final List<String> TENANTS = List.of("my_tenant_a", "my_tenant_b", "my_tenant_c");

    @AfterEach
    void drop() {
        TENANTS.forEach(t -> MariaDb.dropDatabase(MariaDb.primaryUrl(), t));
    }

    @Test
    void migratesEveryTenantDatabaseExceptTheOneWhoseTableIsHeldWhichStaysUnchanged() throws Exception {
        for (String t : TENANTS) {
            MariaDb.freshDatabase(MariaDb.primaryUrl(), t, "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)",
                    "INSERT INTO accounts VALUES (1, 1)");
        }
        String heldUrl = MariaDb.withDatabase(MariaDb.primaryUrl(), "my_tenant_b");
        String heldBefore = MariaDb.showCreate(heldUrl, "accounts");
        SecurityAuditor auditor = new SecurityAuditor(MariaDb.config(MariaDb.primaryUrl()).build());
        Map<String, GateReport> reports = new LinkedHashMap<>();

        try (LockHolder holder = LockHolder.mysql(heldUrl, "UPDATE accounts SET balance = 2 WHERE id = 1")) {
            Thread.sleep(200); // INNODB_TRX is served from a cache refreshed at most every 100 ms
            for (String t : TENANTS) {
                GateReport r = auditor.enforcePreMigrationGates(MariaDb.alter("ALTER TABLE accounts ADD COLUMN plan VARCHAR(10)")
                        .tenant(t).schema(t).rollbackStatement("ALTER TABLE accounts DROP COLUMN plan").build());
                reports.put(t, r);
                if (r.allGatesPassed()) {
                    auditor.executeWithMonitoring(r.approvedStatement().orElseThrow());
                }
            }
        }

        assertThat(reports.get("my_tenant_a").allGatesPassed()).as(reports.get("my_tenant_a").toText()).isTrue();
        assertThat(reports.get("my_tenant_c").allGatesPassed()).as(reports.get("my_tenant_c").toText()).isTrue();
        assertThat(reports.get("my_tenant_b").verdict(TableLockGate.ID).orElseThrow().outcome()).isEqualTo(Outcome.FAILED);
        assertThat(MariaDb.showCreate(MariaDb.withDatabase(MariaDb.primaryUrl(), "my_tenant_a"), "accounts")).contains("`plan`");
        assertThat(MariaDb.showCreate(MariaDb.withDatabase(MariaDb.primaryUrl(), "my_tenant_c"), "accounts")).contains("`plan`");
        assertThat(MariaDb.showCreate(heldUrl, "accounts")).isEqualTo(heldBefore);
        assertThat(MariaDb.string(MariaDb.primaryUrl(), "SELECT DATABASE()")).isEqualTo("test");
    }

    @Test
    void refusesATenantDatabaseNameThatIsNotAPlainIdentifierBeforeAnySqlRuns() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MariaDb.alter("ALTER TABLE accounts ADD COLUMN x INT")
                        .schema("my_tenant`; DROP DATABASE test; --"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema must contain only ASCII letters");
    }
}

package dev.deployclaw.gates.it.postgres;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.TopologyGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

class TopologyGateTest {
    private static final String SHARED = "fd_topo_shared";
    private static final String TENANT = "fd_topo_t1";

    @AfterEach
    void cleanup() throws Exception {
        PgSchemas.drop(TestDatabases.postgresUrl(), SHARED);
        PgSchemas.drop(TestDatabases.postgresUrl(), TENANT);
    }

    private static Verdict topology(String schema) {
        return new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).tenantSchemaPattern("fd\\_topo\\_t%")
                .requirePointInTimeRecovery(false).build())
                .enforcePreMigrationGates(MigrationRequest.builder().schema(schema).operation("alter table users add column x int")
                        .rollbackStatement("alter table users drop column x").build())
                .verdict(TopologyGate.ID).orElseThrow();
    }

    @Test
    void recordsASharedSchemaWithItsTenantIdTablesRowLevelSecurityAndPolicies() throws Exception {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + SHARED + " cascade");
            st.execute("create schema " + SHARED);
            st.execute("create table " + SHARED + ".users (id int, tenant_id int)");
            st.execute("create table " + SHARED + ".orders (id int, tenant_id int)");
            st.execute("create table " + SHARED + ".countries (code text)");
            st.execute("create index on " + SHARED + ".users (tenant_id)");
            st.execute("alter table " + SHARED + ".users enable row level security");
            st.execute("alter table " + SHARED + ".users force row level security");
            st.execute("create policy by_tenant on " + SHARED + ".users using (tenant_id = current_setting('app.tenant')::int)");
        }
        Verdict v = topology(SHARED);
        assertThat(v.outcome()).as(v.detail()).isEqualTo(Outcome.WARNED);
        assertThat(v.detail()).startsWith("Shared schema " + SHARED + ": 2 of 3 tables carry tenant_id; row-level security"
                + " enabled on 1 (forced on 1), 1 policies.").contains("rely on the application alone");

        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("alter table " + SHARED + ".orders enable row level security");
        }
        assertThat(topology(SHARED).outcome()).isEqualTo(Outcome.PASSED);
    }

    @Test
    void recordsASchemaPerTenantAndCountsTheTenantSchemas() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), TENANT);
        Verdict v = topology(TENANT);
        assertThat(v.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(v.detail()).isEqualTo("Schema-per-tenant: schema " + TENANT + " holds 1 tables, none with tenant_id."
                + " 1 tenant schemas match fd\\_topo\\_t%.");
    }
}

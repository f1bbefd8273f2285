package dev.deployclaw.gates.demo;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.ExecutionResult;
import dev.deployclaw.gates.core.IsolationLevel;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.GateReport;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The README's demo: three tenant schemas, a forgotten idle-in-transaction session on one tenant's {@code users},
 * the BLOCKED report, the session released, the SAFE_TO_MIGRATE report and the executed DDL.
 *
 * <p>Runs against {@code DEPLOYCLAW_PG_URL}, else the local PostgreSQL on 127.0.0.1:5432 (with the CI standby on
 * 5433 when it runs), else an embedded PostgreSQL started for the demo.
 */
public final class Demo {
    private static final String LOCAL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final String LOCAL_STANDBY = "jdbc:postgresql://127.0.0.1:5433/test?user=postgres";
    private static final String TENANT = "demo_tenant_2";

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        String url = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL", LOCAL);
        EmbeddedPostgres embedded = null;
        boolean forced = Boolean.parseBoolean(System.getenv("DEPLOYCLAW_DEMO_EMBEDDED"));
        if (forced || !reachable(url)) {
            System.out.println((forced ? "DEPLOYCLAW_DEMO_EMBEDDED=true" : "No PostgreSQL answers at " + url)
                    + ": starting an embedded PostgreSQL for the demo.");
            embedded = EmbeddedPostgres.builder().start();
            url = embedded.getJdbcUrl("postgres", "postgres");
        }
        try {
            run(url);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static void run(String url) throws Exception {
        DataSource primary = dataSource(url);
        boolean archiving;
        try (Connection c = primary.getConnection(); Statement st = c.createStatement()) {
            for (int i = 1; i <= 3; i++) {
                st.execute("drop schema if exists demo_tenant_" + i + " cascade");
                st.execute("create schema demo_tenant_" + i);
                st.execute("create table demo_tenant_" + i + ".users (id bigint primary key, email text not null)");
                st.execute("insert into demo_tenant_" + i + ".users select g, 'u' || g || '@example.com' from generate_series(1, 1000) g");
            }
            try (ResultSet rs = st.executeQuery("select current_setting('archive_mode') <> 'off'")) {
                rs.next();
                archiving = rs.getBoolean(1);
            }
            if (archiving) {
                st.execute("select pg_switch_wal()");
            }
        }
        AuditorConfig.Builder config = AuditorConfig.builder(primary).tenantId(TENANT).tenantSchemaPattern("demo_tenant_%")
                .requirePointInTimeRecovery(archiving);
        if (url.equals(LOCAL) && reachable(LOCAL_STANDBY)) {
            config.replica("deployclaw-standby", dataSource(LOCAL_STANDBY));
        }
        if (!archiving) {
            System.out.println("(This server does not archive WAL, so the demo turns the point-in-time-recovery check off;"
                    + " the report says so.)");
        }
        SecurityAuditor auditor = new SecurityAuditor(config.build());
        MigrationRequest request = MigrationRequest.builder()
                .schema(TENANT)
                .operation("ALTER TABLE users ADD COLUMN tenant_scope VARCHAR(255)")
                .isolationLevel(IsolationLevel.SERIALIZABLE)
                .rollbackStatement("ALTER TABLE users DROP COLUMN tenant_scope")
                .build();

        System.out.println("\n=== 1. A forgotten session sits idle in transaction on " + TENANT + ".users ===");
        try (Connection holder = DriverManager.getConnection(url); Statement st = holder.createStatement()) {
            st.execute("set application_name = 'forgotten-batch-job'");
            holder.setAutoCommit(false);
            st.execute("update " + TENANT + ".users set email = email where id = 1");
            GateReport blocked = auditor.enforcePreMigrationGates(request);
            System.out.println(blocked.toText());
            System.out.println("allGatesPassed = " + blocked.allGatesPassed() + ", approvedStatement present = "
                    + blocked.approvedStatement().isPresent() + " -> nothing was sent to the database.");
            holder.rollback();
        }

        System.out.println("\n=== 2. The session is gone; the same migration is evaluated again ===");
        GateReport safe = auditor.enforcePreMigrationGates(request);
        System.out.println(safe.toText());
        if (safe.allGatesPassed()) {
            ExecutionResult result = auditor.executeWithMonitoring(safe.approvedStatement().orElseThrow());
            System.out.println(result.describe());
            System.out.println("\nThe JSON report of the passing evaluation:");
            System.out.println(safe.toJson());
        }
        try (Connection c = primary.getConnection(); Statement st = c.createStatement()) {
            for (int i = 1; i <= 3; i++) {
                st.execute("drop schema if exists demo_tenant_" + i + " cascade");
            }
        }
    }

    private static DataSource dataSource(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setApplicationName("deployclaw-demo");
        return ds;
    }

    private static boolean reachable(String url) {
        try (Connection c = DriverManager.getConnection(url)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }
}

package dev.deployclaw.gates.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the CLI's main logic in-process: exit codes, JSON shape, masked passwords, live sizes on the real PostgreSQL. */
class DeployClawCliTest {
    static final String PG = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DeployClawCli.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    Path file(String name, String sql) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, sql);
        return p;
    }

    @Test
    void analyzePrintsEachStatementAsJsonAndExitsBlockedWithoutADatabase() throws Exception {
        Path f = file("V1__idx.sql", "set lock_timeout = '2s';\ncreate index orders_status_idx on orders (status);\n");
        Run r = cli("analyze", "--dialect", "postgresql", "--format", "json", f.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertThat(root.path("decision").asText()).isEqualTo("BLOCKED");
        JsonNode st = root.path("files").get(0).path("statements").get(1);
        assertThat(st.path("index").asInt()).isEqualTo(2);
        assertThat(st.path("locks").path("orders").asText()).isEqualTo("ShareLock");
        assertThat(st.path("rewrites").asBoolean()).isFalse();
        assertThat(st.path("findings").get(0).path("rule").asText()).isEqualTo("create-index-blocking");
        assertThat(st.path("findings").get(0).path("safeAlternative").asText()).contains("CONCURRENTLY");
    }

    @Test
    void analyzeExitsSafeForASafeScriptAndPrintsTheAlgorithmForMariaDb() throws Exception {
        Path f = file("V2__col.sql", "SET SESSION lock_wait_timeout = 3;\nALTER TABLE orders ADD COLUMN note varchar(40);\n");
        Run r = cli("analyze", "--dialect", "mariadb", "--server-version", "10.11", f.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("ALGORITHM=INSTANT").contains("Decision: SAFE");
        Run old = cli("analyze", "--dialect", "mariadb", "--server-version", "10.2", f.toString());
        assertThat(old.out()).contains("ALGORITHM=INPLACE, LOCK=NONE");
    }

    @Test
    void usageErrorsExitWithTwo() throws Exception {
        Path f = file("V3.sql", "select 1;");
        assertThat(cli("analyze", f.toString()).code()).isEqualTo(2);
        assertThat(cli("analyze", "--dialect", "oracle", f.toString()).code()).isEqualTo(2);
        assertThat(cli("analyze", "--dialect", "postgresql", "--server-version", "latest", f.toString()).code()).isEqualTo(2);
        Run missing = cli("analyze", "--dialect", "postgresql", dir.resolve("nope.sql").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.sql");
        assertThat(cli().code()).isEqualTo(2);
    }

    @Test
    void aConnectionErrorExitsWithTwoAndNeverPrintsThePassword() throws Exception {
        Path f = file("V4.sql", "alter table orders add column c text;");
        String url = "jdbc:postgresql://127.0.0.1:1/test?user=u&password=s3cret-pw&connectTimeout=2";
        for (Run r : new Run[]{cli("check", "--url", url, f.toString()),
                cli("analyze", "--dialect", "postgresql", "--url", url, f.toString())}) {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("cannot connect").doesNotContain("s3cret-pw");
            assertThat(r.out()).doesNotContain("s3cret-pw");
        }
    }

    @Test
    void analyzeWithAUrlUsesLiveTableSizes() throws Exception {
        withSchema(() -> {
            Path f = file("V5.sql", "set lock_timeout = '2s'; create index i on orders (status);");
            Run r = cli("analyze", "--dialect", "postgresql", "--format", "json", "--url", PG, "--schema", "ddl_cli", f.toString());
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            JsonNode root = new ObjectMapper().readTree(r.out());
            assertThat(root.path("liveSizes").asBoolean()).isTrue();
            assertThat(root.path("files").get(0).path("tableSizes").path("ddl_cli.orders").path("rows").isNull()
                    || root.path("files").get(0).path("tableSizes").path("ddl_cli.orders").path("rows").asLong() == 0).isTrue();
            assertThat(root.path("files").get(0).path("statements").get(1).path("findings").get(0).path("severity").asText())
                    .isEqualTo("INFO");
        });
    }

    @Test
    void checkRunsEveryGateAndItsExitCodeFollowsTheDecision() throws Exception {
        withSchema(() -> {
            Path f = file("V6.sql", "alter table orders add column c text;");
            Run r = cli("check", "--url", PG, "--schema", "ddl_cli", "--format", "json", "--no-rollback-plan-required",
                    "--no-pitr-required", f.toString());
            assertThat(r.code()).as(r.err()).isIn(0, 1);
            JsonNode root = new ObjectMapper().readTree(r.out());
            assertThat(r.code()).isEqualTo(root.path("decision").asText().equals("BLOCKED") ? 1 : 0);
            assertThat(r.out()).contains("ddlRiskGate").contains("tableLockGate").contains("rollbackValidationGate");
        });
    }

    interface Body {
        void run() throws Exception;
    }

    static void withSchema(Body body) throws Exception {
        Connection c;
        try {
            c = DriverManager.getConnection(PG);
        } catch (SQLException e) {
            Assumptions.abort("PostgreSQL at " + PG + " is not reachable: " + e.getMessage());
            return;
        }
        try (c; Statement st = c.createStatement()) {
            st.execute("drop schema if exists ddl_cli cascade");
            st.execute("create schema ddl_cli");
            st.execute("create table ddl_cli.orders (id int primary key, status text)");
            try {
                body.run();
            } finally {
                st.execute("drop schema if exists ddl_cli cascade");
            }
        }
    }
}

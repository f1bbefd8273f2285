package dev.deployclaw.gates.it.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.it.support.LockHolder;
import dev.deployclaw.gates.it.support.PgSchemas;
import dev.deployclaw.gates.it.support.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ReportFormatTest {
    private static final String SCHEMA = "fd_report";
    private static final String PASSWORD = "Sup3r-Secret-Pw-4711";
    private static final Path JSON_SCHEMA = Path.of("..", "docs", "report-format.schema.json");

    @BeforeAll
    static void schema() throws Exception {
        PgSchemas.recreateWithUsers(TestDatabases.postgresUrl(), SCHEMA);
    }

    @AfterAll
    static void cleanup() throws Exception {
        PgSchemas.drop(TestDatabases.postgresUrl(), SCHEMA);
    }

    private static JsonSchema schemaFromDocs() throws Exception {
        try (InputStream in = Files.newInputStream(JSON_SCHEMA)) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private static MigrationRequest request() {
        return MigrationRequest.builder().schema(SCHEMA).operation("ALTER TABLE users ADD COLUMN tenant_scope VARCHAR(255)")
                .rollbackStatement("ALTER TABLE users DROP COLUMN tenant_scope").build();
    }

    @Test
    void realPassingAndBlockedReportsValidateAgainstTheDocumentedSchema() throws Exception {
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres())
                .replica(TestDatabases.PG_STANDBY_NAME, TestDatabases.postgresStandby()).requirePointInTimeRecovery(false).build());
        GateReport safe = auditor.enforcePreMigrationGates(request());
        GateReport blocked;
        try (LockHolder holder = LockHolder.postgres(TestDatabases.postgresUrl(), "update " + SCHEMA + ".users set email = email")) {
            blocked = auditor.enforcePreMigrationGates(request());
        }
        JsonSchema schema = schemaFromDocs();
        for (GateReport r : new GateReport[]{safe, blocked}) {
            JsonNode json = new ObjectMapper().readTree(r.toJson());
            Set<ValidationMessage> errors = schema.validate(json);
            assertThat(errors).as(r.toJson()).isEmpty();
            assertThat(json.get("agentName").asText()).isEqualTo("SecurityAuditor");
            assertThat(json.get("internalThoughts").get(0).get("step").asInt()).isEqualTo(1);
            assertThat(json.get("gateResults").get("tableLockGate")).isNotNull();
        }
        assertThat(new ObjectMapper().readTree(blocked.toJson()).get("gateResults").get("overallDecision").asText()).isEqualTo("BLOCKED");
    }

    @Test
    void aReportMissingARequiredFieldDoesNotValidate() throws Exception {
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(
                new SecurityAuditor(AuditorConfig.builder(TestDatabases.postgres()).requirePointInTimeRecovery(false).build())
                        .enforcePreMigrationGates(request()).toJson());
        json.remove("executionId");
        assertThat(schemaFromDocs().validate(json)).isNotEmpty();
    }

    @Test
    void theDatabasePasswordAppearsInNoReportLogLineOrExceptionMessage() throws Exception {
        // trust authentication accepts any password, so the URL carries a real-looking one that must never leak
        String primaryUrl = TestDatabases.postgresUrl() + "&password=" + PASSWORD;
        String deadReplica = "jdbc:postgresql://127.0.0.1:5499/test?user=postgres&password=" + PASSWORD + "&connectTimeout=2";
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        StringBuilder everything = new StringBuilder();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            AuditorConfig config = AuditorConfig.builder(TestDatabases.pgDataSource(primaryUrl))
                    .replica("replica-with-password", TestDatabases.pgDataSource(deadReplica)).build();
            GateReport report = new SecurityAuditor(config).enforcePreMigrationGates(request());
            everything.append(report.toJson()).append(report.toText()).append(config);
            GateReport unreachable = new SecurityAuditor(AuditorConfig.builder(TestDatabases.pgDataSource(deadReplica)).build())
                    .enforcePreMigrationGates(request());
            everything.append(unreachable.toJson()).append(unreachable.toText());
            try {
                new SecurityAuditor(AuditorConfig.builder(TestDatabases.pgDataSource(deadReplica)).build()).requireSafe(request());
            } catch (RuntimeException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    everything.append(t.getMessage());
                }
            }
            assertThat(report.toJson()).contains("replica-with-password");
        } finally {
            System.setErr(originalErr);
        }
        everything.append(captured.toString(StandardCharsets.UTF_8));
        assertThat(everything.toString()).doesNotContain(PASSWORD);
    }
}

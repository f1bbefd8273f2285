package dev.deployclaw.gates.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.ddl.ScriptSplitter;
import dev.deployclaw.gates.core.ddl.SqlParseException;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.internal.Secrets;
import dev.deployclaw.gates.core.report.GateReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code deployclaw check}: every gate against the live database, one report per file. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Run every gate (topology, replica lag, table locks, isolation, rollback, DDL risk) against the"
                + " database for each migration script and print the report.")
final class CheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", required = true, description = "JDBC URL of the primary (password is never printed)")
    String url;

    @Option(names = "--replica-url", description = "JDBC URL of a replica read directly for heartbeat lag (repeatable)")
    List<String> replicaUrls = new ArrayList<>();

    @Option(names = "--schema", description = "schema the migration runs in (default: the connection's current schema)")
    String schema;

    @Option(names = "--tenant", description = "tenant id for the report")
    String tenant;

    @Option(names = "--format", defaultValue = "text", description = "json or text (default: ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--no-rollback-plan-required", description = "do not require a rollback plan for these scripts")
    boolean noRollbackPlan;

    @Option(names = "--no-pitr-required", description = "do not require point-in-time recovery (WAL archiving / binlog)")
    boolean noPitr;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "SQL migration scripts, checked one by one")
    List<Path> files;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<String> texts = new ArrayList<>();
        for (Path f : files) {
            try {
                texts.add(Files.readString(f, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + f + ": " + e);
            }
        }
        UrlDataSource primary = new UrlDataSource(url);
        DatabaseKind kind;
        try (Connection c = primary.getConnection()) {
            kind = Dialects.detectKind(c);
        } catch (SQLException e) {
            throw new ConnectionFailure("cannot connect to " + Secrets.mask(url) + ": " + Secrets.mask(e.getMessage())
                    + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"), e);
        }
        AuditorConfig.Builder cfg = AuditorConfig.builder(primary).requirePointInTimeRecovery(!noPitr);
        if (tenant != null) {
            cfg.tenantId(tenant);
        }
        for (int i = 0; i < replicaUrls.size(); i++) {
            cfg.replica("replica-" + (i + 1), new UrlDataSource(replicaUrls.get(i)));
        }
        SecurityAuditor auditor = new SecurityAuditor(cfg.build());
        boolean blocked = false;
        ObjectNode root = AnalyzeCommand.JSON.createObjectNode();
        root.put("tool", "deployclaw check");
        ArrayNode reports = root.putArray("reports");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < files.size(); i++) {
            List<String> statements;
            try {
                statements = ScriptSplitter.split(texts.get(i), kind);
            } catch (SqlParseException e) {
                blocked = true;
                ObjectNode r = reports.addObject();
                r.put("file", files.get(i).toString());
                r.put("overallDecision", "BLOCKED");
                r.put("error", "the script cannot be read safely: " + e.getMessage());
                text.append("FILE ").append(files.get(i)).append(": BLOCKED, the script cannot be read safely: ")
                        .append(e.getMessage()).append("\n\n");
                continue;
            }
            MigrationRequest.Builder req = MigrationRequest.builder().statements(statements)
                    .rollbackValidation(!noRollbackPlan).migrationVersion(files.get(i).getFileName().toString())
                    .description("deployclaw check " + files.get(i).getFileName());
            if (statements.isEmpty()) {
                req.environmentOnly(true);
            }
            if (schema != null) {
                req.schema(schema);
            }
            if (tenant != null) {
                req.tenant(tenant);
            }
            GateReport report = auditor.enforcePreMigrationGates(req.build());
            blocked |= !report.allGatesPassed();
            ObjectNode r = (ObjectNode) AnalyzeCommand.JSON.readTree(report.toJson());
            r.put("file", files.get(i).toString());
            reports.add(r);
            text.append("FILE ").append(files.get(i)).append('\n').append(report.toText()).append("\n\n");
        }
        root.put("decision", blocked ? "BLOCKED" : "SAFE_TO_MIGRATE");
        if (format == Format.json) {
            out.println(Secrets.mask(AnalyzeCommand.JSON.writeValueAsString(root)));
        } else {
            out.print(Secrets.mask(text.toString()));
            out.println("Decision: " + (blocked ? "BLOCKED" : "SAFE_TO_MIGRATE"));
        }
        return blocked ? DeployClawCli.BLOCKED : DeployClawCli.SAFE;
    }
}

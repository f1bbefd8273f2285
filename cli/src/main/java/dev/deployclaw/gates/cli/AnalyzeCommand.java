package dev.deployclaw.gates.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deployclaw.gates.core.ddl.ColumnCatalog;
import dev.deployclaw.gates.core.ddl.DdlReview;
import dev.deployclaw.gates.core.ddl.DdlReviewer;
import dev.deployclaw.gates.core.ddl.DdlRules;
import dev.deployclaw.gates.core.ddl.Finding;
import dev.deployclaw.gates.core.ddl.ScriptSplitter;
import dev.deployclaw.gates.core.ddl.ServerVersion;
import dev.deployclaw.gates.core.ddl.Severity;
import dev.deployclaw.gates.core.ddl.SizeThresholds;
import dev.deployclaw.gates.core.ddl.SqlParseException;
import dev.deployclaw.gates.core.ddl.StatementAnalysis;
import dev.deployclaw.gates.core.ddl.StatementAnalyzer;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TableSize;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.internal.Secrets;
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
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code deployclaw analyze}: per statement, tables, lock modes, rewrite, algorithm and findings; no database needed. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = "Predict what each statement locks, rewrites and breaks. Without --url no database is needed;"
                + " with --url live table sizes decide each size-aware finding's severity.")
final class AnalyzeCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dialect", required = true, description = "postgresql, mysql or mariadb")
    CliDialect dialect;

    @Option(names = "--server-version", description = "e.g. 15, 10.11, 8.0.36 (default: the newest tested, or the live server's)")
    String serverVersion;

    @Option(names = "--format", defaultValue = "text", description = "json or text (default: ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--url", description = "JDBC URL of the database, to read live table sizes (password is never printed)")
    String url;

    @Option(names = "--schema", description = "schema (database on MySQL) unqualified names resolve to (default: the"
            + " connection's current one, else public)")
    String schema;

    @Option(names = "--warn-rows", description = "size-aware findings WARN from this many rows (default 10000)")
    Long warnRows;

    @Option(names = "--block-rows", description = "size-aware findings BLOCK from this many rows (default 1000000)")
    Long blockRows;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "SQL migration scripts")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        DatabaseKind kind = dialect.kind;
        SizeThresholds t = SizeThresholds.DEFAULTS;
        SizeThresholds thresholds;
        try {
            thresholds = new SizeThresholds(warnRows == null ? t.warnRows() : warnRows, blockRows == null ? t.blockRows() : blockRows,
                    t.warnBytes(), t.blockBytes());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Optional<ServerVersion> given;
        try {
            given = Optional.ofNullable(serverVersion).map(ServerVersion::parse);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--server-version: " + e.getMessage());
        }
        List<String> texts = new ArrayList<>();
        for (Path f : files) {
            try {
                texts.add(Files.readString(f, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + f + ": " + e);
            }
        }
        Connection c = null;
        try {
            ServerVersion version = given.orElse(StatementAnalyzer.defaultVersion(kind));
            Optional<Dialect> live = Optional.empty();
            // without a database, unqualified names stay as written (the search path is not known)
            String defaultSchema = schema;
            String sizeNote = null;
            if (url != null) {
                try {
                    c = DriverManager.getConnection(url);
                    DatabaseKind actual = Dialects.detectKind(c);
                    if (actual.mysqlFamily() != kind.mysqlFamily()) {
                        throw new CommandLine.ParameterException(spec.commandLine(), "--dialect " + dialect
                                + " but --url points to " + actual);
                    }
                    if (given.isEmpty()) {
                        version = ServerVersion.parse(c.getMetaData().getDatabaseProductVersion());
                    }
                    try {
                        Dialect d = Dialects.forKind(actual);
                        live = Optional.of(d);
                        if (schema == null) {
                            defaultSchema = d.currentSchema(c);
                        }
                    } catch (UnsupportedOperationException e) {
                        sizeNote = "live sizes are not available for " + actual + " in this build: " + e.getMessage();
                    }
                } catch (SQLException e) {
                    throw new ConnectionFailure("cannot connect to " + Secrets.mask(url) + ": " + Secrets.mask(e.getMessage())
                            + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"), e);
                }
            }
            DdlReviewer reviewer = new DdlReviewer(StatementAnalyzer.of(kind, version), DdlRules.defaults(), thresholds);
            ObjectNode root = JSON.createObjectNode();
            root.put("tool", "deployclaw analyze");
            root.put("dialect", dialect.name());
            root.put("serverVersion", version.toString());
            root.put("liveSizes", live.isPresent());
            if (sizeNote != null) {
                root.put("liveSizesNote", sizeNote);
            }
            ArrayNode fileNodes = root.putArray("files");
            boolean blocked = false;
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < files.size(); i++) {
                ObjectNode fn = fileNodes.addObject();
                fn.put("file", files.get(i).toString());
                List<String> statements;
                try {
                    statements = ScriptSplitter.split(texts.get(i), kind);
                } catch (SqlParseException e) {
                    blocked = true;
                    fn.put("decision", "BLOCKED");
                    fn.put("error", "the script cannot be read safely: " + e.getMessage());
                    fn.putArray("statements");
                    text.append("FILE ").append(files.get(i)).append(": BLOCKED\n  the script cannot be read safely: ")
                            .append(e.getMessage()).append('\n');
                    continue;
                }
                List<StatementAnalysis> analyses = reviewer.analyze(statements);
                Optional<Map<TableRef, TableSize>> sizes = Optional.empty();
                if (live.isPresent() && !DdlReviewer.tablesWithTypeChanges(analyses, defaultSchema).isEmpty()) {
                    try {
                        analyses = reviewer.analyze(statements, ColumnCatalog.of(live.get().columnTypes(c,
                                DdlReviewer.tablesWithTypeChanges(analyses, defaultSchema), defaultSchema), defaultSchema));
                    } catch (SQLException e) {
                        if (!"0A000".equals(e.getSQLState())) {
                            throw new ConnectionFailure("cannot read column types: " + Secrets.mask(e.getMessage()), e);
                        }
                    }
                }
                if (live.isPresent()) {
                    try {
                        sizes = Optional.of(live.get().tableSizes(c, DdlReviewer.relationsToMeasure(analyses, defaultSchema),
                                defaultSchema));
                    } catch (SQLException e) {
                        if (!"0A000".equals(e.getSQLState())) {
                            throw new ConnectionFailure("cannot read table sizes: " + Secrets.mask(e.getMessage()), e);
                        }
                        root.put("liveSizesNote", Secrets.mask(e.getMessage()));
                    }
                }
                DdlReview review = reviewer.review(analyses, defaultSchema, sizes);
                blocked |= review.blocks();
                fileNode(fn, review, sizes);
                text.append(fileText(files.get(i).toString(), review));
            }
            root.put("decision", blocked ? "BLOCKED" : "SAFE");
            if (format == Format.json) {
                out.println(JSON.writeValueAsString(root));
            } else {
                out.print(text);
                out.println("Decision: " + (blocked ? "BLOCKED" : "SAFE") + (live.isPresent() ? " (live table sizes from the"
                        + " database)" : " (no database: size-aware rules use their default severity)"));
            }
            return blocked ? DeployClawCli.BLOCKED : DeployClawCli.SAFE;
        } catch (IOException e) {
            throw new IllegalStateException("could not write the output: " + e.getMessage(), e);
        } finally {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // nothing left to do
                }
            }
        }
    }

    static void fileNode(ObjectNode fn, DdlReview review, Optional<Map<TableRef, TableSize>> sizes) {
        fn.put("decision", review.blocks() ? "BLOCKED" : "SAFE");
        fn.putNull("error");
        ArrayNode sts = fn.putArray("statements");
        for (int i = 0; i < review.statements().size(); i++) {
            StatementAnalysis a = review.statements().get(i);
            int index = i + 1;
            ObjectNode s = sts.addObject();
            s.put("index", index);
            s.put("sql", Secrets.mask(a.sql()));
            s.put("kind", a.kind().name());
            ArrayNode actions = s.putArray("actions");
            a.actions().forEach(k -> actions.add(k.name()));
            s.put("understood", a.understood());
            ArrayNode tables = s.putArray("tables");
            a.tables().forEach(t -> tables.add(t.toString()));
            ObjectNode locks = s.putObject("locks");
            a.locks().forEach((t, m) -> locks.put(t.toString(), m.pgName()));
            if (a.namedIndex().isPresent()) {
                s.put("namedIndex", a.namedIndex().get().toString());
                s.put("indexTableLock", a.indexTableLock().map(m -> m.pgName()).orElse(null));
            } else {
                s.putNull("namedIndex");
                s.putNull("indexTableLock");
            }
            s.put("rewrites", a.rewrites());
            s.put("scansUnderLock", a.scansUnderLock());
            s.put("canRunInTransaction", a.canRunInTransaction());
            if (a.algorithm().isPresent()) {
                s.put("algorithm", a.algorithm().get().name());
                s.put("algorithmClause", a.algorithm().get().clause());
            } else {
                s.putNull("algorithm");
                s.putNull("algorithmClause");
            }
            ArrayNode notes = s.putArray("notes");
            a.notes().forEach(notes::add);
            ArrayNode fs = s.putArray("findings");
            for (Finding f : review.findings()) {
                if (f.statementIndex() != index) {
                    continue;
                }
                ObjectNode fo = fs.addObject();
                fo.put("rule", f.ruleId());
                fo.put("severity", f.severity().name());
                fo.put("blocks", f.blocks());
                fo.put("acknowledged", f.acknowledged());
                fo.put("reason", f.acknowledgedReason().orElse(null));
                fo.put("message", Secrets.mask(f.message()));
                fo.put("safeAlternative", f.safeAlternative());
                fo.put("docs", "docs/rules/" + f.ruleId() + ".md");
            }
        }
        ObjectNode sz = fn.putObject("tableSizes");
        sizes.ifPresent(m -> m.forEach((ref, size) -> {
            ObjectNode o = sz.putObject(ref.toString());
            o.put("table", size.table().toString());
            if (size.rows().isPresent()) {
                o.put("rows", size.rows().getAsLong());
            } else {
                o.putNull("rows");
            }
            o.put("bytes", size.bytes());
            o.put("source", size.source());
        }));
        ArrayNode errors = fn.putArray("overrideErrors");
        review.overrideErrors().forEach(errors::add);
        ArrayNode stale = fn.putArray("staleOverrides");
        review.staleOverrides().forEach(stale::add);
    }

    static String fileText(String file, DdlReview review) {
        StringBuilder b = new StringBuilder("FILE ").append(file).append(": ").append(review.blocks() ? "BLOCKED" : "SAFE").append('\n');
        for (int i = 0; i < review.statements().size(); i++) {
            StatementAnalysis a = review.statements().get(i);
            int index = i + 1;
            String one = Secrets.mask(a.sql()).replaceAll("(?m)--[^\\n]*", " ").replaceAll("\\s+", " ").strip();
            b.append(String.format("  %d. %s%n", index, one.length() > 120 ? one.substring(0, 117) + "..." : one));
            List<String> facts = new ArrayList<>();
            facts.add(a.kind().name() + (a.understood() ? "" : " (NOT UNDERSTOOD)"));
            if (!a.locks().isEmpty()) {
                List<String> l = new ArrayList<>();
                a.locks().forEach((t, m) -> l.add(t + " " + m.pgName()));
                facts.add("locks " + String.join(", ", l));
            }
            a.namedIndex().ifPresent(ix -> facts.add("table of index " + ix + " " + a.indexTableLock().map(m -> m.pgName()).orElse("")));
            a.algorithm().ifPresent(al -> facts.add(al.clause()));
            facts.add("rewrite " + (a.rewrites() ? "yes" : "no"));
            facts.add("scan under lock " + (a.scansUnderLock() ? "yes" : "no"));
            facts.add("in a transaction " + (a.canRunInTransaction() ? "yes" : "no"));
            b.append("     ").append(String.join("; ", facts)).append('\n');
            for (Finding f : review.findings()) {
                if (f.statementIndex() == index && (f.severity() != Severity.INFO || f.acknowledged())) {
                    b.append("     ").append(Secrets.mask(f.describe())).append('\n');
                }
            }
        }
        review.overrideErrors().forEach(e -> b.append("  [ERROR] ").append(e).append('\n'));
        review.staleOverrides().forEach(s -> b.append("  [STALE OVERRIDE] ").append(s).append('\n'));
        return b.toString();
    }
}

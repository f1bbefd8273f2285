package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.ddl.ColumnCatalog;
import dev.deployclaw.gates.core.ddl.DdlReview;
import dev.deployclaw.gates.core.ddl.DdlReviewer;
import dev.deployclaw.gates.core.ddl.DdlRules;
import dev.deployclaw.gates.core.ddl.Finding;
import dev.deployclaw.gates.core.ddl.ServerVersion;
import dev.deployclaw.gates.core.ddl.Severity;
import dev.deployclaw.gates.core.ddl.SizeThresholds;
import dev.deployclaw.gates.core.ddl.StatementAnalysis;
import dev.deployclaw.gates.core.ddl.StatementAnalyzer;
import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.ddl.TableSize;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Blocks a statement whose predicted lock, rewrite, scan or breaking change is too risky for the live size of its
 * table: every {@link DdlRules} rule runs on every statement, size-aware findings take their severity from the
 * catalog's estimate against {@code ddlSizeThresholds}, and {@code -- deployclaw:allow <rule-id> <reason>} accepts
 * one finding (ACKNOWLEDGED). A statement nobody understood is a BLOCK finding: it needs approval.
 */
public final class DdlRiskGate implements Gate {
    public static final GateId ID = GateId.of("ddl-risk");
    private static final String NOT_SUPPORTED = "0A000";

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public String action() {
        return "Predicting each statement's locks, rewrites and breaking changes against live table sizes";
    }

    @Override
    public Verdict evaluate(GateContext ctx) throws Exception {
        List<String> statements = ctx.request().statements();
        if (statements.isEmpty()) {
            return Verdicts.skipped(this, "No statements to analyse: DDL risk is checked per migration, on its SQL.");
        }
        ServerVersion version;
        try {
            // the migration's own session tells the version without a round trip; the probe only when there is none
            Connection meta = ctx.request().session().isPresent() ? ctx.request().session().get() : ctx.probe();
            version = ServerVersion.parse(meta.getMetaData().getDatabaseProductVersion());
        } catch (IllegalArgumentException e) {
            version = StatementAnalyzer.defaultVersion(ctx.dialect().kind());
        }
        DdlReviewer reviewer = new DdlReviewer(StatementAnalyzer.of(ctx.dialect().kind(), version), DdlRules.defaults(),
                ctx.config().ddlSizeThresholds());
        List<StatementAnalysis> analyses = reviewer.analyze(statements);
        Set<TableRef> typeChanges = DdlReviewer.tablesWithTypeChanges(analyses, ctx.defaultSchema());
        if (!typeChanges.isEmpty()) {
            try {
                analyses = reviewer.analyze(statements, ColumnCatalog.of(ctx.dialect().columnTypes(ctx.catalog(), typeChanges,
                        ctx.defaultSchema()), ctx.defaultSchema()));
            } catch (SQLException e) {
                if (!NOT_SUPPORTED.equals(e.getSQLState())) {
                    throw e;
                }
                // without column types the type change keeps its stated assumption
            }
        }
        // only what a size-aware finding depends on: most migrations need no catalog read at all, and then the review
        // without sizes is the review
        DdlReview withoutSizes = reviewer.review(analyses, ctx.defaultSchema(), Optional.empty());
        Set<TableRef> relations = reviewer.sizeDependentRelations(analyses, ctx.defaultSchema(), withoutSizes);
        if (relations.isEmpty()) {
            return verdict(timeoutsEnforced(withoutSizes), version, "", ctx.config().ddlSizeThresholds());
        }
        Optional<Map<TableRef, TableSize>> sizes;
        String sizeNote = "";
        try {
            sizes = Optional.of(ctx.dialect().tableSizes(ctx.catalog(), relations, ctx.defaultSchema()));
        } catch (SQLException e) {
            if (!NOT_SUPPORTED.equals(e.getSQLState())) {
                throw e;
            }
            sizes = Optional.empty();
            sizeNote = " Live table sizes are not available for " + ctx.dialect().kind()
                    + ", so every finding keeps its rule's default severity.";
        }
        DdlReview review = timeoutsEnforced(reviewer.review(analyses, ctx.defaultSchema(), sizes));
        return verdict(review, version, sizeNote, ctx.config().ddlSizeThresholds());
    }

    private Verdict verdict(DdlReview review, ServerVersion version, String sizeNote, SizeThresholds thresholds) {
        List<Evidence> ev = new ArrayList<>();
        List<String> blocking = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (Finding f : review.findings()) {
            String name = f.ruleId() + " on statement " + f.statementIndex()
                    + (f.tables().isEmpty() ? "" : " (" + String.join(", ", f.tables().stream().map(TableRef::toString).toList()) + ")")
                    + ": " + (f.acknowledged() ? "ACKNOWLEDGED " + f.severity() : f.severity().name());
            if (f.size().isPresent() && f.size().get().rows().isPresent()) {
                ev.add(Evidence.of(name + ", estimated rows of " + f.size().get().table(), f.size().get().rows().getAsLong(),
                        thresholds.blockRows(), "rows"));
            } else if (f.size().isPresent()) {
                ev.add(Evidence.of(name + ", total bytes of " + f.size().get().table(), f.size().get().bytes(),
                        thresholds.blockBytes(), "bytes"));
            } else {
                ev.add(Evidence.fact(name, "table size not measured"));
            }
            if (f.blocks()) {
                blocking.add(f.describe());
            } else if (f.acknowledged() || f.severity() == Severity.WARN) {
                other.add(f.describe());
            }
        }
        review.overrideErrors().forEach(e -> blocking.add("[ERROR] " + e));
        review.staleOverrides().forEach(s -> other.add("[STALE OVERRIDE] " + s));
        ev.add(Evidence.fact("statements analysed", review.statements().size()));
        ev.add(Evidence.fact("server version", version));
        long info = review.findings().stream().filter(f -> f.severity() == Severity.INFO && !f.acknowledged()).count();
        String tail = (info > 0 ? " " + info + " INFO finding(s) not listed." : "") + sizeNote;
        if (!blocking.isEmpty()) {
            return Verdicts.failed(this, blocking.size() + " finding(s) block: " + String.join("; ", blocking)
                    + (other.isEmpty() ? "" : ". Also: " + String.join("; ", other)) + ". Use the safe alternative, or accept one"
                    + " finding with -- deployclaw:allow <rule-id> <reason> on the statement (docs/rules/<rule-id>.md)." + tail, ev);
        }
        if (review.hasAcknowledged()) {
            return new Verdict(ID, action(), Outcome.ACKNOWLEDGED, String.join("; ", other) + "." + tail, ev, Optional.empty(), 0);
        }
        if (review.hasWarnings()) {
            return Verdicts.warned(this, String.join("; ", other) + "." + tail, ev);
        }
        return Verdicts.passed(this, review.statements().size() + " statement(s) analysed: no finding at WARN or BLOCK."
                + tail, ev);
    }

    /** Rules about a script that sets no lock / statement timeout of its own. */
    private static final Set<String> SESSION_TIMEOUT_RULES = Set.of("missing-lock-timeout", "missing-statement-timeout");

    /**
     * Under the gates the migration session always runs with a lock wait bound and a statement timeout: the
     * transaction-isolation gate puts them in force on the tool's session, and executeWithMonitoring sets them on its
     * own. A script that does not set them itself is then informational, not a warning (the CLI's analyze, which
     * has no session, keeps the rules' own severity).
     */
    private static DdlReview timeoutsEnforced(DdlReview review) {
        List<Finding> findings = new ArrayList<>();
        for (Finding f : review.findings()) {
            findings.add(SESSION_TIMEOUT_RULES.contains(f.ruleId()) && f.severity() != Severity.INFO
                    ? new Finding(f.ruleId(), Severity.INFO, f.statementIndex(), f.statement(), f.tables(), f.size(),
                    f.message() + " (the gates put the session's timeouts in force)", f.safeAlternative(), f.acknowledgedReason())
                    : f);
        }
        return new DdlReview(review.statements(), findings, review.overrideErrors(), review.staleOverrides());
    }
}

package dev.deployclaw.gates.core.ddl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Analyses a script statement by statement, runs every rule, sets each finding's severity from the live size of its
 * table ({@link SizeThresholds}; a table created earlier in the same script counts as empty) and applies the
 * script's {@code deployclaw:allow} overrides. The one entry point the {@code ddl-risk} gate and the CLI share.
 */
public final class DdlReviewer {
    private static final int STATEMENT_CHARS = 160;

    private final StatementAnalyzer analyzer;
    private final List<DdlRule> rules;
    private final SizeThresholds thresholds;

    public DdlReviewer(StatementAnalyzer analyzer, List<DdlRule> rules, SizeThresholds thresholds) {
        this.analyzer = Objects.requireNonNull(analyzer, "analyzer");
        this.rules = List.copyOf(rules);
        this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
    }

    public DdlReviewer(StatementAnalyzer analyzer) {
        this(analyzer, DdlRules.defaults(), SizeThresholds.DEFAULTS);
    }

    public StatementAnalyzer analyzer() {
        return analyzer;
    }

    public List<StatementAnalysis> analyze(List<String> statements) {
        return analyze(statements, ColumnCatalog.NONE);
    }

    public List<StatementAnalysis> analyze(List<String> statements, ColumnCatalog catalog) {
        return statements.stream().map(s -> analyzer.analyze(s, catalog)).toList();
    }

    /** Tables whose column types would sharpen the analysis ({@code ALTER COLUMN … TYPE}), resolved. */
    public static java.util.Set<TableRef> tablesWithTypeChanges(List<StatementAnalysis> analyses, String defaultSchema) {
        java.util.Set<TableRef> out = new LinkedHashSet<>();
        for (StatementAnalysis a : analyses) {
            if (a.has(StatementKind.ALTER_COLUMN_TYPE)) {
                a.tables().forEach(t -> out.add(resolve(t, defaultSchema)));
            }
        }
        return out;
    }

    /**
     * The existing tables (and indexes, for statements that name only an index) whose live size matters, resolved
     * against {@code defaultSchema}; tables created earlier in the script are left out.
     */
    public static Set<TableRef> relationsToMeasure(List<StatementAnalysis> analyses, String defaultSchema) {
        Set<TableRef> created = new LinkedHashSet<>();
        Set<TableRef> out = new LinkedHashSet<>();
        for (StatementAnalysis a : analyses) {
            for (TableRef t : a.tables()) {
                TableRef r = resolve(t, defaultSchema);
                if (!created.contains(r)) {
                    out.add(r);
                }
            }
            a.namedIndex().ifPresent(i -> out.add(resolve(i, defaultSchema)));
            a.createdTables().forEach(t -> created.add(resolve(t, defaultSchema)));
        }
        return out;
    }

    /**
     * The relations whose live size changes a finding: those of the findings of size-aware rules, less the tables
     * created earlier in the same script. A review that has none reads no catalog at all (most migrations: new
     * tables, comments, metadata-only changes).
     */
    public Set<TableRef> sizeDependentRelations(List<StatementAnalysis> analyses, String defaultSchema) {
        return sizeDependentRelations(analyses, defaultSchema, review(analyses, defaultSchema, Optional.empty()));
    }

    /** As above, from the review of the same statements without sizes (which, when this is empty, is the final one). */
    public Set<TableRef> sizeDependentRelations(List<StatementAnalysis> analyses, String defaultSchema, DdlReview withoutSizes) {
        Set<String> sizeAware = new LinkedHashSet<>();
        rules.stream().filter(r -> r.sizePolicy() == SizePolicy.SIZE_AWARE).forEach(r -> sizeAware.add(r.id()));
        List<Set<TableRef>> createdBefore = new ArrayList<>();
        Set<TableRef> created = new LinkedHashSet<>();
        for (StatementAnalysis a : analyses) {
            createdBefore.add(Set.copyOf(created));
            a.createdTables().forEach(t -> created.add(resolve(t, defaultSchema)));
        }
        Set<TableRef> out = new LinkedHashSet<>();
        for (Finding f : withoutSizes.findings()) {
            if (!sizeAware.contains(f.ruleId())) {
                continue;
            }
            Set<TableRef> before = createdBefore.get(f.statementIndex() - 1);
            if (!f.tables().isEmpty() && before.containsAll(f.tables())) {
                continue;
            }
            f.tables().stream().filter(t -> !before.contains(t)).forEach(out::add);
            analyses.get(f.statementIndex() - 1).namedIndex().ifPresent(i -> out.add(resolve(i, defaultSchema)));
        }
        return out;
    }

    public static TableRef resolve(TableRef t, String defaultSchema) {
        return TableRef.of(t.schemaOr(defaultSchema), t.name());
    }

    /** Reviews without live sizes: every finding keeps its rule's default severity. */
    public DdlReview review(List<StatementAnalysis> analyses) {
        return review(analyses, "public", Optional.empty());
    }

    /**
     * @param sizes live sizes keyed by resolved table (or index) reference; empty when no catalog was read, in which
     *              case size-aware findings keep their default severity
     */
    public DdlReview review(List<StatementAnalysis> analyses, String defaultSchema, Optional<Map<TableRef, TableSize>> sizes) {
        List<Finding> findings = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        Set<TableRef> created = new LinkedHashSet<>();
        boolean inTx = false;
        boolean lockTimeout = false;
        boolean statementTimeout = false;
        for (int i = 0; i < analyses.size(); i++) {
            StatementAnalysis a = analyses.get(i);
            int index = i + 1;
            ScriptContext ctx = new ScriptContext(index, analyses, inTx, lockTimeout, statementTimeout);
            List<Finding> own = new ArrayList<>();
            for (DdlRule rule : rules) {
                Optional<DdlRule.Match> m = rule.matcher().match(a, ctx);
                if (m.isPresent()) {
                    own.add(finding(rule, m.get(), a, index, defaultSchema, sizes, created));
                }
            }
            for (Overrides.Override o : Overrides.in(a.sql())) {
                if (DdlRules.byId(o.ruleId()).isEmpty() && rules.stream().noneMatch(r -> r.id().equals(o.ruleId()))) {
                    errors.add("statement " + index + ": override names unknown rule id '" + o.ruleId() + "'; valid ids: "
                            + String.join(", ", rules.stream().map(DdlRule::id).toList()));
                    continue;
                }
                if (o.reason().isBlank()) {
                    errors.add("statement " + index + ": override of " + o.ruleId() + " has no reason; write -- deployclaw:allow "
                            + o.ruleId() + " <why this is safe here>");
                    continue;
                }
                boolean matched = false;
                for (int k = 0; k < own.size(); k++) {
                    if (own.get(k).ruleId().equals(o.ruleId()) && !own.get(k).acknowledged()) {
                        own.set(k, own.get(k).acknowledge(o.reason()));
                        matched = true;
                        break;
                    }
                }
                if (!matched) {
                    stale.add("statement " + index + ": override of " + o.ruleId() + " (\"" + o.reason()
                            + "\") matches no finding; remove it");
                }
            }
            findings.addAll(own);
            a.createdTables().forEach(t -> created.add(resolve(t, defaultSchema)));
            if (a.has(StatementKind.TRANSACTION_BEGIN)) {
                inTx = true;
            } else if (a.has(StatementKind.TRANSACTION_END)) {
                inTx = false;
            }
            lockTimeout |= a.has(StatementKind.SET_LOCK_TIMEOUT);
            statementTimeout |= a.has(StatementKind.SET_STATEMENT_TIMEOUT);
        }
        return new DdlReview(analyses, findings, errors, stale);
    }

    private Finding finding(DdlRule rule, DdlRule.Match m, StatementAnalysis a, int index, String defaultSchema,
                            Optional<Map<TableRef, TableSize>> sizes, Set<TableRef> created) {
        Severity base = rule.severity().min(m.cap());
        List<TableRef> tables = new ArrayList<>();
        a.tables().forEach(t -> tables.add(resolve(t, defaultSchema)));
        List<TableRef> measured = new ArrayList<>(tables);
        a.namedIndex().ifPresent(ix -> measured.add(resolve(ix, defaultSchema)));
        boolean allNew = !tables.isEmpty() && created.containsAll(tables);
        Optional<TableSize> largest = Optional.empty();
        boolean allKnown = !measured.isEmpty();
        for (TableRef t : measured) {
            Optional<TableSize> s = created.contains(t) ? Optional.of(TableSize.createdInMigration(t))
                    : sizes.flatMap(m2 -> Optional.ofNullable(m2.get(t)));
            if (s.isEmpty()) {
                allKnown = false;
            } else if (largest.isEmpty() || bigger(s.get(), largest.get())) {
                largest = s;
            }
        }
        Severity severity = base;
        String sizeText = "";
        switch (rule.sizePolicy()) {
            case FIXED -> {
            }
            case NEW_TABLE_EXEMPT -> {
                if (allNew) {
                    severity = Severity.INFO;
                    sizeText = " (the table was created earlier in this migration)";
                }
            }
            case SIZE_AWARE -> {
                if (allNew) {
                    severity = Severity.INFO;
                    sizeText = " (the table was created earlier in this migration)";
                } else if (allKnown && largest.isPresent()) {
                    severity = base.min(thresholds.classify(largest.get()));
                    sizeText = "; " + largest.get().table() + " has " + largest.get().describe() + "; limits: "
                            + thresholds.describe();
                } else if (sizes.isPresent()) {
                    sizeText = "; table size unknown (not found in the catalog), so the rule's default severity applies";
                }
            }
        }
        return new Finding(rule.id(), severity, index, abbreviate(a.sql()), tables, largest, m.message() + sizeText,
                rule.safeAlternative(), Optional.empty());
    }

    private static boolean bigger(TableSize a, TableSize b) {
        return Comparator.<TableSize>comparingLong(s -> s.rows().orElse(-1)).thenComparingLong(TableSize::bytes).compare(a, b) > 0;
    }

    static String abbreviate(String sql) {
        String one = sql.replaceAll("(?m)--[^\\n]*", " ").replaceAll("\\s+", " ").strip();
        return one.length() > STATEMENT_CHARS ? one.substring(0, STATEMENT_CHARS - 3) + "..." : one;
    }
}

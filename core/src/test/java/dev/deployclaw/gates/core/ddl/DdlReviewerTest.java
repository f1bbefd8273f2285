package dev.deployclaw.gates.core.ddl;

import dev.deployclaw.gates.core.dialect.DatabaseKind;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class DdlReviewerTest {
    private final DdlReviewer reviewer = new DdlReviewer(StatementAnalyzer.of(DatabaseKind.POSTGRESQL), DdlRules.defaults(),
            new SizeThresholds(100, 1000, 1L << 40, 1L << 41));

    private DdlReview review(String script, Map<TableRef, TableSize> sizes) {
        List<StatementAnalysis> a = reviewer.analyze(ScriptSplitter.split(script, DatabaseKind.POSTGRESQL));
        return reviewer.review(a, "public", Optional.of(sizes));
    }

    private static Map<TableRef, TableSize> rows(String table, long rows) {
        TableRef t = TableRef.of("public", table);
        return Map.of(t, new TableSize(t, OptionalLong.of(rows), 8192, "test"));
    }

    @Test
    void blocksCreateIndexOnABigTableAndNamesTheSafeAlternative() {
        DdlReview r = review("create index i on orders (status);", rows("orders", 5000));
        Finding f = r.findings().stream().filter(x -> x.ruleId().equals("create-index-blocking")).findFirst().orElseThrow();
        assertThat(f.severity()).isEqualTo(Severity.BLOCK);
        assertThat(f.message()).contains("ShareLock").contains("public.orders").contains("5,000 rows");
        assertThat(f.safeAlternative()).contains("CREATE INDEX CONCURRENTLY");
        assertThat(r.blocks()).isTrue();
    }

    @Test
    void theSameStatementIsInfoOnASmallTableAndWarnInBetween() {
        assertThat(review("create index i on orders (status);", rows("orders", 10)).blocks()).isFalse();
        DdlReview mid = review("create index i on orders (status);", rows("orders", 500));
        assertThat(mid.blocks()).isFalse();
        assertThat(mid.findings()).anyMatch(f -> f.ruleId().equals("create-index-blocking") && f.severity() == Severity.WARN);
    }

    @Test
    void aTableCreatedEarlierInTheMigrationCountsAsEmpty() {
        DdlReview r = review("create table t (id int); create index i on t (id); alter table t rename column id to id2;", Map.of());
        assertThat(r.blocks()).isFalse();
        assertThat(r.findings()).allMatch(f -> f.severity() != Severity.BLOCK);
    }

    @Test
    void withoutASizeTheRuleDefaultSeverityAppliesFailClosed() {
        assertThat(review("create index i on orders (status);", Map.of()).blocks()).isTrue();
    }

    @Test
    void anOverrideWithAReasonAcknowledgesThatOneFinding() {
        DdlReview r = review("-- deployclaw:allow create-index-blocking table is read-only during the release\n"
                + "create index i on orders (status);\ncreate index j on orders (note);", rows("orders", 5000));
        assertThat(r.findings()).filteredOn(f -> f.ruleId().equals("create-index-blocking"))
                .extracting(Finding::acknowledgedReason)
                .containsExactly(Optional.of("table is read-only during the release"), Optional.empty());
        assertThat(r.blocks()).as("the second statement still blocks").isTrue();
    }

    @Test
    void anOverrideAfterTheSemicolonOnTheSameLineBelongsToThatStatementAndBlockCommentsWorkToo() {
        DdlReview r = review("create index a on orders (x); -- deployclaw:allow create-index-blocking orders is read-only\n"
                + "/* deployclaw:allow drop-column column unused since v12 */ alter table orders drop column legacy;\n"
                + "create index b on orders (y);", rows("orders", 5000));
        assertThat(r.findings()).filteredOn(Finding::acknowledged).extracting(Finding::statementIndex, Finding::ruleId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "create-index-blocking"),
                        org.assertj.core.groups.Tuple.tuple(2, "drop-column"));
        assertThat(r.findings()).filteredOn(f -> f.statementIndex() == 3 && f.ruleId().equals("create-index-blocking"))
                .allMatch(Finding::blocks);
    }

    @Test
    void aStaleOverrideIsReportedAndAnUnknownIdOrMissingReasonIsAnError() {
        DdlReview stale = review("-- deployclaw:allow drop-column nothing is dropped here\ncreate index i on orders (s);",
                rows("orders", 10));
        assertThat(stale.staleOverrides()).singleElement().asString().contains("drop-column").contains("matches no finding");
        DdlReview unknown = review("-- deployclaw:allow no-such-rule because\nselect 1;", Map.of());
        assertThat(unknown.overrideErrors()).singleElement().asString().contains("unknown rule id 'no-such-rule'")
                .contains("create-index-blocking");
        assertThat(unknown.blocks()).isTrue();
        DdlReview noReason = review("-- deployclaw:allow drop-column\nalter table orders drop column x;", Map.of());
        assertThat(noReason.overrideErrors()).singleElement().asString().contains("has no reason");
    }

    @Test
    void concurrentlyBlocksWhenItSharesAMigrationWithOtherWork() {
        DdlReview r = review("alter table orders add column c text; create index concurrently i on orders (c);",
                rows("orders", 10));
        assertThat(r.findings()).anyMatch(f -> f.ruleId().equals("concurrently-in-transaction") && f.blocks());
        DdlReview alone = review("set lock_timeout = '2s'; create index concurrently i on orders (c);", rows("orders", 10));
        assertThat(alone.findings()).noneMatch(f -> f.ruleId().equals("concurrently-in-transaction"));
    }

    @Test
    void everyIssueKindHasARule() {
        assertThat(DdlRules.ids()).contains("create-index-blocking", "drop-index-blocking", "table-rewrite",
                "constraint-validation-under-lock", "set-not-null-scan", "volatile-default", "column-type-change",
                "drop-column", "drop-table", "truncate-table", "delete-without-where", "update-without-where",
                "rename-column", "rename-table", "unique-constraint-under-lock", "long-lock-maintenance",
                "concurrently-in-transaction", "missing-lock-timeout", "missing-statement-timeout", "grant-to-public",
                "disable-row-level-security", "drop-policy", "unparseable-statement");
    }

    @Test
    void eachRuleFiresOnItsExample() {
        Map<String, String> examples = Map.ofEntries(
                Map.entry("drop-index-blocking", "drop index i"),
                Map.entry("table-rewrite", "alter table orders set logged"),
                Map.entry("constraint-validation-under-lock", "alter table orders add constraint c check (a > 0)"),
                Map.entry("set-not-null-scan", "alter table orders alter column a set not null"),
                Map.entry("volatile-default", "alter table orders add column u uuid default gen_random_uuid()"),
                Map.entry("column-type-change", "alter table orders alter column a type bigint"),
                Map.entry("drop-column", "alter table orders drop column a"),
                Map.entry("drop-table", "drop table orders"),
                Map.entry("truncate-table", "truncate orders"),
                Map.entry("delete-without-where", "delete from orders"),
                Map.entry("update-without-where", "update orders set a = 1"),
                Map.entry("rename-column", "alter table orders rename column a to b"),
                Map.entry("rename-table", "alter table orders rename to orders2"),
                Map.entry("unique-constraint-under-lock", "alter table orders add constraint u unique (a)"),
                Map.entry("long-lock-maintenance", "vacuum full orders"),
                Map.entry("missing-lock-timeout", "alter table orders drop column a"),
                Map.entry("missing-statement-timeout", "alter table orders alter column a type bigint"),
                Map.entry("grant-to-public", "grant select on orders to public"),
                Map.entry("disable-row-level-security", "alter table orders disable row level security"),
                Map.entry("drop-policy", "drop policy p on orders"),
                Map.entry("unparseable-statement", "do $$ begin end $$"));
        examples.forEach((id, sql) -> assertThat(review(sql, Map.of()).findings()).as(id + ": " + sql)
                .anyMatch(f -> f.ruleId().equals(id)));
        assertThat(review("create index concurrently i on orders (a); select 1", Map.of()).findings())
                .noneMatch(f -> f.ruleId().equals("concurrently-in-transaction"));
    }

    private java.util.Set<TableRef> toMeasure(String script) {
        return reviewer.sizeDependentRelations(reviewer.analyze(ScriptSplitter.split(script, DatabaseKind.POSTGRESQL)), "public");
    }

    @Test
    void onlyTheTablesOfSizeAwareFindingsAreMeasured() {
        assertThat(toMeasure("create index i on orders (status);")).containsExactly(TableRef.of("public", "orders"));
        assertThat(toMeasure("create table t (id int primary key, name text);")).isEmpty();
        assertThat(toMeasure("comment on table accounts is 'x';")).isEmpty();
        assertThat(toMeasure("create table t (id int); create index i on t (id);")).as("created earlier in the script").isEmpty();
        assertThat(toMeasure("create table t (id int); create index i on app.orders (id);"))
                .containsExactly(TableRef.of("app", "orders"));
    }
}

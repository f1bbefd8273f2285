package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.RollbackPlan;
import liquibase.change.Change;
import liquibase.change.ChangeFactory;
import liquibase.changelog.ChangeSet;
import liquibase.database.Database;
import liquibase.database.DatabaseList;
import liquibase.sql.Sql;
import liquibase.sql.visitor.SqlVisitor;
import liquibase.sqlgenerator.SqlGeneratorFactory;
import liquibase.statement.SqlStatement;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a changeset will send to the database, computed the way Liquibase's executor computes it: each change's
 * statements, through {@link SqlGeneratorFactory} for the target database, then the changeset's {@code modifySql}
 * visitors. XML, YAML, JSON and formatted-SQL changelogs all come out as the statements they become.
 *
 * @param statements    the SQL, split, in execution order
 * @param volatileNames the changes (by name) whose SQL exists only at run time and were not previewed
 * @param rollbackPlan  the changeset's rollback: explicit, automatic, or none with the reason
 */
record ChangeSetPreview(List<String> statements, List<String> volatileNames, RollbackPlan rollbackPlan) {
    /** The roll-forward-only marker (as in Flyway scripts); the reason after it is required. */
    static final Pattern ROLL_FORWARD_ONLY = Pattern.compile("(?m)^\\s*(?:--\\s*)?deployclaw:roll-forward-only\\b[ \\t]*(.*)$");

    ChangeSetPreview {
        statements = List.copyOf(statements);
        volatileNames = List.copyOf(volatileNames);
        Objects.requireNonNull(rollbackPlan, "rollbackPlan");
    }

    static ChangeSetPreview of(ChangeSet changeSet, Database database, VolatileChanges volatileChanges) {
        List<String> statements = new ArrayList<>();
        List<String> volatileNames = new ArrayList<>();
        SqlGeneratorFactory generators = SqlGeneratorFactory.getInstance();
        for (Change change : changeSet.getChanges()) {
            if (change.generateStatementsVolatile(database)) {
                volatileNames.add(name(change));
                if (volatileChanges == VolatileChanges.BLOCK) {
                    continue;
                }
            }
            for (SqlStatement statement : change.generateStatements(database)) {
                // the executor skips these the same way (AbstractExecutor.execute(Change, List))
                if (statement.skipOnUnsupported() && !generators.supports(statement, database)) {
                    continue;
                }
                for (Sql sql : generators.generateSql(statement, database)) {
                    if (sql == null) {
                        continue;
                    }
                    String text = sql.toSql();
                    for (SqlVisitor visitor : changeSet.getSqlVisitors()) {
                        if (visitor != null && DatabaseList.definitionMatches(visitor.getApplicableDbms(), database, true)) {
                            text = visitor.modifySql(text, database);
                        }
                    }
                    if (text != null && !text.isBlank()) {
                        statements.add(text.strip());
                    }
                }
            }
        }
        return new ChangeSetPreview(statements, volatileNames, rollbackPlan(changeSet, database));
    }

    /**
     * A plan exists when the changeset carries an explicit rollback ({@code <rollback>}, formatted SQL
     * {@code --rollback}) or every change supports automatic rollback on this database. Raw SQL has no automatic
     * rollback: a {@code sql} change or a formatted-SQL changeset without {@code --rollback} has no plan.
     */
    static RollbackPlan rollbackPlan(ChangeSet changeSet, Database database) {
        if (changeSet.hasCustomRollbackChanges()) {
            List<String> names = changeSet.getRollback().getChanges().stream().map(ChangeSetPreview::name).toList();
            return new RollbackPlan(RollbackPlan.Kind.TOOL_ROLLBACK, "explicit Liquibase rollback ("
                    + String.join(", ", names) + ")");
        }
        List<String> without = new ArrayList<>();
        List<String> with = new ArrayList<>();
        for (Change change : changeSet.getChanges()) {
            (change.supportsRollback(database) ? with : without).add(name(change));
        }
        if (without.isEmpty() && !with.isEmpty()) {
            return new RollbackPlan(RollbackPlan.Kind.TOOL_ROLLBACK, "automatic Liquibase rollback ("
                    + String.join(", ", with) + ")");
        }
        for (String text : markerPlaces(changeSet)) {
            Matcher m = ROLL_FORWARD_ONLY.matcher(text);
            if (m.find()) {
                String reason = m.group(1).strip();
                if (reason.isEmpty()) {
                    return RollbackPlan.none("the deployclaw:roll-forward-only marker has no reason; write why after it");
                }
                return new RollbackPlan(RollbackPlan.Kind.ROLL_FORWARD_ONLY, reason);
            }
        }
        if (with.isEmpty() && without.isEmpty()) {
            return RollbackPlan.none("the changeset has no changes to roll back and no explicit rollback");
        }
        return RollbackPlan.none(String.join(", ", without) + " cannot be rolled back automatically on "
                + database.getShortName() + " and the changeset has no explicit rollback (add <rollback> or, in formatted SQL,"
                + " --rollback; or declare it with a deployclaw:roll-forward-only <reason> comment)");
    }

    /** Where a roll-forward-only marker may stand: the changeset's comment and its raw SQL. */
    private static List<String> markerPlaces(ChangeSet changeSet) {
        List<String> out = new ArrayList<>();
        if (changeSet.getComments() != null) {
            out.add(changeSet.getComments());
        }
        for (Change change : changeSet.getChanges()) {
            if (change instanceof liquibase.change.core.RawSQLChange raw && raw.getSql() != null) {
                out.add(raw.getSql());
            }
        }
        return out;
    }

    static String name(Change change) {
        try {
            return ChangeFactory.getInstance().getChangeMetaData(change).getName();
        } catch (RuntimeException e) {
            return change.getClass().getSimpleName();
        }
    }
}

package dev.deployclaw.gates.liquibase;

import dev.deployclaw.gates.core.RollbackPlan;
import liquibase.change.AddColumnConfig;
import liquibase.change.ColumnConfig;
import liquibase.change.core.AddColumnChange;
import liquibase.change.core.CreateTableChange;
import liquibase.change.core.DropAllForeignKeyConstraintsChange;
import liquibase.change.core.RawSQLChange;
import liquibase.changelog.ChangeSet;
import liquibase.database.Database;
import liquibase.database.OfflineConnection;
import liquibase.database.core.PostgresDatabase;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.sql.visitor.AppendSqlVisitor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** How a changeset is translated, on an offline PostgreSQL database (no server needed: generation is pure). */
class ChangeSetPreviewTest {
    private Database db;

    @BeforeEach
    void offlinePostgres() throws Exception {
        db = new PostgresDatabase();
        db.setConnection(new OfflineConnection("offline:postgresql?version=15", new ClassLoaderResourceAccessor()));
        db.setDefaultSchemaName("tenant_a");
    }

    private static ChangeSet changeSet(String id) {
        return new ChangeSet(id, "me", false, false, "db/changelog.xml", null, null, null);
    }

    private static AddColumnChange addColumn(String table, String column, String type) {
        AddColumnChange add = new AddColumnChange();
        add.setTableName(table);
        AddColumnConfig col = new AddColumnConfig();
        col.setName(column);
        col.setType(type);
        add.addColumn(col);
        return add;
    }

    @Test
    void previewsAStructuredChangeAsTheSqlLiquibaseGeneratesForTheDatabase() {
        ChangeSet cs = changeSet("1");
        cs.addChange(addColumn("customers", "tier", "varchar(20)"));
        ChangeSetPreview p = ChangeSetPreview.of(cs, db, VolatileChanges.BLOCK);
        assertThat(p.statements()).containsExactly("ALTER TABLE tenant_a.customers ADD tier VARCHAR(20)");
        assertThat(p.volatileNames()).isEmpty();
        assertThat(p.rollbackPlan().kind()).isEqualTo(RollbackPlan.Kind.TOOL_ROLLBACK);
        assertThat(p.rollbackPlan().description()).isEqualTo("automatic Liquibase rollback (addColumn)");
    }

    @Test
    void splitsRawSqlIntoItsStatements() {
        ChangeSet cs = changeSet("2");
        cs.addChange(new RawSQLChange("update customers set tier = 'gold'; delete from customers where id = 0"));
        assertThat(ChangeSetPreview.of(cs, db, VolatileChanges.BLOCK).statements())
                .containsExactly("update customers set tier = 'gold'", "delete from customers where id = 0");
    }

    @Test
    void appliesModifySqlVisitorsOfThisDatabaseOnly() {
        ChangeSet cs = changeSet("3");
        CreateTableChange create = new CreateTableChange();
        create.setTableName("events");
        create.addColumn(new ColumnConfig().setName("id").setType("bigint"));
        cs.addChange(create);
        AppendSqlVisitor pg = new AppendSqlVisitor();
        pg.setValue(" WITH (fillfactor = 70)");
        pg.setApplicableDbms(Set.of("postgresql"));
        AppendSqlVisitor mysql = new AppendSqlVisitor();
        mysql.setValue(" ENGINE=InnoDB");
        mysql.setApplicableDbms(Set.of("mysql"));
        cs.addSqlVisitor(pg);
        cs.addSqlVisitor(mysql);
        assertThat(ChangeSetPreview.of(cs, db, VolatileChanges.BLOCK).statements()).singleElement().asString()
                .startsWith("CREATE TABLE tenant_a.events").endsWith("WITH (fillfactor = 70)");
    }

    @Test
    void rawSqlWithoutExplicitRollbackHasNoPlanAndSaysWhy() {
        ChangeSet cs = changeSet("4");
        cs.addChange(new RawSQLChange("alter table customers add column memo text"));
        RollbackPlan plan = ChangeSetPreview.rollbackPlan(cs, db);
        assertThat(plan.present()).isFalse();
        assertThat(plan.description()).isEqualTo("sql cannot be rolled back automatically on postgresql and the changeset"
                + " has no explicit rollback (add <rollback> or, in formatted SQL, --rollback; or declare it with a"
                + " deployclaw:roll-forward-only <reason> comment)");
    }

    @Test
    void anExplicitRollbackIsAPlanEvenForRawSql() {
        ChangeSet cs = changeSet("5");
        cs.addChange(new RawSQLChange("alter table customers add column memo text"));
        cs.addRollbackChange(new RawSQLChange("alter table customers drop column memo"));
        RollbackPlan plan = ChangeSetPreview.rollbackPlan(cs, db);
        assertThat(plan.kind()).isEqualTo(RollbackPlan.Kind.TOOL_ROLLBACK);
        assertThat(plan.description()).isEqualTo("explicit Liquibase rollback (sql)");
    }

    @Test
    void oneChangeWithoutAutomaticRollbackLeavesTheChangesetWithoutAPlan() {
        ChangeSet cs = changeSet("6");
        cs.addChange(addColumn("customers", "tier", "varchar(20)"));
        cs.addChange(new RawSQLChange("update customers set tier = 'gold'"));
        assertThat(ChangeSetPreview.rollbackPlan(cs, db).present()).isFalse();
    }

    @Test
    void leavesAVolatileChangeOutUnderBlockAndNamesIt() {
        ChangeSet cs = changeSet("7");
        DropAllForeignKeyConstraintsChange drop = new DropAllForeignKeyConstraintsChange();
        drop.setBaseTableName("children");
        cs.addChange(drop);
        cs.addChange(addColumn("customers", "tier", "varchar(20)"));
        ChangeSetPreview p = ChangeSetPreview.of(cs, db, VolatileChanges.BLOCK);
        assertThat(p.volatileNames()).containsExactly("dropAllForeignKeyConstraints");
        assertThat(p.statements()).containsExactly("ALTER TABLE tenant_a.customers ADD tier VARCHAR(20)");
    }

    @Test
    void aRollForwardOnlyMarkerWithAReasonDeclaresThePlan() {
        ChangeSet cs = changeSet("8");
        cs.addChange(new RawSQLChange("-- deployclaw:roll-forward-only backfill; a bad run is fixed by a new changeset\n"
                + "update customers set tier = 'gold'"));
        RollbackPlan plan = ChangeSetPreview.rollbackPlan(cs, db);
        assertThat(plan.kind()).isEqualTo(RollbackPlan.Kind.ROLL_FORWARD_ONLY);
        assertThat(plan.description()).isEqualTo("backfill; a bad run is fixed by a new changeset");

        ChangeSet commented = changeSet("9");
        commented.addChange(new RawSQLChange("update customers set tier = 'gold'"));
        commented.setComments("deployclaw:roll-forward-only data fix");
        assertThat(ChangeSetPreview.rollbackPlan(commented, db).kind()).isEqualTo(RollbackPlan.Kind.ROLL_FORWARD_ONLY);
    }

    @Test
    void aRollForwardOnlyMarkerWithoutAReasonIsNoPlan() {
        ChangeSet cs = changeSet("10");
        cs.addChange(new RawSQLChange("-- deployclaw:roll-forward-only\nupdate customers set tier = 'gold'"));
        RollbackPlan plan = ChangeSetPreview.rollbackPlan(cs, db);
        assertThat(plan.present()).isFalse();
        assertThat(plan.description()).contains("has no reason");
    }
}

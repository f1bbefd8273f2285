package dev.deployclaw.gates.it.liquibase;

import dev.deployclaw.gates.it.support.TestDatabases;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.changelog.visitor.ChangeExecListener;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.resource.ClassLoaderResourceAccessor;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Tenant schemas for the Liquibase tests: created with an existing customers table, inspected, dropped. */
final class LiquibaseTenants {
    private LiquibaseTenants() {
    }

    static String url() {
        return TestDatabases.postgresUrl();
    }

    /** (Re)creates {@code schema} holding the application's own {@code customers} table with one row. */
    static void create(String... schemas) throws SQLException {
        try (Connection c = TestDatabases.connect(url()); Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("drop schema if exists " + s + " cascade");
                st.execute("create schema " + s);
                st.execute("create table " + s + ".customers (id bigint primary key, name text)");
                st.execute("insert into " + s + ".customers values (1, 'acme')");
            }
        }
    }

    static void drop(String... schemas) throws SQLException {
        try (Connection c = TestDatabases.connect(url()); Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("drop schema if exists " + s + " cascade");
            }
        }
    }

    /** A Liquibase database on a new connection whose default and Liquibase schema is {@code schema}. */
    static Database database(String schema) throws SQLException, LiquibaseException {
        Connection c = TestDatabases.connect(url());
        try (Statement st = c.createStatement()) {
            st.execute("set application_name = 'liquibase-" + schema + "'");
        }
        Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
        db.setDefaultSchemaName(schema);
        db.setLiquibaseSchemaName(schema);
        return db;
    }

    /** Runs {@code Liquibase#update} of {@code changelog} on {@code schema} with {@code listener} (may be null). */
    static void update(String changelog, String schema, ChangeExecListener listener) throws Exception {
        Database db = database(schema);
        try (Liquibase lb = new Liquibase(changelog, new ClassLoaderResourceAccessor(), db)) {
            if (listener != null) {
                lb.setChangeExecListener(listener);
            }
            lb.update(new Contexts(), new LabelExpression());
        }
    }

    /** Changeset ids recorded in the tenant's DATABASECHANGELOG, in execution order. */
    static List<String> recorded(String schema) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = TestDatabases.connect(url()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from " + schema + ".databasechangelog order by orderexecuted")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /** True when the tenant's DATABASECHANGELOGLOCK row is not locked. */
    static boolean lockFree(String schema) throws SQLException {
        try (Connection c = TestDatabases.connect(url()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select locked from " + schema + ".databasechangeloglock where id = 1")) {
            return rs.next() && !rs.getBoolean(1);
        }
    }

    static boolean columnExists(String schema, String table, String column) throws SQLException {
        try (Connection c = TestDatabases.connect(url()); var ps = c.prepareStatement(
                "select 1 from information_schema.columns where table_schema = ? and table_name = ? and column_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The exception of {@code type} in {@code t}'s cause chain. */
    static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the cause chain of " + t, t);
    }
}

package dev.deployclaw.gates.it.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Creates and drops throwaway schemas with a {@code users} table on the PostgreSQL primary. */
public final class PgSchemas {
    private PgSchemas() {
    }

    /** Drops and recreates {@code schema} with {@code users(id, email)} holding a few rows. */
    public static void recreateWithUsers(String url, String schema) throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + schema + " cascade");
            st.execute("create schema " + schema);
            st.execute("create table " + schema + ".users (id bigint primary key, email text not null)");
            st.execute("insert into " + schema + ".users select g, 'user' || g || '@example.com' from generate_series(1, 50) g");
        }
    }

    public static void drop(String url, String schema) throws SQLException {
        try (Connection c = TestDatabases.connect(url); Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + schema + " cascade");
        }
    }

    /** The column names of a table, in order: to prove a DDL did or did not run. */
    public static List<String> columns(String url, String schema, String table) throws SQLException {
        try (Connection c = TestDatabases.connect(url);
             var ps = c.prepareStatement("select column_name from information_schema.columns"
                     + " where table_schema = ? and table_name = ? order by ordinal_position")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (var rs = ps.executeQuery()) {
                var out = new java.util.ArrayList<String>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            }
        }
    }
}

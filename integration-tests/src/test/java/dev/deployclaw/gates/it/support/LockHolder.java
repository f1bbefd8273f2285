package dev.deployclaw.gates.it.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A second session that touches a table and stays idle in transaction, holding its lock, until closed. The
 * real-world condition the table-lock gate exists for.
 */
public final class LockHolder implements AutoCloseable {
    private final Connection connection;
    private final long pid;

    private LockHolder(Connection connection, long pid) {
        this.connection = connection;
        this.pid = pid;
    }

    /** Opens a transaction on {@code url} and runs {@code sql} in it (e.g. {@code update users set ...}), then idles. */
    public static LockHolder postgres(String url, String sql) throws SQLException {
        return open(url, "set application_name = 'lock-holder'", "select pg_backend_pid()", sql);
    }

    /** The same on MySQL / MariaDB ({@code CONNECTION_ID()}). */
    public static LockHolder mysql(String url, String sql) throws SQLException {
        return open(url, "set @deployclaw_role = 'lock-holder'", "select connection_id()", sql);
    }

    private static LockHolder open(String url, String label, String pidQuery, String sql) throws SQLException {
        Connection c = TestDatabases.connect(url);
        try (Statement st = c.createStatement()) {
            st.execute(label);
            c.setAutoCommit(false);
            long pid;
            try (var rs = st.executeQuery(pidQuery)) {
                rs.next();
                pid = rs.getLong(1);
            }
            st.execute(sql);
            return new LockHolder(c, pid);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    public long pid() {
        return pid;
    }

    public Connection connection() {
        return connection;
    }

    @Override
    public void close() throws SQLException {
        try {
            connection.rollback();
        } finally {
            connection.close();
        }
    }
}

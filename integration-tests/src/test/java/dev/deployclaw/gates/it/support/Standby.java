package dev.deployclaw.gates.it.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Pauses and resumes WAL replay on the local standby: real replica lag. Always resume in a finally. */
public final class Standby {
    private Standby() {
    }

    public static void pauseReplay() throws SQLException {
        exec("select pg_wal_replay_pause()");
    }

    public static void resumeReplay() throws SQLException {
        exec("select pg_wal_replay_resume()");
    }

    private static void exec(String sql) throws SQLException {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresStandbyUrl()); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Writes on the primary so the paused standby falls behind. */
    public static void writeOnPrimary(String schema) throws SQLException {
        try (Connection c = TestDatabases.connect(TestDatabases.postgresUrl()); Statement st = c.createStatement()) {
            st.execute("create table if not exists " + schema + ".lag_writes (id serial primary key, at timestamptz default now())");
            st.execute("insert into " + schema + ".lag_writes default values");
        }
    }
}

package dev.deployclaw.gates.core.dialect;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/** Picks the dialect from the connection's metadata. */
public final class Dialects {
    private Dialects() {
    }

    public static DatabaseKind detectKind(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        String product = md.getDatabaseProductName().toLowerCase(Locale.ROOT);
        String version = md.getDatabaseProductVersion().toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return DatabaseKind.POSTGRESQL;
        }
        if (product.contains("mariadb") || version.contains("mariadb")) {
            return DatabaseKind.MARIADB;
        }
        if (product.contains("mysql")) {
            return DatabaseKind.MYSQL;
        }
        throw new SQLException("unsupported database '" + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion()
                + "': DeployClaw gates support PostgreSQL 13+, MySQL 8.0+ and MariaDB 10.6+", "0A000");
    }

    public static Dialect forKind(DatabaseKind kind) {
        return switch (kind) {
            case POSTGRESQL -> new PostgresDialect();
            case MYSQL, MARIADB -> new MySqlDialect(kind);
        };
    }
}

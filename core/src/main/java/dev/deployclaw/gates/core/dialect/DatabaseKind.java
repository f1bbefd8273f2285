package dev.deployclaw.gates.core.dialect;

/** The database families the gates understand. */
public enum DatabaseKind {
    POSTGRESQL,
    MYSQL,
    MARIADB;

    public boolean mysqlFamily() {
        return this != POSTGRESQL;
    }
}

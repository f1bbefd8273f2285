package dev.deployclaw.gates.cli;

import dev.deployclaw.gates.core.dialect.DatabaseKind;

/** The {@code --dialect} values. */
enum CliDialect {
    postgresql(DatabaseKind.POSTGRESQL),
    mysql(DatabaseKind.MYSQL),
    mariadb(DatabaseKind.MARIADB);

    final DatabaseKind kind;

    CliDialect(DatabaseKind kind) {
        this.kind = kind;
    }
}

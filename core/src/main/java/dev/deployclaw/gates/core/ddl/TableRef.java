package dev.deployclaw.gates.core.ddl;

import java.util.Objects;
import java.util.Optional;

/** A table named by a statement, as written: an optional schema and the table name, unquoted. */
public record TableRef(Optional<String> schema, String name) {
    public TableRef {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    public static TableRef of(String schema, String name) {
        return new TableRef(Optional.ofNullable(schema), name);
    }

    /** The schema to look in: the named one, else {@code defaultSchema}. */
    public String schemaOr(String defaultSchema) {
        return schema.orElse(defaultSchema);
    }

    @Override
    public String toString() {
        return schema.map(s -> s + ".").orElse("") + name;
    }
}

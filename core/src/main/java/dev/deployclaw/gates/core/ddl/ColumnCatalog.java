package dev.deployclaw.gates.core.ddl;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Current column types read from the live catalog, so {@code ALTER COLUMN … TYPE} can be judged exactly (a rewrite
 * or a binary-coercible change) instead of by assumption. {@link #NONE} when no database is at hand.
 */
public interface ColumnCatalog {
    ColumnCatalog NONE = (table, column) -> Optional.empty();

    /** The column's current type as the server formats it ({@code format_type}), e.g. {@code character varying(20)}. */
    Optional<String> typeOf(TableRef table, String column);

    /**
     * A catalog over a map keyed by resolved table; unqualified tables in statements are resolved against
     * {@code defaultSchema}.
     */
    static ColumnCatalog of(Map<TableRef, Map<String, String>> types, String defaultSchema) {
        Objects.requireNonNull(types, "types");
        return (table, column) -> Optional.ofNullable(types.get(TableRef.of(table.schemaOr(defaultSchema), table.name())))
                .map(cols -> cols.get(column));
    }
}

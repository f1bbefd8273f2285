package dev.deployclaw.gates.core.ddl;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A live size estimate of one table from the catalog.
 *
 * @param table  schema and name as found in the catalog
 * @param rows   estimated rows, when the catalog has an estimate
 * @param bytes  total size on disk including indexes and TOAST
 * @param source where the estimate came from, e.g. {@code pg_class.reltuples}, {@code pg_stat_user_tables.n_live_tup}
 */
public record TableSize(TableRef table, OptionalLong rows, long bytes, String source) {
    public TableSize {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(source, "source");
    }

    /** A table created earlier in the same migration: empty by definition. */
    public static TableSize createdInMigration(TableRef table) {
        return new TableSize(table, OptionalLong.of(0), 0, "created earlier in this migration");
    }

    public String describe() {
        return (rows.isPresent() ? String.format(java.util.Locale.ROOT, "≈ %,d rows", rows.getAsLong()) : "rows unknown")
                + String.format(java.util.Locale.ROOT, ", %,d bytes (%s)", bytes, source);
    }
}

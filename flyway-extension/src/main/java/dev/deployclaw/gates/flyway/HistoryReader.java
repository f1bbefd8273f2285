package dev.deployclaw.gates.flyway;

import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the rows ({@code version}, {@code success}) of many schemas' Flyway history tables in few queries. Schema and
 * table names are validated tenant names and go through the dialect's quoting; the schema names listed are bound.
 */
final class HistoryReader {
    private static final int CHUNK = 200;

    private HistoryReader() {
    }

    /** Schema → its history rows; a schema without a history table is absent. */
    static Map<String, List<String[]>> read(DataSource ds, List<String> schemas, String table) throws SQLException {
        Map<String, List<String[]>> out = new HashMap<>();
        try (Connection c = ds.getConnection()) {
            Dialect d = Dialects.forKind(Dialects.detectKind(c));
            List<String> withHistory = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select table_schema from information_schema.tables"
                    + " where table_name = ? and table_schema = any (?)")) {
                ps.setString(1, table);
                ps.setArray(2, c.createArrayOf("text", schemas.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        withHistory.add(rs.getString(1));
                    }
                }
            }
            for (int i = 0; i < withHistory.size(); i += CHUNK) {
                List<String> chunk = withHistory.subList(i, Math.min(withHistory.size(), i + CHUNK));
                StringBuilder sql = new StringBuilder();
                for (String s : chunk) {
                    sql.append(sql.length() == 0 ? "" : " union all ").append("select cast(? as text), version, success from ")
                            .append(d.quote(s)).append('.').append(d.quote(table));
                }
                try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                    for (int k = 0; k < chunk.size(); k++) {
                        ps.setString(k + 1, chunk.get(k));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                                    .add(new String[] {rs.getString(2), String.valueOf(rs.getBoolean(3))});
                        }
                    }
                }
                chunk.forEach(s -> out.computeIfAbsent(s, k -> new ArrayList<>()));
            }
        }
        return out;
    }
}

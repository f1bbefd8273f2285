package dev.deployclaw.gates.core.dialect;

import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A result set recorded from a server's documented output (rows of named columns), for unit-testing SQL paths of a
 * server that cannot run here (MySQL 8). Columns are readable by name or 1-based index; {@code wasNull} works.
 */
final class RecordedResultSet {
    private RecordedResultSet() {
    }

    /** One row: {@code "Replica_IO_Running", "Yes", "Seconds_Behind_Source", null, ...}. */
    static ResultSet row(Object... namesAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            row.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return rows(List.of(row));
    }

    /** One row of unnamed columns, by position. */
    static ResultSet values(Object... values) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            row.put("col" + (i + 1), values[i]);
        }
        return rows(List.of(row));
    }

    static ResultSet empty() {
        return rows(List.of());
    }

    static ResultSet rows(List<Map<String, Object>> rows) {
        int[] cursor = {-1};
        Object[] last = {null};
        return (ResultSet) Proxy.newProxyInstance(RecordedResultSet.class.getClassLoader(), new Class<?>[]{ResultSet.class},
                (proxy, method, args) -> {
                    String m = method.getName();
                    switch (m) {
                        case "next":
                            cursor[0]++;
                            return cursor[0] < rows.size();
                        case "close":
                            return null;
                        case "wasNull":
                            return last[0] == null;
                        case "isClosed":
                            return false;
                        default:
                            break;
                    }
                    if (!m.startsWith("get") || args == null || args.length != 1) {
                        throw new UnsupportedOperationException("RecordedResultSet." + m + Arrays.toString(args));
                    }
                    Map<String, Object> row = rows.get(cursor[0]);
                    Object v;
                    if (args[0] instanceof Integer index) {
                        v = new ArrayList<>(row.values()).get(index - 1);
                    } else {
                        if (!row.containsKey((String) args[0])) {
                            throw new IllegalArgumentException("no column " + args[0] + " in " + row.keySet());
                        }
                        v = row.get((String) args[0]);
                    }
                    last[0] = v;
                    return switch (m) {
                        case "getString" -> v == null ? null : String.valueOf(v);
                        case "getLong" -> v == null ? 0L : ((Number) v).longValue();
                        case "getInt" -> v == null ? 0 : ((Number) v).intValue();
                        case "getBoolean" -> v != null && (v instanceof Boolean b ? b : ((Number) v).intValue() != 0);
                        case "getBigDecimal" -> v == null ? null : new BigDecimal(String.valueOf(v));
                        case "getObject" -> v;
                        default -> throw new UnsupportedOperationException("RecordedResultSet." + m);
                    };
                });
    }
}

package dev.deployclaw.gates.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.report.GateReport;

import java.sql.Connection;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One full gate evaluation (all gates, one replica read by heartbeat plus pg_stat_replication) on the local primary
 * and standby, over pooled connections as an application would have them: p50/p99 over 1,000 evaluations after a
 * warm-up of 200. Arguments: [evaluations] [warm-up].
 */
public final class GateEvaluationBenchmark {
    private static final String PRIMARY = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String STANDBY = System.getenv().getOrDefault("DEPLOYCLAW_PG_STANDBY_URL",
            "jdbc:postgresql://127.0.0.1:5433/test?user=postgres");

    private GateEvaluationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 && !args[0].isBlank() ? Integer.parseInt(args[0].trim()) : 1000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1].trim()) : 200;
        try (HikariDataSource primary = pool(PRIMARY); HikariDataSource standby = pool(STANDBY)) {
            try (Connection c = primary.getConnection(); Statement st = c.createStatement()) {
                st.execute("drop schema if exists bench_gates cascade");
                st.execute("create schema bench_gates");
                st.execute("create table bench_gates.users (id bigint primary key, email text)");
                st.execute("insert into bench_gates.users select g, 'u' || g from generate_series(1, 10000) g");
                st.execute("select pg_switch_wal()");
            }
            SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(primary)
                    .replica("deployclaw-standby", standby).build());
            MigrationRequest request = MigrationRequest.builder().schema("bench_gates")
                    .operation("ALTER TABLE users ADD COLUMN tenant_scope VARCHAR(255)")
                    .rollbackStatement("ALTER TABLE users DROP COLUMN tenant_scope").build();
            for (int i = 0; i < warmup; i++) {
                auditor.enforcePreMigrationGates(request);
            }
            long[] total = new long[n];
            Map<String, long[]> perGate = new LinkedHashMap<>();
            int blocked = 0;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                GateReport r = auditor.enforcePreMigrationGates(request);
                total[i] = System.nanoTime() - t0;
                if (!r.allGatesPassed()) {
                    blocked++;
                }
                for (Verdict v : r.verdicts()) {
                    perGate.computeIfAbsent(v.gate().value(), k -> new long[n])[i] = v.durationMs() * 1_000_000;
                }
            }
            long[] s = Machine.sorted(total);
            System.out.println("machine: " + Machine.describe());
            System.out.printf(Locale.ROOT, "full gate evaluation, %d runs after %d warm-up: p50 %.2f ms, p99 %.2f ms, max %.2f ms"
                            + " (%d blocked)%n", n, warmup, s[0] == 0 ? 0 : Machine.percentile(s, 50) / 1e6,
                    Machine.percentile(s, 99) / 1e6, s[s.length - 1] / 1e6, blocked);
            System.out.printf(Locale.ROOT, "ratio to the brief's 2,091 ms: p50 is %.4f of it%n", Machine.percentile(s, 50) / 1e6 / 2091);
            for (Map.Entry<String, long[]> e : perGate.entrySet()) {
                long[] g = Machine.sorted(e.getValue());
                System.out.printf(Locale.ROOT, "  %-22s p50 %d ms, p99 %d ms (ms resolution)%n", e.getKey(),
                        Machine.percentile(g, 50) / 1_000_000, Machine.percentile(g, 99) / 1_000_000);
            }
            try (Connection c = primary.getConnection(); Statement st = c.createStatement()) {
                st.execute("drop schema if exists bench_gates cascade");
            }
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setMaximumPoolSize(4);
        cfg.setPoolName("bench");
        return new HikariDataSource(cfg);
    }
}

package dev.deployclaw.gates.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * N tenant schemas (default 1,000) × the same 5-version Flyway set, four ways, on the local PostgreSQL primary
 * (with its standby streaming): (a) a plain Flyway loop, sequential; (b) TenantMigrator with every gate, default
 * parallelism (1); (c) the same with parallelism 4; (floor) the five scripts' raw DDL sent over JDBC, sequential;
 * (d) plain Flyway on four threads, no gates: what parallelism can give on this machine at all, the ceiling of (c).
 * Each mode has its own schemas ({@code bench_a_0001}, ...), dropped before and after. Argument: [tenants].
 *
 * <pre>./mvnw -B -q -Pbench -Dbench=TenantMigrationBenchmark -Dbench.args=1000 -DskipTests verify</pre>
 */
public final class TenantMigrationBenchmark {
    private static final String PRIMARY = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String LOCATION = "classpath:db/bench";
    /**
     * The tenants' empty schemas exist before each timed mode (as they do in a service whose tenants signed up before
     * the migration set was written), unless {@code -Dbench.createSchemas=true}: then Flyway creates each schema inside
     * the timed run, and each CREATE SCHEMA makes PostgreSQL drop every cached plan of every session.
     */
    private static final boolean PRECREATE = !Boolean.getBoolean("bench.createSchemas");
    private static final List<String> SCRIPTS = List.of("V1__create_accounts.sql", "V2__add_email.sql",
            "V3__create_orders.sql", "V4__index_orders.sql", "V5__comment.sql");

    private TenantMigrationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 && !args[0].isBlank() ? Integer.parseInt(args[0].trim()) : 1000;
        System.out.println("machine: " + Machine.describe());
        System.out.println(n + " tenant schemas x 5 versions, PostgreSQL primary " + PRIMARY.replaceAll("password=[^&]*", "password=****")
                + (PRECREATE ? "; the empty tenant schemas exist before each mode" : "; Flyway creates each tenant schema in the run"));
        try (HikariDataSource pool = pool(24)) { // 5 connections per worker, 4 workers, and room
            // warm-up: class loading, JIT and the pool, on 5 tenants per mode, not measured
            drop("bench_w");
            plainFlyway(pool, tenants("bench_wa_", 5));
            migrator(pool, "warm-up (not measured)", "bench_wb_", 5, 2);
            rawDdl(pool, tenants("bench_wf_", 5));
            drop("bench_w");
            long a = timed("(a) plain Flyway loop, sequential", "bench_a_", n, () -> plainFlyway(pool, tenants("bench_a_", n)));
            long[] b = migrator(pool, "(b) TenantMigrator, all gates, parallelism 1", "bench_b_", n, 1);
            long[] c = migrator(pool, "(c) TenantMigrator, all gates, parallelism 4", "bench_c_", n, 4);
            long f = timed("raw DDL floor (JDBC, sequential)", "bench_f_", n, () -> rawDdl(pool, tenants("bench_f_", n)));
            // what four threads can do on this machine at all: the ceiling for (c)
            long d = timed("(d) plain Flyway, 4 threads, no gates", "bench_d_", n, () -> plainFlywayParallel(pool,
                    tenants("bench_d_", n), 4));
            System.out.printf(Locale.ROOT, "ratios: (b)/(a) = %.2f, (c)/(a) = %.2f (goal <= 0.5), (d)/(a) = %.2f, (c)/(d) = %.2f,"
                    + " floor/(a) = %.2f%n", b[0] / (double) a, c[0] / (double) a, d / (double) a, c[0] / (double) d, f / (double) a);
            System.out.printf(Locale.ROOT, "gates' own time: %.1f %% of (b) (goal <= 5 %%), %.1f %% of (c) (summed over threads)%n",
                    100.0 * b[1] / b[0], 100.0 * c[1] / c[0]);
        }
    }

    private interface Run {
        void run() throws Exception;
    }

    private static long timed(String label, String prefix, int n, Run run) throws Exception {
        drop(prefix);
        if (PRECREATE) {
            create(tenants(prefix, n));
        }
        long t0 = System.nanoTime();
        run.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf(Locale.ROOT, "%-48s %8d ms  (%.1f ms per tenant)%n", label, ms, ms / (double) n);
        drop(prefix);
        return ms;
    }

    private static long[] migrator(HikariDataSource pool, String label, String prefix, int n, int parallelism) throws Exception {
        long[] out = new long[2];
        out[0] = timed(label, prefix, n, () -> {
            java.util.Map<String, java.util.concurrent.atomic.LongAdder> perGate = new java.util.concurrent.ConcurrentSkipListMap<>();
            java.util.concurrent.atomic.LongAdder evaluations = new java.util.concurrent.atomic.LongAdder();
            java.util.concurrent.atomic.LongAdder beforeMigrateMicros = new java.util.concurrent.atomic.LongAdder();
            java.util.concurrent.atomic.LongAdder perMigrationMicros = new java.util.concurrent.atomic.LongAdder();
            SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(pool).build())
                    .withListener(new dev.deployclaw.gates.core.GateListener() {
                        @Override
                        public void onVerdict(dev.deployclaw.gates.core.MigrationRequest request,
                                              dev.deployclaw.gates.core.gate.Verdict verdict) {
                            perGate.computeIfAbsent(verdict.gate().value(), k -> new java.util.concurrent.atomic.LongAdder())
                                    .add(verdict.durationMs());
                        }

                        @Override
                        public void onReport(dev.deployclaw.gates.core.report.GateReport report) {
                            evaluations.increment();
                            (report.migrationVersion().isPresent() ? perMigrationMicros : beforeMigrateMicros)
                                    .add(report.executionTimeMicros());
                        }
                    });
            FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(pool).locations(LOCATION)).build();
            RunReport r = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(tenants(prefix, n)))
                    .parallelism(parallelism).build().run();
            out[1] = r.gatesMs();
            StringBuilder split = new StringBuilder("    " + evaluations.sum() + " evaluations; gate time by gate (ms):");
            perGate.forEach((g, ms) -> split.append(' ').append(g).append('=').append(ms.sum()));
            System.out.println(split);
            System.out.printf(Locale.ROOT, "    gate time: %d ms at beforeMigrate, %d ms before each migration, %d ms in the migrator's"
                            + " between-tenant lag checks%n", beforeMigrateMicros.sum() / 1000, perMigrationMicros.sum() / 1000,
                    Math.max(0, r.gatesMs() - (beforeMigrateMicros.sum() + perMigrationMicros.sum()) / 1000));
            if (!r.succeeded()) {
                System.out.println(r.toText());
                throw new IllegalStateException(label + " did not complete: " + r.totals());
            }
        });
        return out;
    }

    private static void plainFlyway(HikariDataSource pool, List<String> tenants) {
        for (String t : tenants) {
            Flyway.configure().dataSource(pool).schemas(t).defaultSchema(t).locations(LOCATION)
                    .placeholders(Map.of("deployclaw.flyway.autoRegister", "false")).load().migrate();
        }
    }

    private static void plainFlywayParallel(HikariDataSource pool, List<String> tenants, int threads) throws Exception {
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (String t : tenants) {
                done.add(ex.submit(() -> plainFlyway(pool, List.of(t))));
            }
            for (java.util.concurrent.Future<?> fu : done) {
                fu.get();
            }
        } finally {
            ex.shutdownNow();
        }
    }

    private static void rawDdl(HikariDataSource pool, List<String> tenants) throws Exception {
        List<String> scripts = new ArrayList<>();
        for (String s : SCRIPTS) {
            try (InputStream in = TenantMigrationBenchmark.class.getResourceAsStream("/db/bench/" + s)) {
                scripts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            for (String t : tenants) {
                st.execute("create schema if not exists " + t);
                st.execute("set search_path to " + t);
                for (String sql : scripts) {
                    st.execute(sql.replace("${flyway:defaultSchema}", t));
                }
            }
            st.execute("reset search_path");
        }
    }

    private static void create(List<String> schemas) throws Exception {
        try (HikariDataSource one = pool(1); Connection c = one.getConnection(); Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("create schema " + s);
            }
        }
    }

    private static List<String> tenants(String prefix, int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("%s%04d", prefix, i)).toList();
    }

    private static void drop(String prefix) throws Exception {
        try (HikariDataSource one = pool(1); Connection c = one.getConnection()) {
            Machine.dropSchemas(c, prefix);
        }
    }

    private static HikariDataSource pool(int size) throws IOException {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(PRIMARY);
        cfg.setMaximumPoolSize(size);
        cfg.setPoolName("bench-tenants");
        return new HikariDataSource(cfg);
    }
}

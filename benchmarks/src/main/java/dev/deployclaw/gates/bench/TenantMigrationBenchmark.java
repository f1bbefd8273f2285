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
 * Each mode has its own schemas ({@code bench_a_3_0001}: mode a, round 3), dropped before and after. The modes take turns
 * in rounds of tenants, so that a slow spell of the machine falls on all of them. Arguments: [tenants] [rounds].
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
    /**
     * With {@code -Dbench.group=true} the migrator's Flyway configuration (modes b and c) has {@code group(true)}: each
     * tenant's migrations in one transaction. Plain Flyway (a, d) keeps Flyway's default.
     */
    private static final boolean GROUP = Boolean.getBoolean("bench.group");
    /**
     * Tenants per mode migrated before the timed rounds, not measured ({@code -Dbench.warmup}, default 200). With 5 the
     * JIT compiler was still compiling Flyway's and the gates' code through the timed rounds: a C2 compiler thread
     * used as much CPU as the migrating thread over the first 300 tenants, on a 2-core machine that (c) saturates.
     */
    private static final int WARMUP = Integer.getInteger("bench.warmup", 200);
    private static final List<String> SCRIPTS = List.of("V1__create_accounts.sql", "V2__add_email.sql",
            "V3__create_orders.sql", "V4__index_orders.sql", "V5__comment.sql");

    private TenantMigrationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        // -Dbench.args arrives as one argument: "1000" or "1000 10" / "1000,10"
        String[] given = String.join(" ", args).trim().split("[\\s,]+");
        int n = given.length > 0 && !given[0].isBlank() ? Integer.parseInt(given[0]) : 1000;
        int rounds = given.length > 1 ? Integer.parseInt(given[1]) : 10;
        if (rounds < 1 || n % rounds != 0) {
            throw new IllegalArgumentException("rounds must divide the tenant count: " + n + " tenants, " + rounds + " rounds");
        }
        int chunk = n / rounds;
        System.out.println("machine: " + Machine.describe());
        System.out.println(n + " tenant schemas x 5 versions, PostgreSQL primary " + PRIMARY.replaceAll("password=[^&]*", "password=****")
                + (PRECREATE ? "; the empty tenant schemas exist before each mode" : "; Flyway creates each tenant schema in the run")
                + (GROUP ? "; the migrator's Flyway runs each tenant's migrations in one transaction (group)" : ""));
        System.out.println(rounds + " rounds of " + chunk + " tenants per mode, the modes taking turns (a, b, c, floor, d) so that"
                + " a slow spell of the machine falls on every mode alike");
        try (HikariDataSource pool = pool(24)) { // 5 connections per worker, 4 workers, and room
            // warm-up, not measured: class loading, the pool and the JIT, on WARMUP tenants per mode, the same modes
            warmUp(pool);
            Mode a = new Mode("(a) plain Flyway loop, sequential", "bench_a_", 0);
            Mode b = new Mode("(b) TenantMigrator, all gates, parallelism 1", "bench_b_", 1);
            Mode c = new Mode("(c) TenantMigrator, all gates, parallelism 4", "bench_c_", 4);
            Mode f = new Mode("raw DDL floor (JDBC, sequential)", "bench_f_", -1);
            // what four threads can do on this machine at all: the ceiling for (c)
            Mode d = new Mode("(d) plain Flyway, 4 threads, no gates", "bench_d_", -4);
            List<Mode> modes = List.of(a, b, c, f, d);
            for (int r = 0; r < rounds; r++) {
                for (Mode m : modes) {
                    m.round(pool, r, chunk);
                }
            }
            for (Mode m : modes) {
                m.print(n);
            }
            System.out.printf(Locale.ROOT, "ratios: (b)/(a) = %.2f, (c)/(a) = %.2f (goal <= 0.5), (d)/(a) = %.2f, (c)/(d) = %.2f,"
                    + " floor/(a) = %.2f%n", b.ms() / a.ms(), c.ms() / a.ms(), d.ms() / a.ms(), c.ms() / d.ms(), f.ms() / a.ms());
            if (d.cpu.machineNanos() > 0) {
                int cores = Runtime.getRuntime().availableProcessors();
                double cpuD = d.cpu.machineNanos() / 1e6 / n;
                double cpuC = c.cpu.machineNanos() / 1e6 / n;
                System.out.printf(Locale.ROOT, "CPU bound: (d) kept the machine busy %.1f ms per tenant, (c) %.1f ms; on %d cores a mode doing"
                        + " (d)'s work cannot take less than %.1f ms per tenant = %.2f x (a), nor (c)'s less than %.2f x (a)%n", cpuD,
                        cpuC, cores, cpuD / cores, cpuD / cores / (a.ms() / n), cpuC / cores / (a.ms() / n));
            }
            System.out.printf(Locale.ROOT, "gates' own time: %.1f %% of (b) (goal <= 5 %%), %.1f %% of (c) (summed over threads): the"
                    + " time the tenants' runs waited for gates%n", 100.0 * b.gateMicros.sum() / 1000 / b.ms(),
                    100.0 * c.gateMicros.sum() / 1000 / c.ms());
            System.out.printf(Locale.ROOT, "gates' work including the checks made in advance (overlapping Flyway's start-up): %.1f %% of"
                            + " (b), %.1f %% of (c)%n", 100.0 * (b.gateMicros.sum() + b.inAdvanceMicros.sum()) / 1000 / b.ms(),
                    100.0 * (c.gateMicros.sum() + c.inAdvanceMicros.sum()) / 1000 / c.ms());
        }
    }

    /** One way of migrating: plain Flyway (parallelism 0), the migrator (1 or 4), the raw DDL (-1) or Flyway on 4 threads (-4). */
    private static final class Mode {
        private final String label;
        private final String prefix;
        private final int parallelism;
        private long nanos;
        /** CPU time of this JVM and of the whole machine (all cores) during the timed rounds. */
        private Machine.Cpu cpu = new Machine.Cpu(0, 0);
        private double slowestRound;
        private double fastestRound = Double.MAX_VALUE;
        private final java.util.concurrent.atomic.LongAdder gateMicros = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder beforeMigrateMicros = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder perMigrationMicros = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder evaluations = new java.util.concurrent.atomic.LongAdder();
        /** Time of the environment checks made in advance, on another thread while Flyway started (not waited for). */
        private final java.util.concurrent.atomic.LongAdder inAdvanceMicros = new java.util.concurrent.atomic.LongAdder();

        Mode(String label, String prefix, int parallelism) {
            this.label = label;
            this.prefix = prefix;
            this.parallelism = parallelism;
        }

        double ms() {
            return nanos / 1e6;
        }

        void round(HikariDataSource pool, int round, int chunk) throws Exception {
            round(pool, round, chunk, false);
        }

        /** One timed round; {@code keep}: the migrated schemas stay (the warm-up keeps them for its catalog statistics). */
        void round(HikariDataSource pool, int round, int chunk, boolean keep) throws Exception {
            List<String> ts = tenants(prefix + round + "_", chunk);
            drop(prefix);
            if (PRECREATE) {
                create(ts);
            }
            Machine.Cpu cpu0 = Machine.Cpu.now();
            long t0 = System.nanoTime();
            switch (parallelism) {
                case 0 -> plainFlyway(pool, ts);
                case -1 -> rawDdl(pool, ts);
                case -4 -> plainFlywayParallel(pool, ts, 4);
                default -> migrate(pool, ts);
            }
            long took = System.nanoTime() - t0;
            nanos += took;
            cpu = cpu.plus(Machine.Cpu.now().minus(cpu0));
            double perTenant = took / 1e6 / chunk;
            slowestRound = Math.max(slowestRound, perTenant);
            fastestRound = Math.min(fastestRound, perTenant);
            if (!keep) {
                drop(prefix);
            }
        }

        void migrate(HikariDataSource pool, List<String> ts) throws Exception {
            SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(pool).build())
                    .withListener(new dev.deployclaw.gates.core.GateListener() {
                        @Override
                        public void onReport(dev.deployclaw.gates.core.report.GateReport report) {
                            evaluations.increment();
                            inAdvanceMicros.add(report.prefetchMicros());
                            (report.migrationVersion().isPresent() ? perMigrationMicros : beforeMigrateMicros)
                                    .add(report.executionTimeMicros());
                        }
                    });
            FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(pool).locations(LOCATION).group(GROUP)).build();
            RunReport r = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(ts)).parallelism(parallelism)
                    .build().run();
            gateMicros.add(r.tenants().stream().mapToLong(RunReport.TenantRun::gatesMicros).sum());
            if (!r.succeeded()) {
                System.out.println(r.toText());
                throw new IllegalStateException(label + " did not complete: " + r.totals());
            }
        }

        void print(int n) {
            System.out.printf(Locale.ROOT, "%-48s %8d ms  (%.1f ms per tenant; rounds %.1f-%.1f)%n", label, nanos / 1_000_000,
                    ms() / n, fastestRound, slowestRound);
            if (cpu.machineNanos() > 0) {
                System.out.println(cpu.perUnit(n, "tenant"));
            }
            if (parallelism > 0) {
                long lag = Math.max(0, gateMicros.sum() - beforeMigrateMicros.sum() - perMigrationMicros.sum());
                System.out.printf(Locale.ROOT, "    %d evaluations; gate time waited for %d ms: %d ms at beforeMigrate, %d ms before"
                                + " each migration, %d ms in the migrator's between-tenant checks; plus %d ms of environment checks"
                                + " made in advance on another thread while Flyway started%n", evaluations.sum(),
                        gateMicros.sum() / 1000, beforeMigrateMicros.sum() / 1000, perMigrationMicros.sum() / 1000, lag / 1000,
                        inAdvanceMicros.sum() / 1000);
            }
        }
    }

    private static void warmUp(HikariDataSource pool) throws Exception {
        if (WARMUP <= 0) {
            return;
        }
        List<Mode> modes = List.of(new Mode("warm-up (a)", "bench_wa_", 0), new Mode("warm-up (b)", "bench_wb_", 1),
                new Mode("warm-up (c)", "bench_wc_", 4), new Mode("warm-up floor", "bench_wf_", -1),
                new Mode("warm-up (d)", "bench_wd_", -4));
        long t0 = System.nanoTime();
        drop("bench_w");
        for (Mode m : modes) {
            m.round(pool, 0, WARMUP, true);
        }
        try (HikariDataSource one = pool(1); Connection c = one.getConnection()) {
            Machine.analyzeCatalog(c);
        }
        drop("bench_w");
        System.out.printf(Locale.ROOT, "warm-up, not measured: %d tenants per mode, %.0f s; then the catalog's statistics taken"
                + " while their schemas existed (as autovacuum would, which is off here)%n", WARMUP, (System.nanoTime() - t0) / 1e9);
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

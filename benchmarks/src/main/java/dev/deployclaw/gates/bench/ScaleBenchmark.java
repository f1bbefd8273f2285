package dev.deployclaw.gates.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import org.flywaydb.core.Flyway;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * TenantMigrator (every gate, parallelism {@value #PARALLELISM}, FailurePolicy CONTINUE, passed reports not kept)
 * over N empty tenant schemas with a 2-version Flyway set ({@code db/scale}), for each N given: wall time per tenant,
 * the gates' share of the tenants' time, and the peak used heap sampled every 20 ms on a background thread. Schemas
 * {@code ev_sc_00001}... are created in batches on one connection before each size and dropped after it.
 *
 * <pre>./mvnw -B -q -Pbench -Dbench=ScaleBenchmark -Dbench.args="100 1000 10000" -Dbench.xmx=256m -DskipTests verify</pre>
 */
public final class ScaleBenchmark {
    private static final String PRIMARY = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    static final int PARALLELISM = 4;
    private static final int BATCH = 500;

    private ScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (String a : args) {
            for (String part : a.trim().split("\\s+")) {
                if (!part.isEmpty()) {
                    sizes.add(Integer.parseInt(part));
                }
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(100, 1000);
        }
        System.out.println("machine: " + Machine.describe());
        System.out.println("TenantMigrator, every gate, parallelism " + PARALLELISM + ", 2 versions per tenant, pooled (Hikari "
                + (PARALLELISM * 4 + 2) + "), keepPassedReports(false); peak = largest used heap sampled every 20 ms");
        System.out.printf(Locale.ROOT, "%8s %10s %12s %10s %12s %14s %9s%n", "tenants", "wall s", "ms/tenant", "gates %",
                "peak heap MB", "run report MB", "result");
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        for (int n : sizes) {
            drop();
            create(n);
            System.gc();
            AtomicLong peak = new AtomicLong();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
            RunReport report;
            long t0 = System.nanoTime();
            try (HikariDataSource pool = pool(PARALLELISM * 4 + 2)) {
                SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(pool).maxTransactionAge(Duration.ofHours(1))
                        .build());
                FlywayEngine engine = FlywayEngine.builder(Flyway.configure().dataSource(pool).locations("classpath:db/scale"))
                        .build();
                report = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(names(n)))
                        .parallelism(PARALLELISM).failurePolicy(FailurePolicy.CONTINUE).keepPassedReports(false).build().run();
            }
            long wallMs = (System.nanoTime() - t0) / 1_000_000;
            sampling.set(false);
            sampler.join();
            System.gc();
            long retained = mem.getHeapMemoryUsage().getUsed();
            long tenantMs = report.tenants().stream().mapToLong(RunReport.TenantRun::durationMs).sum();
            System.out.printf(Locale.ROOT, "%8d %10.1f %12.1f %10.1f %12.1f %14.1f %9s%n", n, wallMs / 1000.0, wallMs / (double) n,
                    100.0 * report.gatesMs() / Math.max(1, tenantMs), peak.get() / 1048576.0, retained / 1048576.0,
                    report.succeeded() ? "ok" : report.totals().toString());
            if (!report.succeeded()) {
                report.tenants().stream().filter(t -> t.decision().problem()).limit(3)
                        .forEach(t -> System.out.println("  " + t.tenant() + " " + t.decision() + ": " + t.detail()));
            }
            report = null;
            drop();
        }
        System.out.println("gates % = time in gate evaluations / sum of the tenants' own wall times (threads overlap);"
                + " run report MB = used heap after the run with the report still referenced, after a GC");
    }

    private static List<String> names(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("ev_sc_%05d", i)).toList();
    }

    private static void create(int n) throws Exception {
        try (Connection c = DriverManager.getConnection(PRIMARY); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            List<String> all = names(n);
            for (int i = 0; i < all.size(); i++) {
                st.execute("create schema " + all.get(i));
                if ((i + 1) % BATCH == 0) {
                    c.commit();
                }
            }
            c.commit();
        }
    }

    private static void drop() throws Exception {
        try (Connection c = DriverManager.getConnection(PRIMARY)) {
            List<String> schemas = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select nspname from pg_namespace where nspname like 'ev\\_sc\\_%'");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    schemas.add(rs.getString(1));
                }
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (int i = 0; i < schemas.size(); i++) {
                    st.execute("drop schema \"" + schemas.get(i) + "\" cascade");
                    if ((i + 1) % 100 == 0) {
                        c.commit(); // a smaller batch: each cascade takes a lock per dropped object
                    }
                }
            }
            c.commit();
        }
    }

    private static HikariDataSource pool(int size) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(PRIMARY);
        cfg.setMaximumPoolSize(size);
        cfg.setPoolName("scale-tenants");
        return new HikariDataSource(cfg);
    }
}

package dev.deployclaw.gates.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.liquibase.LiquibaseEngine;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Beside {@link TenantMigrationBenchmark}, for Liquibase: N tenant schemas (default 1,000) × the same five steps as one
 * formatted-SQL changelog, three ways, on the local PostgreSQL primary: (a) a plain Liquibase loop (CommandScope update
 * per schema, the zero-wiring gate switched off), sequential; (b) TenantMigrator with {@link LiquibaseEngine} and every
 * gate, parallelism 1; (c) the same with parallelism 4. Each mode has its own schemas ({@code lbbench_a_0001}, ...),
 * dropped before and after. Argument: [tenants].
 *
 * <pre>./mvnw -B -q -Pbench -Dbench=LiquibaseTenantMigrationBenchmark -Dbench.args=1000 -DskipTests verify</pre>
 */
public final class LiquibaseTenantMigrationBenchmark {
    private static final String PRIMARY = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String CHANGELOG = "db/bench-liquibase/changelog.sql";
    /** Tenants per mode migrated before the timed modes, not measured ({@code -Dbench.warmup}, default 200). */
    private static final int WARMUP = Integer.getInteger("bench.warmup", 200);

    private LiquibaseTenantMigrationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 && !args[0].isBlank() ? Integer.parseInt(args[0].trim()) : 1000;
        System.out.println("machine: " + Machine.describe());
        System.out.println(n + " tenant schemas x 5 changesets (Liquibase 4.33 formatted SQL), PostgreSQL primary "
                + PRIMARY.replaceAll("password=[^&]*", "password=****"));
        try (HikariDataSource pool = pool(16)) {
            // warm-up, not measured: class loading, Liquibase's service loading, the pool and the JIT (with 5 tenants per
            // mode the JIT compiler was still busy through the timed modes; see TenantMigrationBenchmark#WARMUP)
            long w0 = System.nanoTime();
            drop("lbbench_w");
            if (WARMUP > 0) {
                plainLiquibase(pool, tenants("lbbench_wa_", WARMUP));
                migrator(pool, "lbbench_wb_", WARMUP, 1);
                migrator(pool, "lbbench_wc_", WARMUP, 4);
                try (Connection c = pool.getConnection()) {
                    Machine.analyzeCatalog(c); // while many schemas hold Liquibase's tables
                }
            }
            drop("lbbench_w");
            System.out.printf(Locale.ROOT, "warm-up, not measured: %d tenants per mode, %.0f s; then the catalog's statistics"
                    + " taken while their schemas existed%n", WARMUP, (System.nanoTime() - w0) / 1e9);
            long a = timed("(a) plain Liquibase loop, sequential", "lbbench_a_", n, () -> plainLiquibase(pool, tenants("lbbench_a_", n)));
            long[] b = new long[2];
            b[0] = timed("(b) TenantMigrator, all gates, parallelism 1", "lbbench_b_", n, () -> b[1] = migrator(pool, "lbbench_b_", n, 1));
            long[] c = new long[2];
            c[0] = timed("(c) TenantMigrator, all gates, parallelism 4", "lbbench_c_", n, () -> c[1] = migrator(pool, "lbbench_c_", n, 4));
            System.out.printf(Locale.ROOT, "ratios: (b)/(a) = %.2f, (c)/(a) = %.2f%n", b[0] / (double) a, c[0] / (double) a);
            System.out.printf(Locale.ROOT, "gates' own time: %.1f %% of (b), %.1f %% of (c) (summed over threads)%n",
                    100.0 * b[1] / b[0], 100.0 * c[1] / c[0]);
        }
    }

    private interface Run {
        void run() throws Exception;
    }

    private static long timed(String label, String prefix, int n, Run run) throws Exception {
        drop(prefix);
        Machine.Cpu cpu0 = Machine.Cpu.now();
        long t0 = System.nanoTime();
        run.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Machine.Cpu cpu = Machine.Cpu.now().minus(cpu0);
        System.out.printf(Locale.ROOT, "%-48s %8d ms  (%.1f ms per tenant)%n", label, ms, ms / (double) n);
        if (cpu.machineNanos() > 0) {
            System.out.println(cpu.perUnit(n, "tenant"));
        }
        drop(prefix);
        return ms;
    }

    /** Runs the migrator; returns the gates' own time. */
    private static long migrator(HikariDataSource pool, String prefix, int n, int parallelism) throws Exception {
        createSchemas(pool, tenants(prefix, n));
        // every gate is evaluated as usual; its limits are widened so other suites' long transactions, replay pauses
        // and archiver breaks on this shared machine do not halt the run (the cost of evaluating is the same)
        SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(pool).maxTransactionAge(Duration.ofHours(1))
                .replicaLagThreshold(Duration.ofMinutes(1)).requirePointInTimeRecovery(false).build());
        try (LiquibaseEngine engine = new LiquibaseEngine(pool, CHANGELOG)) {
            RunReport r = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(tenants(prefix, n)))
                    .parallelism(parallelism).failurePolicy(FailurePolicy.CONTINUE).build().run();
            if (!r.succeeded()) {
                System.out.println(r.toText());
                throw new IllegalStateException(prefix + " did not complete: " + r.totals());
            }
            return r.gatesMs();
        }
    }

    private static void plainLiquibase(HikariDataSource pool, List<String> tenants) throws Exception {
        createSchemas(pool, tenants);
        System.setProperty("deployclaw.liquibase.autoRegister", "false");
        try {
            for (String t : tenants) {
                Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(pool.getConnection()));
                try {
                    db.setDefaultSchemaName(t);
                    db.setLiquibaseSchemaName(t);
                    new CommandScope(UpdateCommandStep.COMMAND_NAME)
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, db)
                            .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                            .execute();
                } finally {
                    db.close();
                }
            }
        } finally {
            System.clearProperty("deployclaw.liquibase.autoRegister");
        }
    }

    /** Liquibase, unlike Flyway, does not create the schema it migrates. */
    private static void createSchemas(HikariDataSource pool, List<String> tenants) throws Exception {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            for (String t : tenants) {
                st.execute("create schema if not exists " + t);
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

    private static HikariDataSource pool(int size) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(PRIMARY);
        cfg.setMaximumPoolSize(size);
        cfg.setPoolName("bench-liquibase-tenants");
        return new HikariDataSource(cfg);
    }
}

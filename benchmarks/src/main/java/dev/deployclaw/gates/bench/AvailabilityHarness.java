package dev.deployclaw.gates.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.TenantDecision;
import dev.deployclaw.gates.core.tenant.FailurePolicy;
import dev.deployclaw.gates.core.tenant.TenantMigrator;
import dev.deployclaw.gates.core.tenant.TenantSource;
import dev.deployclaw.gates.flyway.FlywayEngine;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * Availability under load, on the local PostgreSQL primary (loopback only). An application workload of
 * {@value #CLIENTS} client threads does short reads and writes on the tenants' {@code accounts} tables for the whole
 * experiment (each query under a {@value #STATEMENT_TIMEOUT_MS} ms statement timeout, so a stall becomes a counted
 * error). A session holds an {@code idle in transaction} lock on one tenant's table. Then:
 * <ol>
 *   <li>baseline: the workload alone for {@value #BASELINE_S} s;</li>
 *   <li>(a) a plain Flyway loop migrates {@value #TENANTS} tenants (2 versions, {@code ALTER TABLE} each); it queues
 *       behind the holder on the locked tenant, and every query on that tenant queues behind its DDL. The harness
 *       releases the holder {@value #RELEASE_AFTER_S} s after the loop reaches that tenant, as an operator eventually
 *       would;</li>
 *   <li>(b) TenantMigrator with every gate (FailurePolicy CONTINUE) migrates the same {@value #TENANTS} tenants, in
 *       fresh schemas, with the holder again on the same tenant (held for the whole of (b)).</li>
 * </ol>
 * Prints p50/p99/max latency, throughput and errors per period, with ratios to the baseline, and the tenant (b)
 * reported BLOCKED. Creates and drops {@code ev_av_a_*} and {@code ev_av_b_*} schemas; stops by itself (hard limit
 * {@value #HARD_LIMIT_S} s).
 *
 * <pre>./mvnw -B -q -Pbench -Dbench=AvailabilityHarness -DskipTests verify</pre>
 */
public final class AvailabilityHarness {
    private static final String PRIMARY = System.getenv().getOrDefault("DEPLOYCLAW_PG_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    static final int CLIENTS = 8;
    static final int TENANTS = 100;
    static final int ROWS = 200;
    static final int BASELINE_S = 15;
    static final int WARMUP_S = 3;
    static final int RELEASE_AFTER_S = 10;
    static final int STATEMENT_TIMEOUT_MS = 1000;
    static final int HARD_LIMIT_S = 600;
    private static final int LOCKED = 50; // the tenant whose table the idle-in-transaction session holds

    private AvailabilityHarness() {
    }

    /** Latencies (ns) and outcomes recorded during one period; each client thread appends to its own slot. */
    static final class Period {
        final String label;
        final long[][] nanos = new long[CLIENTS][];
        final int[] n = new int[CLIENTS];
        final int[] errors = new int[CLIENTS];
        long startNs;
        long endNs;

        Period(String label) {
            this.label = label;
            for (int i = 0; i < CLIENTS; i++) {
                nanos[i] = new long[4096];
            }
        }

        synchronized void record(int client, long ns, boolean error) {
            if (n[client] == nanos[client].length) {
                nanos[client] = Arrays.copyOf(nanos[client], n[client] * 2);
            }
            nanos[client][n[client]++] = ns;
            if (error) {
                errors[client]++;
            }
        }

        synchronized long[] recorded() {
            long[] out = new long[Arrays.stream(n).sum()];
            int k = 0;
            for (int i = 0; i < CLIENTS; i++) {
                System.arraycopy(nanos[i], 0, out, k, n[i]);
                k += n[i];
            }
            return Machine.sorted(out);
        }

        synchronized int errorCount() {
            return Arrays.stream(errors).sum();
        }

        double seconds() {
            return (endNs - startNs) / 1e9;
        }
    }

    private static volatile Period current;
    private static volatile String activePrefix = "ev_av_a_";
    private static final AtomicBoolean RUNNING = new AtomicBoolean(true);

    public static void main(String[] args) throws Exception {
        Thread limit = new Thread(() -> {
            try {
                Thread.sleep(HARD_LIMIT_S * 1000L);
                System.out.println("hard limit of " + HARD_LIMIT_S + " s reached: stopping");
                System.exit(2);
            } catch (InterruptedException ignored) {
                // finished in time
            }
        }, "availability-limit");
        limit.setDaemon(true);
        limit.start();

        System.out.println("machine: " + Machine.describe());
        System.out.printf(Locale.ROOT, "%d client threads, %d tenants (accounts, %d rows each), statement_timeout %d ms on the"
                + " workload, primary %s%n", CLIENTS, TENANTS, ROWS, STATEMENT_TIMEOUT_MS, PRIMARY.replaceAll("password=[^&]*", "password=****"));
        dropAll();
        createTenants("ev_av_a_");
        createTenants("ev_av_b_");
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            int id = i;
            Thread t = new Thread(() -> client(id), "availability-client-" + i);
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }
        Period baseline = new Period("baseline (workload alone)");
        Period a = new Period("(a) plain Flyway loop");
        Period b = new Period("(b) TenantMigrator, all gates");
        String lockedA = tenant("ev_av_a_", LOCKED);
        String lockedB = tenant("ev_av_b_", LOCKED);
        RunReport report;
        long[] slowest = new long[2];
        try (HikariDataSource pool = pool(8)) {
            Thread.sleep(WARMUP_S * 1000L);
            begin(baseline);
            Thread.sleep(BASELINE_S * 1000L);
            end(baseline);

            // (a) plain Flyway: queues behind the holder on the locked tenant, every query on it queues behind the DDL
            try (Connection holder = hold(lockedA)) {
                Thread release = new Thread(() -> {
                    try {
                        Thread.sleep(RELEASE_AFTER_S * 1000L);
                        holder.rollback();
                        System.out.printf(Locale.ROOT, "(a): the harness released the lock holder on %s %d s after the loop"
                                + " reached that tenant, as an operator eventually would%n", lockedA, RELEASE_AFTER_S);
                    } catch (InterruptedException | SQLException e) {
                        System.out.println("(a): could not release the holder: " + e);
                    }
                }, "availability-release");
                begin(a);
                for (int i = 1; i <= TENANTS; i++) {
                    if (i == LOCKED) {
                        release.start();
                    }
                    long t0 = System.nanoTime();
                    flyway(pool, tenant("ev_av_a_", i)).load().migrate();
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    if (ms > slowest[0]) {
                        slowest[0] = ms;
                        slowest[1] = i;
                    }
                }
                end(a);
                release.join();
            }

            // (b) the migrator: fresh schemas, the holder again on the same tenant, held for the whole of (b)
            activePrefix = "ev_av_b_";
            Thread.sleep(2000); // let the clients move over to the fresh schemas (not recorded)
            try (Connection holder = hold(lockedB)) {
                SecurityAuditor auditor = new SecurityAuditor(AuditorConfig.builder(pool).maxTransactionAge(Duration.ofHours(1))
                        .build());
                FlywayEngine engine = FlywayEngine.builder(flyway(pool, null)).build();
                begin(b);
                report = TenantMigrator.builder(auditor, engine).tenants(TenantSource.list(
                                IntStream.rangeClosed(1, TENANTS).mapToObj(i -> tenant("ev_av_b_", i)).toList()))
                        .failurePolicy(FailurePolicy.CONTINUE).keepPassedReports(false).build().run();
                end(b);
                holder.rollback();
            }
        } finally {
            RUNNING.set(false);
            for (Thread t : clients) {
                t.join(5000);
            }
        }

        System.out.printf(Locale.ROOT, "(a): the slowest tenant was %s at %d ms (plain Flyway has no lock_timeout: it waited"
                + " for the holder)%n", tenant("ev_av_a_", (int) slowest[1]), slowest[0]);
        System.out.printf(Locale.ROOT, "(b): %s in %d ms%n", report.totals(), report.durationMs());
        report.tenants().stream().filter(t -> t.decision() != TenantDecision.MIGRATED).forEach(t ->
                System.out.println("(b) reported " + t.decision() + ": " + t.tenant() + " (" + String.join(", ", t.failedGates())
                        + "): " + (t.detail().length() > 240 ? t.detail().substring(0, 237) + "..." : t.detail())));
        System.out.println();
        table(baseline, a, b);
        dropAll();
        limit.interrupt();
    }

    private static void begin(Period p) {
        p.startNs = System.nanoTime();
        current = p;
    }

    private static void end(Period p) throws InterruptedException {
        p.endNs = System.nanoTime();
        current = null;
        Thread.sleep(STATEMENT_TIMEOUT_MS + 200L); // requests in flight finish and are counted in their period
    }

    private static void client(int id) {
        Connection c = null;
        while (RUNNING.get()) {
            try {
                if (c == null) {
                    c = DriverManager.getConnection(PRIMARY);
                    try (Statement st = c.createStatement()) {
                        st.execute("set application_name = 'availability-client'");
                        st.execute("set statement_timeout = " + STATEMENT_TIMEOUT_MS);
                    }
                }
                ThreadLocalRandom r = ThreadLocalRandom.current();
                String t = tenant(activePrefix, 1 + r.nextInt(TENANTS));
                boolean write = r.nextBoolean();
                String sql = write ? "update " + t + ".accounts set hits = hits + 1 where id = ?"
                        : "select id, name, hits from " + t + ".accounts where id = ?";
                Period p = current;
                long t0 = System.nanoTime();
                boolean error = false;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setInt(1, 1 + r.nextInt(ROWS));
                    if (write) {
                        ps.executeUpdate();
                    } else {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                        }
                    }
                } catch (SQLException e) {
                    error = true;
                    if (c.isClosed() || !c.isValid(1)) {
                        c = null;
                    }
                }
                if (p != null) {
                    p.record(id, System.nanoTime() - t0, error);
                }
            } catch (SQLException e) {
                c = null;
            }
        }
        try {
            if (c != null) {
                c.close();
            }
        } catch (SQLException ignored) {
            // exiting
        }
    }

    /** A session that reads the tenant's table and stays idle in transaction: its ACCESS SHARE lock stays. */
    private static Connection hold(String schema) throws SQLException {
        Connection c = DriverManager.getConnection(PRIMARY);
        try (Statement st = c.createStatement()) {
            st.execute("set application_name = 'availability-lock-holder'");
            c.setAutoCommit(false);
            st.execute("select count(*) from " + schema + ".accounts");
        }
        return c;
    }

    private static FluentConfiguration flyway(HikariDataSource pool, String schema) {
        FluentConfiguration cfg = Flyway.configure().dataSource(pool).locations("classpath:db/avail")
                .baselineOnMigrate(true).baselineVersion("0")
                .placeholders(Map.of("deployclaw.flyway.autoRegister", "false"));
        return schema == null ? cfg : cfg.schemas(schema).defaultSchema(schema);
    }

    private static void table(Period... periods) {
        long[] base = periods[0].recorded();
        double baseTput = base.length / periods[0].seconds();
        System.out.println("Latency over every request (a request ended by the statement timeout counts at its ~"
                + STATEMENT_TIMEOUT_MS + " ms and as an error); ratios are to the baseline of the same run.");
        System.out.printf(Locale.ROOT, "%-32s %8s %9s %9s %8s %8s %9s %7s | %8s %8s %8s %8s%n", "period", "seconds", "requests",
                "req/s", "p50 ms", "p99 ms", "max ms", "errors", "x req/s", "x p50", "x p99", "x max");
        for (Period p : periods) {
            long[] s = p.recorded();
            double tput = s.length / p.seconds();
            double p50 = Machine.percentile(s, 50) / 1e6;
            double p99 = Machine.percentile(s, 99) / 1e6;
            double max = s[s.length - 1] / 1e6;
            System.out.printf(Locale.ROOT, "%-32s %8.1f %9d %9.0f %8.2f %8.2f %9.1f %7d | %8.2f %8.2f %8.2f %8.2f%n", p.label,
                    p.seconds(), s.length, tput, p50, p99, max, p.errorCount(), tput / baseTput,
                    p50 / (Machine.percentile(base, 50) / 1e6), p99 / (Machine.percentile(base, 99) / 1e6),
                    max / (base[base.length - 1] / 1e6));
        }
    }

    private static String tenant(String prefix, int i) {
        return String.format("%s%03d", prefix, i);
    }

    private static void createTenants(String prefix) throws SQLException {
        try (Connection c = DriverManager.getConnection(PRIMARY); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for (int i = 1; i <= TENANTS; i++) {
                String t = tenant(prefix, i);
                st.execute("create schema " + t);
                st.execute("create table " + t + ".accounts (id int primary key, name text not null, hits bigint not null default 0)");
                st.execute("insert into " + t + ".accounts (id, name) select g, 'account ' || g from generate_series(1, " + ROWS + ") g");
                st.execute("analyze " + t + ".accounts");
            }
            c.commit();
        }
    }

    private static void dropAll() throws SQLException {
        try (Connection c = DriverManager.getConnection(PRIMARY)) {
            Machine.dropSchemas(c, "ev_av_a_", "ev_av_b_");
        }
    }

    private static HikariDataSource pool(int size) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(PRIMARY);
        cfg.setMaximumPoolSize(size);
        cfg.setPoolName("availability-migrations");
        return new HikariDataSource(cfg);
    }
}

package dev.deployclaw.gates.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** One line describing where a benchmark ran, for docs/benchmarks.md. */
final class Machine {
    private Machine() {
    }

    static String describe() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: the JVM's view below still says enough
        }
        long memGb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
        return String.format(Locale.ROOT, "%s, %d cores, %s %s, Java %s, max heap %d MB, load average %.2f",
                cpu, Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), memGb,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /**
     * CPU time used so far: this JVM's, all threads ({@code OperatingSystemMXBean.getProcessCpuTime}; -1 where the JVM
     * does not say), and the whole machine's busy time, all cores (Linux {@code /proc/stat}: every field of the
     * {@code cpu} line but idle and iowait, in clock ticks of 1/100 s; 0 where there is no {@code /proc/stat}). Take one
     * before and one after what is measured and subtract.
     */
    record Cpu(long jvmNanos, long machineNanos) {
        static Cpu now() {
            long jvm = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
            return new Cpu(jvm, machineBusyNanos());
        }

        Cpu minus(Cpu earlier) {
            return new Cpu(jvmNanos - earlier.jvmNanos, machineNanos - earlier.machineNanos);
        }

        Cpu plus(Cpu other) {
            return new Cpu(jvmNanos + other.jvmNanos, machineNanos + other.machineNanos);
        }

        /** The line the harnesses print under a mode: this JVM's CPU and the rest of the machine's, per unit. */
        String perUnit(int units, String unit) {
            return String.format(Locale.ROOT, "    CPU per %s: %.1f ms in this JVM, %.1f ms in the rest of the machine (PostgreSQL,"
                    + " its standby, the rest)", unit, jvmNanos / 1e6 / units, Math.max(0, machineNanos - jvmNanos) / 1e6 / units);
        }

        private static long machineBusyNanos() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long busy = 0;
                for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                    if (i != 4 && i != 5) {
                        busy += Long.parseLong(f[i]);
                    }
                }
                return busy * 10_000_000L;
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
    }

    static long percentile(long[] sortedNanos, double p) {
        int idx = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(idx, sortedNanos.length - 1))];
    }

    static long[] sorted(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    /** Drops every schema whose name starts with one of {@code prefixes} (the harnesses' throwaway tenants). */
    static void dropSchemas(java.sql.Connection c, String... prefixes) throws java.sql.SQLException {
        java.util.List<String> schemas = new java.util.ArrayList<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement("select nspname from pg_namespace where nspname like ?")) {
            for (String prefix : prefixes) {
                ps.setString(1, prefix.replace("_", "\\_") + "%");
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        schemas.add(rs.getString(1));
                    }
                }
            }
        }
        try (java.sql.Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("drop schema \"" + s.replace("\"", "\"\"") + "\" cascade");
            }
        }
        vacuumCatalog(c);
    }

    /**
     * Compacts the system catalogs that creating and dropping thousands of schemas bloats. The CI machine runs
     * PostgreSQL with autovacuum off: without this, every run left hundreds of thousands of dead pg_class and
     * pg_attribute rows behind (pg_attribute reached 285 MB) and the next run's catalog queries, Flyway's and the
     * gates', read all of them.
     */
    static void vacuumCatalog(java.sql.Connection c) {
        try (java.sql.Statement st = c.createStatement()) {
            st.execute("vacuum full pg_class, pg_attribute, pg_depend, pg_type, pg_namespace, pg_index, pg_constraint,"
                    + " pg_attrdef, pg_description");
        } catch (java.sql.SQLException e) {
            System.out.println("(catalog not compacted: " + e.getMessage() + ")");
        }
    }

    /**
     * Stands in for autovacuum, which is off on this machine: takes the statistics of the catalogs that Flyway's and the
     * gates' queries read, called while many tenant schemas hold the tool's history table (Flyway's
     * {@code flyway_schema_history}, Liquibase's {@code databasechangelog}). With statistics taken
     * before any such table existed, the planner took {@code relname = 'flyway_schema_history'} for a unique name and
     * planned Flyway's table-existence check (15 per tenant) as a loop over every schema's history table: 2.5 ms each
     * with 100 of them, against 0.07 ms with current statistics. Autovacuum on a live server analyses these catalogs
     * after enough changes; a benchmark should not measure stale statistics, and which ones it had depended on what
     * the machine ran before.
     */
    static void analyzeCatalog(java.sql.Connection c) throws java.sql.SQLException {
        try (java.sql.Statement st = c.createStatement()) {
            st.execute("analyze pg_class, pg_namespace, pg_depend, pg_attribute, pg_index, pg_constraint, pg_type");
        }
    }
}

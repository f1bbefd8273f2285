package dev.deployclaw.gates.core.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deployclaw.gates.core.dialect.Durations;
import dev.deployclaw.gates.core.internal.Secrets;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The report of one multi-tenant run: one line per tenant (decision, failed gates, versions before and after,
 * duration, the tenant's gate reports), totals, and how the run was set up. JSON with {@link #toJson()} (Jackson),
 * text with {@link #toText()}.
 */
public final class RunReport {
    /**
     * One tenant's line.
     *
     * @param tenant        tenant id
     * @param schema        schema migrated
     * @param canary        whether the tenant ran as a canary
     * @param decision      what happened
     * @param failedGates   ids of the gates that blocked (empty unless BLOCKED)
     * @param versionBefore newest applied version before
     * @param versionAfter  newest applied version after
     * @param applied       migrations applied
     * @param durationMs    wall time for this tenant (including any wait for replica lag)
     * @param lagWaitMs     time this tenant waited for replica lag to recover before it started (0 when none)
     * @param detail        why, in one or two sentences (the first blocking verdict, the failure, the halt)
     * @param reports       every gate report produced for this tenant, in order (empty for a MIGRATED / UP_TO_DATE
     *                      tenant when the migrator was told not to keep passed reports)
     * @param gatesMicros   time this tenant's run waited for gates, in microseconds (kept when the reports are not):
     *                      its reports' execution times and the migrator's between-tenant checks; environment gates
     *                      checked in advance, overlapping the engine's start-up, count only as far as the run waited
     *                      for them (their own time is each report's {@code prefetchMicros()})
     */
    public record TenantRun(String tenant, String schema, boolean canary, TenantDecision decision, List<String> failedGates,
                            Optional<String> versionBefore, Optional<String> versionAfter, int applied, long durationMs,
                            long lagWaitMs, String detail, List<GateReport> reports, long gatesMicros) {
        /** A line whose gate time is the sum of its reports' times. */
        public TenantRun(String tenant, String schema, boolean canary, TenantDecision decision, List<String> failedGates,
                         Optional<String> versionBefore, Optional<String> versionAfter, int applied, long durationMs,
                         long lagWaitMs, String detail, List<GateReport> reports) {
            this(tenant, schema, canary, decision, failedGates, versionBefore, versionAfter, applied, durationMs, lagWaitMs,
                    detail, reports, reports.stream().mapToLong(GateReport::executionTimeMicros).sum());
        }

        /** {@link #gatesMicros()} in whole milliseconds. */
        public long gatesMs() {
            return gatesMicros / 1000;
        }

        /** The same line without its gate reports (the gate time stays): memory stays flat over many tenants. */
        public TenantRun withoutReports() {
            return new TenantRun(tenant, schema, canary, decision, failedGates, versionBefore, versionAfter, applied, durationMs,
                    lagWaitMs, detail, List.of(), gatesMicros);
        }

        public TenantRun {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(schema, "schema");
            Objects.requireNonNull(decision, "decision");
            failedGates = List.copyOf(failedGates);
            Objects.requireNonNull(versionBefore, "versionBefore");
            Objects.requireNonNull(versionAfter, "versionAfter");
            Objects.requireNonNull(detail, "detail");
            reports = List.copyOf(reports);
        }
    }

    private final String runId;
    private final Instant started;
    private final String engine;
    private final String topology;
    private final String failurePolicy;
    private final int parallelism;
    private final List<TenantRun> tenants;
    private final long durationMs;

    public RunReport(String runId, Instant started, String engine, String topology, String failurePolicy, int parallelism,
                     List<TenantRun> tenants, long durationMs) {
        this.runId = Objects.requireNonNull(runId, "runId");
        this.started = Objects.requireNonNull(started, "started");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.topology = Objects.requireNonNull(topology, "topology");
        this.failurePolicy = Objects.requireNonNull(failurePolicy, "failurePolicy");
        this.parallelism = parallelism;
        this.tenants = List.copyOf(tenants);
        this.durationMs = durationMs;
    }

    public String runId() { return runId; }

    public Instant started() { return started; }

    public String engine() { return engine; }

    public String topology() { return topology; }

    public String failurePolicy() { return failurePolicy; }

    public int parallelism() { return parallelism; }

    /** One line per tenant, in the order the tenants were given (canaries first). */
    public List<TenantRun> tenants() { return tenants; }

    public long durationMs() { return durationMs; }

    /** The line of one tenant. */
    public Optional<TenantRun> tenant(String id) {
        return tenants.stream().filter(t -> t.tenant().equals(id)).findFirst();
    }

    /** How many tenants ended with each decision (every decision present, zero included). */
    public Map<TenantDecision, Integer> totals() {
        Map<TenantDecision, Integer> m = new EnumMap<>(TenantDecision.class);
        for (TenantDecision d : TenantDecision.values()) {
            m.put(d, 0);
        }
        tenants.forEach(t -> m.merge(t.decision(), 1, Integer::sum));
        return m;
    }

    public int count(TenantDecision d) {
        return totals().get(d);
    }

    /** True when every tenant is MIGRATED or UP_TO_DATE. */
    public boolean succeeded() {
        return tenants.stream().allMatch(t -> t.decision() == TenantDecision.MIGRATED || t.decision() == TenantDecision.UP_TO_DATE);
    }

    /** Time spent in gate evaluations over all tenants. */
    public long gatesMs() {
        return tenants.stream().mapToLong(TenantRun::gatesMicros).sum() / 1000;
    }

    public String toJson() {
        ObjectNode root = ReportJson.MAPPER.createObjectNode();
        root.put("runId", runId);
        root.put("started", started.toString());
        root.put("engine", engine);
        root.put("topology", topology);
        root.put("failurePolicy", failurePolicy);
        root.put("parallelism", parallelism);
        root.put("succeeded", succeeded());
        root.put("duration_ms", durationMs);
        root.put("gates_ms", gatesMs());
        ObjectNode totals = root.putObject("totals");
        totals().forEach((d, n) -> totals.put(d.name(), n));
        ArrayNode arr = root.putArray("tenants");
        for (TenantRun t : tenants) {
            ObjectNode n = arr.addObject();
            n.put("tenant", t.tenant());
            n.put("schema", t.schema());
            n.put("canary", t.canary());
            n.put("decision", t.decision().name());
            ArrayNode gates = n.putArray("failedGates");
            t.failedGates().forEach(gates::add);
            n.put("versionBefore", t.versionBefore().orElse(null));
            n.put("versionAfter", t.versionAfter().orElse(null));
            n.put("applied", t.applied());
            n.put("duration_ms", t.durationMs());
            n.put("lagWait_ms", t.lagWaitMs());
            n.put("detail", Secrets.mask(t.detail()));
            ArrayNode reports = n.putArray("gateReports");
            t.reports().forEach(r -> reports.add(ReportJson.node(r)));
        }
        try {
            return ReportJson.MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write run report " + runId + " as JSON", e);
        }
    }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append("DeployClaw run ").append(runId).append(": ").append(tenants.size()).append(" tenant(s), ").append(engine)
                .append(", ").append(topology).append(", policy ").append(failurePolicy).append(", parallelism ")
                .append(parallelism).append('\n');
        int w = Math.max(6, tenants.stream().mapToInt(t -> t.tenant().length() + (t.canary() ? 9 : 0)).max().orElse(6));
        b.append(String.format("%-" + w + "s  %-11s  %-8s  %-8s  %7s  %8s  %s%n", "tenant", "decision", "before", "after",
                "applied", "ms", "failed gates: detail"));
        for (TenantRun t : tenants) {
            String why = t.failedGates().isEmpty() ? t.detail() : String.join(", ", t.failedGates()) + ": " + t.detail();
            b.append(String.format("%-" + w + "s  %-11s  %-8s  %-8s  %7d  %8d  %s%n", t.tenant() + (t.canary() ? " (canary)" : ""),
                    t.decision(), t.versionBefore().orElse("-"), t.versionAfter().orElse("-"), t.applied(), t.durationMs(),
                    Secrets.mask(why.replaceAll("\\s+", " "))).stripTrailing()).append('\n');
        }
        b.append("Totals: ");
        StringBuilder totalsText = new StringBuilder();
        totals().forEach((d, n) -> {
            if (n > 0) {
                totalsText.append(totalsText.length() == 0 ? "" : ", ").append(d).append(' ').append(n);
            }
        });
        b.append(totalsText.length() == 0 ? "no tenants" : totalsText).append(" in ").append(Durations.human(durationMs))
                .append(" (gates ").append(Durations.human(gatesMs())).append(")");
        b.append(succeeded() ? ". Run succeeded." : ". Run did not complete: read the BLOCKED/FAILED/NOT_STARTED lines.");
        return b.toString();
    }

    @Override
    public String toString() {
        return toText();
    }
}

package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.GateBlockedException;
import dev.deployclaw.gates.core.GateListener;
import dev.deployclaw.gates.core.GateSession;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.SecurityAuditor;
import dev.deployclaw.gates.core.dialect.Dialect;
import dev.deployclaw.gates.core.dialect.Dialects;
import dev.deployclaw.gates.core.dialect.Durations;
import dev.deployclaw.gates.core.gate.Gate;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.ReplicaLagGate;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.internal.Identifiers;
import dev.deployclaw.gates.core.internal.Secrets;
import dev.deployclaw.gates.core.report.GateReport;
import dev.deployclaw.gates.core.report.RunReport;
import dev.deployclaw.gates.core.report.RunReport.TenantRun;
import dev.deployclaw.gates.core.report.TenantDecision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Migrates many tenants, engine-agnostic (Flyway, Liquibase): canaries first, bounded parallelism, a failure policy,
 * a pause while replicas lag, resume by skipping tenants already at target, and one {@link RunReport}.
 *
 * <pre>{@code
 * RunReport report = TenantMigrator.builder(auditor, FlywayEngine.builder(flywayConfig).build())
 *         .tenants(TenantSource.schemaPattern("tenant%"))
 *         .canaryCount(2).parallelism(4).failurePolicy(FailurePolicy.CONTINUE)
 *         .maxLagWait(Duration.ofMinutes(5))
 *         .build().run();
 * }</pre>
 *
 * <p>For each tenant: wait (up to {@code maxLagWait}) for replica lag to be under its threshold, take the tenant's
 * run lock (so two runs never migrate the same tenant at once), read where the tenant stands, and, when something is
 * pending, let the engine migrate it with the gates attached. A tenant is never left half-migrated by the migrator:
 * a gate acts before a migration starts, and a blocked migration does not start.
 */
public final class TenantMigrator {
    private static final Logger LOG = LoggerFactory.getLogger(TenantMigrator.class);
    /** Default of {@link Builder#sharedActivityMaxAge(Duration)}. */
    public static final Duration DEFAULT_SHARED_ACTIVITY = Duration.ofMillis(250);
    /** Default of {@link Builder#environmentPrefetch(Duration)}. */
    public static final Duration DEFAULT_ENVIRONMENT_PREFETCH = Duration.ofMillis(250);
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final SecurityAuditor auditor;
    private final MigrationEngine engine;
    private final Topology topology;
    private final TenantSource source;
    private final String sharedSchema;
    private final List<String> canaryIds;
    private final int canaryCount;
    private final int parallelism;
    private final FailurePolicy failurePolicy;
    private final Duration maxLagWait;
    private final Duration lagPollInterval;
    private final Duration tenantLockWait;
    private final boolean keepPassedReports;
    private final Duration environmentPrefetch;
    private final Optional<SecurityAuditor> lagAuditor;
    private final ReentrantLock lagLock = new ReentrantLock();
    /** When the between-tenant lag check last passed (System.nanoTime), guarded by {@link #lagLock}. */
    private long lastLagPass = System.nanoTime() - Duration.ofDays(1).toNanos();
    /**
     * When that check started (System.nanoTime): it covers the WAL written before this moment only, so it serves a
     * worker whose previous tenant ended before it. Guarded by {@link #lagLock}.
     */
    private long lastLagPassStart = lastLagPass;
    /** The report of that check, guarded by {@link #lagLock}. */
    private GateReport lastLagReport;

    /** Time the current tenant's worker spent in between-tenant checks (lag, its probe's check; microseconds), counted as gate time. */
    private static final ThreadLocal<Long> LAG_CHECK_MICROS = ThreadLocal.withInitial(() -> 0L);
    /** The current tenant's wait for replica lag, for its report line (one tenant per worker thread at a time). */
    private static final ThreadLocal<Long> LAG_WAIT = ThreadLocal.withInitial(() -> 0L);
    /** When this worker's previous tenant ended (System.nanoTime): WAL it wrote is not covered by older lag reads. */
    private static final ThreadLocal<Long> PREVIOUS_TENANT_END =
            ThreadLocal.withInitial(() -> System.nanoTime() - Duration.ofDays(1).toNanos());

    private TenantMigrator(Builder b) {
        this.auditor = b.sharedActivityMaxAge.isZero() ? b.auditor : b.auditor.withSharedActivity(b.sharedActivityMaxAge);
        this.engine = b.engine;
        this.topology = b.topology;
        this.source = b.source;
        this.sharedSchema = b.sharedSchema;
        this.canaryIds = List.copyOf(b.canaryIds);
        this.canaryCount = b.canaryCount;
        this.parallelism = b.parallelism;
        this.failurePolicy = b.failurePolicy;
        this.maxLagWait = b.maxLagWait;
        this.lagPollInterval = b.lagPollInterval;
        this.tenantLockWait = b.tenantLockWait;
        this.keepPassedReports = b.keepPassedReports;
        this.environmentPrefetch = b.environmentPrefetch;
        Optional<Gate> lag = auditor.gates().stream().filter(g -> g.id().equals(ReplicaLagGate.ID)).findFirst();
        this.lagAuditor = lag.map(g -> new SecurityAuditor(auditor.config(), List.of(g), List.of()));
    }

    public static Builder builder(SecurityAuditor auditor, MigrationEngine engine) {
        return new Builder(auditor, engine);
    }

    /**
     * Runs the migration over every tenant and returns the report. Never throws for a tenant's problem (that is a
     * line of the report); throws when the tenants cannot be listed or the canaries name unknown tenants.
     */
    public RunReport run() throws SQLException {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        String runId = "tenant-run-" + ID.format(started) + "-" + String.format("%06d", ThreadLocalRandom.current().nextInt(1_000_000));
        List<Tenant> tenants = tenants();
        Set<String> canaries = canaries(tenants);
        List<Tenant> ordered = new ArrayList<>();
        tenants.stream().filter(t -> canaries.contains(t.id())).forEach(ordered::add);
        tenants.stream().filter(t -> !canaries.contains(t.id())).forEach(ordered::add);
        LOG.info("{}: {} tenant(s) ({} canar{}), {}, parallelism {}, policy {}", runId, ordered.size(), canaries.size(),
                canaries.size() == 1 ? "y" : "ies", topology, parallelism, failurePolicy);

        Map<String, TenantState> known = preInspect(ordered);
        TenantRun[] lines = new TenantRun[ordered.size()];
        AtomicReference<String> haltReason = new AtomicReference<>();
        AtomicBoolean first = new AtomicBoolean(true);
        List<Integer> canaryIdx = new ArrayList<>();
        List<Integer> restIdx = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            (canaries.contains(ordered.get(i).id()) ? canaryIdx : restIdx).add(i);
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread th = new Thread(r, "deployclaw-tenant-" + runId);
            th.setDaemon(true);
            return th;
        });
        // one thread per worker evaluates its next tenant's environment gates while the engine starts that tenant's run
        WorkerProbes probes = new WorkerProbes(environmentPrefetch.isZero() ? null : Executors.newFixedThreadPool(parallelism, r -> {
            Thread th = new Thread(r, "deployclaw-prefetch-" + runId);
            th.setDaemon(true);
            return th;
        }));
        try {
            runPhase(pool, ordered, canaryIdx, lines, true, first, haltReason, known, probes);
            if (haltReason.get() == null) {
                runPhase(pool, ordered, restIdx, lines, false, first, haltReason, known, probes);
            } else {
                for (int i : restIdx) {
                    lines[i] = notStarted(ordered.get(i), false, haltReason.get());
                }
            }
        } finally {
            pool.shutdownNow();
            probes.close();
        }
        RunReport report = new RunReport(runId, started, engine.name(), topology.name(), failurePolicy.name(), parallelism,
                List.of(lines), (System.nanoTime() - t0) / 1_000_000);
        LOG.info("{}: {}", runId, report.totals());
        return report;
    }

    private void runPhase(ExecutorService pool, List<Tenant> ordered, List<Integer> idx, TenantRun[] lines, boolean canaryPhase,
                          AtomicBoolean first, AtomicReference<String> haltReason, Map<String, TenantState> known,
                          WorkerProbes probes) {
        List<Future<?>> futures = new ArrayList<>();
        for (int i : idx) {
            Tenant t = ordered.get(i);
            futures.add(pool.submit(() -> {
                String halted = haltReason.get();
                if (halted != null) {
                    lines[i] = notStarted(t, canaryPhase, halted);
                    return;
                }
                TenantState state = known.get(t.id());
                TenantRun line = state != null && state.atTarget() ? upToDate(t, canaryPhase, state)
                        : migrateOne(t, canaryPhase, !first.getAndSet(false), state, probes);
                lines[i] = keepPassedReports || line.decision().problem() || line.decision() == TenantDecision.NOT_STARTED
                        ? line : line.withoutReports();
                if (line.decision().problem() && (canaryPhase || failurePolicy == FailurePolicy.HALT)) {
                    haltReason.compareAndSet(null, (canaryPhase ? "canary " : "tenant ") + t.id() + " was " + line.decision()
                            + (canaryPhase ? " (a canary problem stops the run)" : " (failure policy HALT)"));
                }
            }));
        }
        // An interrupt (the caller's executor shut down, Ctrl-C handling...) stops the run between tenants: no tenant
        // starts after it, and the tenants in flight finish their migration (interrupting them mid-way could leave a
        // MySQL-family DDL half-done and their report line unknown). The interrupt status is restored on return.
        boolean interrupted = false;
        for (int k = 0; k < futures.size(); k++) {
            try {
                futures.get(k).get();
            } catch (InterruptedException e) {
                interrupted = true;
                haltReason.compareAndSet(null, "the run was interrupted");
                k--; // wait for the same tenant again
            } catch (ExecutionException e) {
                int i = idx.get(k);
                lines[i] = line(ordered.get(i), canaryPhase, TenantDecision.FAILED, List.of(), Optional.empty(), Optional.empty(),
                        0, 0, "migrator error: " + message(e.getCause()), List.of());
                haltReason.compareAndSet(null, "tenant " + ordered.get(i).id() + " failed in the migrator");
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        for (int i : idx) {
            if (lines[i] == null) {
                lines[i] = notStarted(ordered.get(i), canaryPhase, Objects.requireNonNullElse(haltReason.get(), "the run stopped"));
            }
        }
    }

    private TenantRun migrateOne(Tenant t, boolean canary, boolean throttle, TenantState known, WorkerProbes probes) {
        long t0 = System.nanoTime();
        long lagDeadline = t0 + maxLagWait.toNanos();
        List<GateReport> reports = new CopyOnWriteArrayList<>();
        LAG_WAIT.set(0L);
        LAG_CHECK_MICROS.set(0L);
        // the tenant's environment gates checked in advance, while the engine starts (see Builder.environmentPrefetch)
        Optional<MigrationRequest> inAdvance = probes.prefetching() && t.dataSource().isEmpty()
                ? engine.environmentRequest(t) : Optional.empty();
        if (inAdvance.isEmpty()) {
            // a check in advance makes this check itself, on its own thread
            long v0 = System.nanoTime();
            probes.checkBeforeTenant();
            LAG_CHECK_MICROS.set((System.nanoTime() - v0) / 1000); // the gates' probe check counts as gate time
        }
        TenantRun run = attempt(t, canary, throttle, false, t0, lagDeadline, reports, known, probes, inAdvance);
        // the tenant's own gates found the replicas behind before a migration started (lag can build up while the
        // previous tenant runs): nothing was half-done, so wait for the replicas within the same budget and go on
        while (run.decision() == TenantDecision.BLOCKED && run.failedGates().equals(List.of(ReplicaLagGate.ID.value()))
                && !run.detail().startsWith(LAG_TIMEOUT) && !run.detail().startsWith(LAG_UNREADABLE) && lagAuditor.isPresent()
                && System.nanoTime() < lagDeadline) {
            LOG.info("Tenant {} blocked only by replica lag; waiting and trying again", t.id());
            run = attempt(t, canary, true, true, t0, lagDeadline, reports, known, probes, inAdvance);
        }
        PREVIOUS_TENANT_END.set(System.nanoTime());
        return run;
    }

    private static final String LAG_TIMEOUT = "replica lag did not recover within maxLagWait ";
    private static final String LAG_UNREADABLE = "before the run: replica lag could not be read (waiting would not help): ";

    private TenantRun attempt(Tenant t, boolean canary, boolean throttle, boolean freshLag, long t0, long lagDeadline,
                              List<GateReport> reports, TenantState known, WorkerProbes probes,
                              Optional<MigrationRequest> inAdvance) {
        Optional<LagPass> lagPass = Optional.empty();
        // when the engine's environment gates are checked in advance, replica-lag among them, the between-tenant lag
        // check would only measure the same thing first: it runs when waiting for lag is what this attempt is for
        if (throttle && (inAdvance.isEmpty() || freshLag)) {
            LagCheck check = awaitReplicaLag(t, lagDeadline, freshLag, probes);
            if (check.blocked().isPresent()) {
                GateReport r = check.blocked().get();
                Verdict v = r.blockingVerdicts().get(0);
                reports.add(r);
                Optional<String> current = currentVersion(t);
                return line(t, canary, TenantDecision.BLOCKED, ids(r), current, current, 0, ms(t0), v.outcome() == Outcome.ERROR
                        ? LAG_UNREADABLE + v.detail() : LAG_TIMEOUT + Durations.human(maxLagWait.toMillis()) + ": " + v.detail(), reports);
            }
            lagPass = check.passed();
        }
        SecurityAuditor tenantAuditor = withRecentLag(auditorFor(t), lagPass).withListener(new GateListener() {
            @Override
            public void onReport(GateReport report) {
                reports.add(report);
            }
        });
        DataSource db = t.dataSource().orElse(auditor.config().dataSource());
        String lockKey = t.id() + "/" + t.schema();
        Optional<String> before = Optional.empty();
        try (Connection lock = db.getConnection()) {
            Dialect d = Dialects.forKind(Dialects.detectKind(lock));
            if (!d.lockTenant(lock, lockKey, tenantLockWait)) {
                return line(t, canary, TenantDecision.FAILED, List.of(), before, before, 0, ms(t0), "another run held tenant "
                        + t.id() + "'s run lock for longer than tenantLockWait " + Durations.human(tenantLockWait.toMillis())
                        + "; let it finish, then re-run (tenants at target are skipped)", reports);
            }
            try {
                TenantState state = known != null ? known : engine.inspect(t);
                before = state.currentVersion();
                if (state.atTarget()) {
                    return line(t, canary, TenantDecision.UP_TO_DATE, List.of(), before, before, 0, ms(t0),
                            "already at " + before.orElse("the empty target") + ": nothing pending", reports);
                }
                Optional<GateSession> probe = probes.serving(tenantAuditor);
                MigrationResult r;
                if (probe.isPresent()) {
                    probes.prefetch(tenantAuditor, inAdvance, probe.get());
                    try {
                        r = engine.migrate(t, tenantAuditor, probe.get());
                    } finally {
                        probe.get().clearPrefetch(); // not taken when the run ended before its beforeMigrate
                    }
                } else {
                    r = engine.migrate(t, tenantAuditor);
                }
                if (r.applied() == 0) {
                    // read as pending before the run, but another run migrated it while this one waited for its lock
                    return line(t, canary, TenantDecision.UP_TO_DATE, List.of(), r.versionBefore(), r.versionAfter(), 0,
                            ms(t0), "nothing pending when its turn came (another run migrated it)", reports);
                }
                return line(t, canary, TenantDecision.MIGRATED, List.of(), r.versionBefore().or(() -> state.currentVersion()),
                        r.versionAfter(), r.applied(), ms(t0), "applied " + r.applied() + " migration(s)", reports);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                Optional<String> after = currentVersion(t);
                Optional<GateBlockedException> blocked = MigrationEngine.blockedBy(e);
                if (blocked.isPresent()) {
                    GateReport r = blocked.get().report();
                    if (!reports.contains(r)) {
                        reports.add(r);
                    }
                    List<Verdict> bv = r.blockingVerdicts();
                    String where = r.migrationVersion().map(v -> "before migration " + v + ": ").orElse("before the run: ");
                    return line(t, canary, TenantDecision.BLOCKED, ids(r), before, after, 0, ms(t0),
                            where + (bv.isEmpty() ? r.recommendedAction() : bv.get(0).detail()), reports);
                }
                return line(t, canary, TenantDecision.FAILED, List.of(), before, after, 0, ms(t0), message(e), reports);
            } finally {
                try {
                    d.unlockTenant(lock, lockKey);
                } catch (SQLException ignored) {
                    // closing the session releases it
                }
            }
        } catch (SQLException e) {
            return line(t, canary, TenantDecision.FAILED, List.of(), before, before, 0, ms(t0),
                    "could not connect to tenant " + t.id() + "'s database: " + message(e), reports);
        }
    }

    /**
     * The gates' probe connection of each worker thread of one run, kept from tenant to tenant: the between-tenant lag
     * check and the tenant's own gates use it, so a worker takes and prepares its probe once per run instead of twice
     * per tenant. A session discards its connection after an ERROR verdict and opens a new one at the next evaluation.
     * Tenants with a DataSource of their own (DATABASE_PER_TENANT) are not served: their engine opens its own probe.
     * Closed (connections given back) when the run ends.
     */
    private final class WorkerProbes implements AutoCloseable {
        private final ThreadLocal<GateSession> mine = new ThreadLocal<>();
        private final List<GateSession> all = new CopyOnWriteArrayList<>();
        /** Runs the environment checks in advance (one thread per worker), or null when they are off. */
        private final ExecutorService prefetcher;

        WorkerProbes(ExecutorService prefetcher) {
            this.prefetcher = prefetcher;
        }

        /** Whether tenants' environment gates are checked in advance, while their engine starts. */
        boolean prefetching() {
            return prefetcher != null;
        }

        /** Starts {@code request}'s environment gates on {@code probe}, in advance of the engine's beforeMigrate. */
        void prefetch(SecurityAuditor a, Optional<MigrationRequest> request, GateSession probe) {
            if (prefetcher != null && request.isPresent()) {
                a.prefetchEnvironment(request.get(), probe, prefetcher, environmentPrefetch);
            }
        }

        /** This worker's probe, if it serves {@code a}'s data source and probe timeout. */
        Optional<GateSession> serving(SecurityAuditor a) {
            if (auditor.config().dataSource() != a.config().dataSource()) {
                return Optional.empty();
            }
            GateSession s = mine.get();
            if (s == null) {
                s = auditor.openSession();
                mine.set(s);
                all.add(s);
            }
            return s.serves(a.config()) ? Optional.of(s) : Optional.empty();
        }

        /** Before this worker's next tenant: a probe whose connection died since its last use is given up. */
        void checkBeforeTenant() {
            GateSession s = mine.get();
            if (s != null) {
                s.discardIfBroken();
            }
        }

        @Override
        public void close() {
            all.forEach(GateSession::close);
            if (prefetcher != null) {
                prefetcher.shutdownNow();
            }
        }
    }

    /** The outcome of the between-tenant lag check: the blocking report, or the passing one (when there was a check). */
    private record LagCheck(Optional<GateReport> blocked, Optional<LagPass> passed) {
        static final LagCheck NONE = new LagCheck(Optional.empty(), Optional.empty());
    }

    /** A passing between-tenant lag check and when it was taken (System.nanoTime). */
    private record LagPass(GateReport report, long atNanos) {
    }

    /**
     * Waits while the replica-lag gate fails, polling every {@code lagPollInterval}, for at most {@code maxLagWait}.
     * Workers share one probe at a time. The time spent probing counts as this tenant's gate time.
     */
    private LagCheck awaitReplicaLag(Tenant t, long deadline, boolean fresh, WorkerProbes probes) {
        if (lagAuditor.isEmpty()) {
            return LagCheck.NONE;
        }
        long firstFailure = 0;
        boolean logged = false;
        while (true) {
            GateReport r;
            long at;
            lagLock.lock();
            try {
                // a passing read that started after this worker's previous tenant ended (so it covers that tenant's WAL)
                // and is younger than lagPollInterval serves this tenant too (parallel workers do not each re-read it)
                if (!fresh && !logged && System.nanoTime() - lastLagPass < lagPollInterval.toNanos()
                        && lastLagPassStart - PREVIOUS_TENANT_END.get() > 0 && lastLagReport != null) {
                    return new LagCheck(Optional.empty(), Optional.of(new LagPass(lastLagReport, lastLagPass)));
                }
                long p0 = System.nanoTime();
                // on the worker's probe, which its tenants' gates use too (one of the five connections per worker that a
                // tenant's run needs: run lock, Flyway's up to three, the gates' probe)
                MigrationRequest lagRequest = MigrationRequest.builder().environmentOnly(true)
                        .tenant(t.id()).description("Replica lag check before tenant " + t.id()).build();
                Optional<GateSession> probe = probes.serving(lagAuditor.get());
                r = probe.isPresent() ? lagAuditor.get().enforcePreMigrationGates(lagRequest, probe.get())
                        : lagAuditor.get().enforcePreMigrationGates(lagRequest);
                at = System.nanoTime();
                LAG_CHECK_MICROS.set(LAG_CHECK_MICROS.get() + (at - p0) / 1000);
                if (r.allGatesPassed()) {
                    lastLagPass = at;
                    lastLagPassStart = p0;
                    lastLagReport = r;
                }
            } finally {
                lagLock.unlock();
            }
            if (r.allGatesPassed()) {
                if (logged) {
                    LAG_WAIT.set(LAG_WAIT.get() + ms(firstFailure));
                    LOG.info("Replica lag recovered after {}; resuming with tenant {}", Durations.human(ms(firstFailure)), t.id());
                }
                return new LagCheck(Optional.empty(), Optional.of(new LagPass(r, at)));
            }
            long left = deadline - System.nanoTime();
            // ERROR is a gate that cannot read lag at all (a missing privilege, a probe timeout): not lag that recovers
            // by waiting, so it blocks at once with its own message instead of after maxLagWait
            if (left <= 0 || r.blockingVerdicts().get(0).outcome() == Outcome.ERROR) {
                LAG_WAIT.set(LAG_WAIT.get() + (logged ? ms(firstFailure) : 0L));
                return new LagCheck(Optional.of(r), Optional.empty());
            }
            if (!logged) {
                firstFailure = System.nanoTime();
                LOG.warn("Pausing before tenant {}: {} Waiting up to {} for it to recover.", t.id(),
                        r.blockingVerdicts().get(0).detail(), Durations.human(maxLagWait.toMillis()));
                logged = true;
            }
            try {
                Thread.sleep(Math.min(lagPollInterval.toMillis(), Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new LagCheck(Optional.of(r), Optional.empty());
            }
        }
    }

    /**
     * The tenant's auditor, whose replica-lag gate reuses a between-tenant check younger than {@code lagPollInterval}
     * instead of measuring again right after it (each measurement waits for the standby to replay the newest WAL).
     */
    private SecurityAuditor withRecentLag(SecurityAuditor a, Optional<LagPass> pass) {
        if (pass.isEmpty()) {
            return a;
        }
        Optional<Verdict> lag = pass.get().report().verdicts().stream().filter(v -> v.gate().equals(ReplicaLagGate.ID)).findFirst();
        if (lag.isEmpty()) {
            return a;
        }
        List<Gate> gates = a.gates().stream().map(g -> g.id().equals(ReplicaLagGate.ID)
                ? (Gate) new RecentVerdictGate(g, lag.get(), pass.get().atNanos(), lagPollInterval) : g).toList();
        return a.withGates(gates);
    }

    /** Reads every tenant before the run; when that fails, each tenant is read on its own under its lock. */
    private Map<String, TenantState> preInspect(List<Tenant> tenants) {
        try {
            return Map.copyOf(engine.inspectAll(tenants));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("Could not read all tenants before the run ({}); reading each before its migration.", message(e));
            return Map.of();
        }
    }

    private static TenantRun upToDate(Tenant t, boolean canary, TenantState s) {
        LAG_WAIT.set(0L);
        LAG_CHECK_MICROS.set(0L);
        return line(t, canary, TenantDecision.UP_TO_DATE, List.of(), s.currentVersion(), s.currentVersion(), 0, 0,
                "already at " + s.currentVersion().orElse("the empty target") + ": nothing pending", List.of());
    }

    private SecurityAuditor auditorFor(Tenant t) {
        if (t.dataSource().isEmpty()) {
            return auditor;
        }
        AuditorConfig c = auditor.config().toBuilder().dataSource(t.dataSource().get()).build();
        return auditor.withConfig(c);
    }

    private Optional<String> currentVersion(Tenant t) {
        try {
            return engine.inspect(t).currentVersion();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private List<Tenant> tenants() throws SQLException {
        if (topology == Topology.SHARED_SCHEMA) {
            return List.of(Tenant.of(sharedSchema));
        }
        List<Tenant> list = source.tenants(auditor.config().dataSource());
        if (topology == Topology.DATABASE_PER_TENANT) {
            for (Tenant t : list) {
                if (t.dataSource().isEmpty()) {
                    throw new IllegalArgumentException("topology DATABASE_PER_TENANT needs a DataSource per tenant, but tenant "
                            + t.id() + " has none; use TenantSource.databases(ids, schema, provider)");
                }
            }
        }
        return list;
    }

    private Set<String> canaries(List<Tenant> tenants) {
        Set<String> out = new LinkedHashSet<>();
        Set<String> known = new LinkedHashSet<>();
        tenants.forEach(t -> known.add(t.id()));
        for (String id : canaryIds) {
            if (!known.contains(id)) {
                throw new IllegalArgumentException("canary " + id + " is not one of the " + tenants.size() + " tenant(s) to migrate");
            }
            out.add(id);
        }
        for (int i = 0; i < tenants.size() && out.size() < canaryIds.size() + canaryCount; i++) {
            out.add(tenants.get(i).id());
        }
        return out;
    }

    private static TenantRun notStarted(Tenant t, boolean canary, String why) {
        LAG_WAIT.set(0L);
        LAG_CHECK_MICROS.set(0L);
        return line(t, canary, TenantDecision.NOT_STARTED, List.of(), Optional.empty(), Optional.empty(), 0, 0,
                "not started: " + why, List.of());
    }

    private static TenantRun line(Tenant t, boolean canary, TenantDecision d, List<String> failedGates, Optional<String> before,
                                  Optional<String> after, int applied, long ms, String detail, List<GateReport> reports) {
        long gateMicros = reports.stream().mapToLong(GateReport::executionTimeMicros).sum() + LAG_CHECK_MICROS.get();
        return new TenantRun(t.id(), t.schema(), canary, d, failedGates, before, after, applied, ms, LAG_WAIT.get(),
                Secrets.mask(detail), reports, gateMicros);
    }

    private static List<String> ids(GateReport r) {
        return r.blockingVerdicts().stream().map(v -> v.gate().value()).toList();
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static String message(Throwable e) {
        Throwable root = e;
        StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()).strip());
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !b.toString().contains(root.getMessage().strip())) {
            b.append(" (cause: ").append(root.getMessage().strip()).append(')');
        }
        String one = b.toString().replaceAll("\\s+", " ");
        return Secrets.mask(one.length() > 600 ? one.substring(0, 597) + "..." : one);
    }

    /** Validating builder; every setter rejects a bad value at once. */
    public static final class Builder {
        private final SecurityAuditor auditor;
        private final MigrationEngine engine;
        private Topology topology = Topology.SCHEMA_PER_TENANT;
        private TenantSource source;
        private String sharedSchema;
        private final List<String> canaryIds = new ArrayList<>();
        private int canaryCount;
        private int parallelism = 1;
        private FailurePolicy failurePolicy = FailurePolicy.HALT;
        private Duration maxLagWait = Duration.ofMinutes(5);
        private Duration lagPollInterval = Duration.ofSeconds(1);
        private Duration tenantLockWait = Duration.ofMinutes(10);
        private boolean keepPassedReports = true;
        private Duration sharedActivityMaxAge = DEFAULT_SHARED_ACTIVITY;
        private Duration environmentPrefetch = DEFAULT_ENVIRONMENT_PREFETCH;

        private Builder(SecurityAuditor auditor, MigrationEngine engine) {
            this.auditor = Objects.requireNonNull(auditor, "auditor");
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /** Default SCHEMA_PER_TENANT. */
        public Builder topology(Topology topology) {
            this.topology = Objects.requireNonNull(topology, "topology must be set, but was null");
            return this;
        }

        /** Where the tenants come from (SCHEMA_PER_TENANT, DATABASE_PER_TENANT). */
        public Builder tenants(TenantSource source) {
            this.source = Objects.requireNonNull(source, "tenants must be set, but was null");
            return this;
        }

        /** SHARED_SCHEMA: the one schema every tenant's data lives in; sets the topology. */
        public Builder sharedSchema(String schema) {
            this.sharedSchema = Identifiers.requireValidName("sharedSchema", schema);
            this.topology = Topology.SHARED_SCHEMA;
            return this;
        }

        /** Tenants migrated first; if any is blocked or fails, no other tenant starts. */
        public Builder canaries(String... ids) {
            for (String id : ids) {
                canaryIds.add(Identifiers.requireValidName("canary", id));
            }
            return this;
        }

        /** The first {@code n} tenants (in source order) are canaries, besides any named ones. Default 0. */
        public Builder canaryCount(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("canaryCount must be zero or positive, but was " + n);
            }
            this.canaryCount = n;
            return this;
        }

        /**
         * Tenants migrated at once. Default 1. Each running tenant holds up to five connections of its DataSource at
         * once (the run lock, Flyway's up to three, the gates' probe, which its worker keeps for the whole run): size
         * a shared pool at five per worker or more, or the gates wait for a connection Flyway holds until the pool
         * times out (and then block).
         */
        public Builder parallelism(int n) {
            if (n < 1 || n > 64) {
                throw new IllegalArgumentException("parallelism must be between 1 and 64, but was " + n);
            }
            this.parallelism = n;
            return this;
        }

        /** Default HALT. */
        public Builder failurePolicy(FailurePolicy policy) {
            this.failurePolicy = Objects.requireNonNull(policy, "failurePolicy must be set, but was null");
            return this;
        }

        /** How long to wait, between tenants, for replica lag to recover before blocking. Default 5 min; zero = do not wait. */
        public Builder maxLagWait(Duration d) {
            this.maxLagWait = check("maxLagWait", d, true);
            return this;
        }

        /** How often lag is re-read while waiting. Default 1 s. */
        public Builder lagPollInterval(Duration d) {
            this.lagPollInterval = check("lagPollInterval", d, false);
            return this;
        }

        /** How long to wait for another run that is migrating the same tenant. Default 10 min. */
        public Builder tenantLockWait(Duration d) {
            this.tenantLockWait = check("tenantLockWait", d, true);
            return this;
        }

        /**
         * Whether the lines of tenants that end MIGRATED or UP_TO_DATE keep their gate reports. Default true. With
         * {@code false} the run report's memory stays flat over thousands of tenants: those lines keep their decision,
         * versions, times and gate time, and BLOCKED / FAILED lines keep every report.
         */
        public Builder keepPassedReports(boolean keep) {
            this.keepPassedReports = keep;
            return this;
        }

        /**
         * How long one read of the server's locks and transactions serves the tenants' lock checks (PostgreSQL; one
         * {@code pg_locks} / {@code pg_stat_activity} read for many schemas instead of two probes per tenant). Default
         * 250 ms; zero = every tenant reads its own. A check that finds a candidate blocker in the shared read reads the
         * server again before it blocks; a lock taken after the shared read is met by the migration session's
         * {@code lock_timeout} (maxLockWait), so the DDL fails fast instead of queueing. At most 1 minute.
         */
        public Builder sharedActivityMaxAge(Duration d) {
            this.sharedActivityMaxAge = checkUpToAMinute("sharedActivityMaxAge", d);
            return this;
        }

        /**
         * Checks each tenant's environment gates ({@code topology}, {@code replica-lag}, {@code table-lock}, the
         * recovery point) in advance, on another thread, while the engine starts the tenant's run (Flyway: its
         * connections and history table, before {@code beforeMigrate}), so those checks overlap the engine's start-up
         * instead of adding to it; with such a check, the between-tenant replica-lag check is left to it. At the
         * tenant's {@code beforeMigrate} the gates wait for the check to end and take its verdicts if it started at most
         * {@code maxAge} before; otherwise they evaluate every gate then, as without it. For engines that support it
         * ({@link MigrationEngine#environmentRequest}) and tenants in the run's own database. Default 250 ms; zero =
         * no check in advance (every gate at {@code beforeMigrate}, after the between-tenant lag check). At most 1
         * minute.
         */
        public Builder environmentPrefetch(Duration maxAge) {
            this.environmentPrefetch = checkUpToAMinute("environmentPrefetch", maxAge);
            return this;
        }

        public TenantMigrator build() {
            if (topology == Topology.SHARED_SCHEMA && sharedSchema == null) {
                throw new IllegalArgumentException("topology SHARED_SCHEMA needs sharedSchema(...), but none was set");
            }
            if (topology != Topology.SHARED_SCHEMA && source == null) {
                throw new IllegalArgumentException("tenants(...) must be set for topology " + topology + ", but was not");
            }
            return new TenantMigrator(this);
        }

        /** How long a read serves later checks: zero (off) up to one minute. */
        private static Duration checkUpToAMinute(String field, Duration d) {
            Duration checked = check(field, d, true);
            if (checked.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException(field + " must be at most 1 minute, but was " + d);
            }
            return checked;
        }

        private static Duration check(String field, Duration d, boolean zeroAllowed) {
            if (d == null || d.isNegative() || (!zeroAllowed && d.isZero()) || d.compareTo(AuditorConfig.MAX_DURATION) > 0) {
                throw new IllegalArgumentException(field + " must be " + (zeroAllowed ? "zero or positive" : "positive")
                        + " and at most 7 days, but was " + d);
            }
            return d;
        }
    }
}

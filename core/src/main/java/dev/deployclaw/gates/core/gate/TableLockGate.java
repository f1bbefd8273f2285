package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.dialect.ActivitySnapshot;
import dev.deployclaw.gates.core.dialect.Durations;
import dev.deployclaw.gates.core.dialect.SessionInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Blocks when another session holds or waits for a lock on a table the migration touches (the DDL would queue
 * behind it, and every query of every tenant behind the DDL), or when a transaction older than
 * {@code maxTransactionAge} is open in the database (an idle-in-transaction session forgotten by its
 * application is the classic cause).
 */
public final class TableLockGate implements Gate {
    public static final GateId ID = GateId.of("table-lock");
    private static final int LISTED = 5;

    /** A lock held by a session running a statement for less than this (ms) is transient (see {@link #isTransient}). */
    static final long TRANSIENT_MS = 1000;

    /** PostgreSQL states: a granted lock of a session that is "active" in a young transaction, or already "idle". */
    static boolean isTransient(SessionInfo s, long graceMs) {
        if (!s.granted()) {
            return false;
        }
        return "idle".equals(s.state()) && s.transactionAgeMs().isEmpty()
                || "active".equals(s.state()) && s.transactionAgeMs().map(age -> age < graceMs).orElse(false);
    }

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public boolean readsOtherSessions() {
        return true;
    }

    @Override
    public String action() {
        return "Detecting active table locks and transaction count";
    }

    @Override
    public Verdict evaluate(GateContext ctx) throws Exception {
        Set<TableRef> tables = ctx.tables().orElse(Set.of());
        List<String> wholeSchemas = ctx.tables().isPresent() ? List.of() : List.of(ctx.defaultSchema());
        String scope = ctx.tables().isPresent()
                ? (tables.isEmpty() ? "no tables" : tables.stream().map(t -> t.schemaOr(ctx.defaultSchema()) + "." + t.name())
                .collect(Collectors.joining(", ")))
                : "every table of schema " + ctx.defaultSchema() + " (the statements' tables could not be determined)";
        // watching the whole schema would otherwise count the tool's own session (Flyway keeps its history table
        // read in the transaction that holds its lock) as a blocker of every migration whose tables are unknown
        Set<String> own = wholeSchemas.isEmpty() ? Set.of() : ctx.request().toolTables().stream()
                .map(t -> ctx.defaultSchema() + "." + t).collect(Collectors.toSet());
        // Under load, application sessions hold locks on the tables for a millisecond at a time: a session running a
        // statement in a transaction younger than the grace (or already idle, its lock gone since pg_locks was read) is
        // not a blocker; its lock is released long before the DDL's lock_timeout would run out. Waiting, idle-in-
        // transaction and older sessions still block. Without this, 18 of 100 tenants were blocked by 8 busy clients.
        long grace = Math.min(TRANSIENT_MS, ctx.config().maxLockWait().toMillis() / 2);
        boolean watched = !tables.isEmpty() || !wholeSchemas.isEmpty();
        Duration maxAge = ctx.config().maxTransactionAge();

        // a multi-tenant run shares one read of every lock and transaction: when it shows nothing for these tables the
        // answer stands; when it shows a candidate, the server is read again (a block always rests on a fresh read)
        Seen seen = null;
        Optional<ActivitySnapshot> shared = ctx.sharedActivity();
        if (shared.isPresent()) {
            ActivitySnapshot snap = shared.get();
            Seen fromShared = Seen.of(watched ? snap.holders(tables, ctx.defaultSchema(), wholeSchemas, ctx.excludedPids())
                    : List.of(), snap.oldTransactions(maxAge, ctx.excludedPids()), own, grace, Optional.of(
                    "activity snapshot read " + snap.ageMs() + " ms before this check, shared by this run's tenants"));
            seen = fromShared.clear() ? fromShared : null;
        }
        if (seen == null) {
            seen = Seen.of(watched ? ctx.dialect().lockHolders(ctx.probe(), tables, ctx.defaultSchema(), wholeSchemas,
                    ctx.excludedPids()) : List.of(), ctx.dialect().oldTransactions(ctx.probe(), maxAge, ctx.excludedPids()),
                    own, grace, ctx.dialect().lockSource(ctx.probe()));
        }
        List<SessionInfo> holders = seen.holders();
        List<SessionInfo> passing = seen.passing();
        List<SessionInfo> old = seen.old();
        Optional<String> source = seen.source();
        List<Evidence> ev = new ArrayList<>();

        // one line per session: a session holding several locks is one blocker
        Map<Long, SessionInfo> blockers = new LinkedHashMap<>();
        holders.forEach(h -> blockers.putIfAbsent(h.pid(), h));
        source.ifPresent(s -> ev.add(Evidence.fact("lock source", s)));
        own.forEach(t -> ev.add(Evidence.fact("not counted (the migration tool's own table)", t)));
        if (!passing.isEmpty()) {
            ev.add(Evidence.fact("not counted: sessions running a statement in a transaction younger than " + grace + " ms",
                    passing.stream().map(SessionInfo::pid).distinct().count()));
        }
        String from = source.map(s -> " (lock source: " + s + ")").orElse("");
        ev.add(Evidence.of("sessions holding or awaiting locks on " + scope, blockers.size(), 0, "sessions"));
        long oldest = old.stream().mapToLong(s -> s.transactionAgeMs().orElse(0L)).max().orElse(0);
        ev.add(Evidence.of("transactions older than maxTransactionAge", old.size(), 0, "transactions"));
        if (!old.isEmpty()) {
            ev.add(Evidence.of("oldest transaction age", oldest, ctx.config().maxTransactionAge().toMillis(), "ms"));
        }
        if (blockers.isEmpty() && old.isEmpty()) {
            return Verdicts.passed(this, "Tables " + scope + ": 0 other sessions hold or await locks; no transaction older than "
                    + Durations.human(ctx.config().maxTransactionAge().toMillis()) + from + ".", ev);
        }
        List<String> lines = new ArrayList<>();
        blockers.values().stream().limit(LISTED).forEach(s -> lines.add(s.describe()));
        if (blockers.size() > LISTED) {
            lines.add("and " + (blockers.size() - LISTED) + " more sessions on these tables");
        }
        old.stream().filter(s -> !blockers.containsKey(s.pid())).limit(LISTED)
                .forEach(s -> lines.add(s.describe() + " is older than maxTransactionAge "
                        + Durations.human(ctx.config().maxTransactionAge().toMillis())));
        for (SessionInfo s : blockers.values()) {
            ev.add(Evidence.fact("blocking pid", s.pid()));
        }
        for (SessionInfo s : old) {
            if (!blockers.containsKey(s.pid())) {
                ev.add(Evidence.fact("old transaction pid", s.pid()));
            }
        }
        return Verdicts.failed(this, "The DDL would queue behind " + (blockers.size() + (int) old.stream()
                .filter(s -> !blockers.containsKey(s.pid())).count()) + " session(s), and every query on its tables behind"
                + " the DDL: " + String.join("; ", lines) + from + ". End or terminate these sessions ("
                + ctx.dialect().terminateHint() + "), or retry when they are gone.", ev);
    }

    /**
     * What one read (live or shared) shows for the watched tables: blockers, sessions not counted because their lock is
     * transient, transactions older than maxTransactionAge, and where the locks were read.
     */
    private record Seen(List<SessionInfo> holders, List<SessionInfo> passing, List<SessionInfo> old,
                        Optional<String> source) {
        static Seen of(List<SessionInfo> lockRows, List<SessionInfo> old, Set<String> own, long grace,
                       Optional<String> source) {
            List<SessionInfo> counted = lockRows.stream().filter(h -> h.relation().map(r -> !own.contains(r)).orElse(true)).toList();
            return new Seen(counted.stream().filter(h -> !isTransient(h, grace)).toList(),
                    counted.stream().filter(h -> isTransient(h, grace)).toList(), old, source);
        }

        boolean clear() {
            return holders.isEmpty() && old.isEmpty();
        }
    }
}

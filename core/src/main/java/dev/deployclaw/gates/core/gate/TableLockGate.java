package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.ddl.TableRef;
import dev.deployclaw.gates.core.dialect.ActivitySnapshot;
import dev.deployclaw.gates.core.dialect.Durations;
import dev.deployclaw.gates.core.dialect.SessionInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        List<Evidence> ev = new ArrayList<>();

        // a multi-tenant run shares one read of every lock and transaction: when it shows nothing for these tables the
        // answer stands; when it shows a candidate, the server is read again below (a block always rests on a fresh read)
        java.util.Optional<ActivitySnapshot> shared = ctx.sharedActivity();
        if (shared.isPresent()) {
            ActivitySnapshot snap = shared.get();
            List<SessionInfo> h = tables.isEmpty() && wholeSchemas.isEmpty() ? List.of()
                    : snap.holders(tables, ctx.defaultSchema(), wholeSchemas, ctx.excludedPids());
            boolean candidates = h.stream().anyMatch(x -> x.relation().map(r -> !own.contains(r)).orElse(true)
                    && !isTransient(x, grace)) || !snap.oldTransactions(ctx.config().maxTransactionAge(), ctx.excludedPids()).isEmpty();
            if (!candidates) {
                ev.add(Evidence.fact("lock source", "activity snapshot shared by this run's tenants, read " + snap.ageMs()
                        + " ms before this check"));
                own.forEach(t -> ev.add(Evidence.fact("not counted (the migration tool's own table)", t)));
                ev.add(Evidence.of("sessions holding or awaiting locks on " + scope, 0, 0, "sessions"));
                ev.add(Evidence.of("transactions older than maxTransactionAge", 0, 0, "transactions"));
                return Verdicts.passed(this, "Tables " + scope + ": 0 other sessions hold or await locks; no transaction older"
                        + " than " + Durations.human(ctx.config().maxTransactionAge().toMillis()) + " (activity read "
                        + snap.ageMs() + " ms ago, shared by this run's tenants).", ev);
            }
        }

        List<SessionInfo> holders = tables.isEmpty() && wholeSchemas.isEmpty() ? List.of()
                : ctx.dialect().lockHolders(ctx.probe(), tables, ctx.defaultSchema(), wholeSchemas, ctx.excludedPids());
        holders = holders.stream().filter(h -> h.relation().map(r -> !own.contains(r)).orElse(true)).toList();
        List<SessionInfo> passing = holders.stream().filter(h -> isTransient(h, grace)).toList();
        holders = holders.stream().filter(h -> !isTransient(h, grace)).toList();
        List<SessionInfo> old = ctx.dialect().oldTransactions(ctx.probe(), ctx.config().maxTransactionAge(), ctx.excludedPids());

        // one line per session: a session holding several locks is one blocker
        Map<Long, SessionInfo> blockers = new LinkedHashMap<>();
        holders.forEach(h -> blockers.putIfAbsent(h.pid(), h));
        java.util.Optional<String> source = ctx.dialect().lockSource(ctx.probe());
        source.ifPresent(s -> ev.add(Evidence.fact("lock source", s)));
        own.forEach(t -> ev.add(Evidence.fact("not counted (the migration tool's own table)", t)));
        if (!passing.isEmpty()) {
            ev.add(Evidence.fact("not counted: sessions running a statement in a transaction younger than " + grace + " ms",
                    passing.stream().map(SessionInfo::pid).distinct().count()));
        }
        String from = source.map(s -> " (lock source: " + s + ")").orElse("");
        ev.add(Evidence.of("sessions holding or awaiting locks on " + scope, blockers.size(), 0, "sessions"));
        long maxAge = old.stream().mapToLong(s -> s.transactionAgeMs().orElse(0L)).max().orElse(0);
        ev.add(Evidence.of("transactions older than maxTransactionAge", old.size(), 0, "transactions"));
        if (!old.isEmpty()) {
            ev.add(Evidence.of("oldest transaction age", maxAge, ctx.config().maxTransactionAge().toMillis(), "ms"));
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
}

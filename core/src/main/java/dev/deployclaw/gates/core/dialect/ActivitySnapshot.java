package dev.deployclaw.gates.core.dialect;

import dev.deployclaw.gates.core.ddl.TableRef;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every relation lock and every open transaction of one database, read at one moment, so that the lock checks of many
 * tenant schemas can be answered from one read (one {@code pg_locks} / {@code pg_stat_activity} read serves many
 * schemas). Ages are reported as of now: the snapshot's age is added to each transaction's age.
 *
 * @param takenAtNanos {@link System#nanoTime()} when it was read
 * @param takerPid     the session that read it (not another session)
 * @param locks        relation locks held or awaited, with the table (an index's lock is its table's)
 * @param transactions sessions with an open transaction that are not idle
 */
public record ActivitySnapshot(long takenAtNanos, long takerPid, List<Lock> locks, List<SessionInfo> transactions) {
    public ActivitySnapshot {
        locks = List.copyOf(locks);
        transactions = List.copyOf(transactions);
    }

    /** One relation lock: the table's schema and name, and the session with its lock mode and whether granted. */
    public record Lock(String schema, String table, SessionInfo session) {
    }

    public long ageMs() {
        return Math.max(0, (System.nanoTime() - takenAtNanos) / 1_000_000);
    }

    /**
     * Sessions holding or awaiting a lock on {@code tables} (unqualified names in {@code defaultSchema}) or on any table
     * of {@code wholeSchemas}, other than {@code excludedPids} and the reader.
     */
    public List<SessionInfo> holders(Collection<TableRef> tables, String defaultSchema, Collection<String> wholeSchemas,
                                     Collection<Long> excludedPids) {
        Set<TableRef> wanted = new HashSet<>();
        tables.forEach(t -> wanted.add(TableRef.of(t.schemaOr(defaultSchema), t.name())));
        Set<String> schemas = new HashSet<>(wholeSchemas);
        long age = ageMs();
        List<SessionInfo> out = new ArrayList<>();
        for (Lock l : locks) {
            SessionInfo s = l.session();
            if (s.pid() == takerPid || excludedPids.contains(s.pid())) {
                continue;
            }
            if (schemas.contains(l.schema()) || wanted.contains(TableRef.of(l.schema(), l.table()))) {
                out.add(aged(s, age));
            }
        }
        return out;
    }

    /** Sessions whose transaction is now older than {@code maxAge}, other than {@code excludedPids} and the reader. */
    public List<SessionInfo> oldTransactions(Duration maxAge, Collection<Long> excludedPids) {
        long age = ageMs();
        List<SessionInfo> out = new ArrayList<>();
        for (SessionInfo s : transactions) {
            if (s.pid() == takerPid || excludedPids.contains(s.pid())) {
                continue;
            }
            SessionInfo now = aged(s, age);
            if (now.transactionAgeMs().map(a -> a > maxAge.toMillis()).orElse(false)) {
                out.add(now);
            }
        }
        return out;
    }

    private static SessionInfo aged(SessionInfo s, long plusMs) {
        Optional<Long> age = s.transactionAgeMs().map(a -> a + plusMs);
        return new SessionInfo(s.pid(), s.state(), age, s.application(), s.user(), s.query(), s.relation(), s.lockMode(),
                s.granted());
    }
}

package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.dialect.Dialect;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The gates' probe connection to the primary, kept across the evaluations of one run: taken from the pool when the
 * first gate needs it, prepared once (probe timeout in force, monitoring privilege read in the same round trip where
 * the dialect allows), reset and given back by {@link #close()}. An adapter that checks a run's migrations one after
 * another saves the round trips of taking and preparing a connection for each ({@link SecurityAuditor#openSession()}).
 *
 * <p>An evaluation that ends with an ERROR verdict discards the connection (it may be the reason), so the next
 * evaluation starts on a new one. One evaluation at a time: an environment check started in advance
 * ({@link SecurityAuditor#prefetchEnvironment}) runs on another thread, and the session's next evaluation (or its
 * close) waits for it to end before it uses the connection.
 */
public final class GateSession implements AutoCloseable {
    private final DataSource dataSource;
    private final Duration probeTimeout;
    private Connection connection;
    private Dialect dialect;
    private Optional<String> missingPrivilege = Optional.empty();
    private boolean prepared;
    private ProbeUnavailable failure;
    private boolean closed;
    /** An environment check started in advance on this session, not yet taken by an evaluation; guarded by this. */
    private Prefetch prefetch;

    GateSession(AuditorConfig config) {
        this.dataSource = config.dataSource();
        this.probeTimeout = config.probeTimeout();
    }

    /** Opening or preparing the probe failed; every gate that needs it in the same evaluation reports the same cause. */
    static final class ProbeUnavailable extends SQLException {
        private static final long serialVersionUID = 1L;

        ProbeUnavailable(Exception cause) {
            super(cause.getMessage(), cause instanceof SQLException s ? s.getSQLState() : null, cause);
        }
    }

    /** Whether this session was opened for {@code config}'s data source and probe timeout. */
    public boolean serves(AuditorConfig config) {
        return config.dataSource() == dataSource && config.probeTimeout().equals(probeTimeout);
    }

    /** Starts an evaluation: a failure to open remembered from an earlier one is forgotten (it is tried again). */
    synchronized void begin() {
        if (closed) {
            throw new IllegalStateException("this GateSession is closed; open a new one with SecurityAuditor.openSession()");
        }
        failure = null;
    }

    /**
     * The probe connection, opened on first use; prepared for {@code d} unless {@code d} is null (dialect detection).
     */
    synchronized Connection get(Dialect d) throws SQLException {
        if (failure != null) {
            throw failure;
        }
        try {
            if (connection == null) {
                connection = dataSource.getConnection();
                connection.setAutoCommit(true);
            }
            if (d != null && !prepared) {
                missingPrivilege = d.prepareProbe(connection, probeTimeout);
                dialect = d;
                prepared = true;
            }
            return connection;
        } catch (SQLException | RuntimeException e) {
            failure = new ProbeUnavailable(e);
            discard();
            throw failure;
        }
    }

    synchronized Optional<String> missingPrivilege(Dialect d) throws SQLException {
        get(d);
        return missingPrivilege;
    }

    /**
     * Before a probe kept from earlier work is used again (the migrator's worker, between tenants): gives its
     * connection up when the server no longer answers on it (a restart, a terminated backend), so that the next
     * evaluation opens a new one instead of failing closed on the dead one. One round trip when a connection is held.
     */
    public void discardIfBroken() {
        clearPrefetch();
        synchronized (this) {
            discardIfBrokenNow();
        }
    }

    /** {@link #discardIfBroken()} from the thread of an environment check in advance (which must not wait for itself). */
    synchronized void discardIfBrokenNow() {
        if (connection == null) {
            return;
        }
        try {
            if (connection.isValid((int) Math.max(1, probeTimeout.toSeconds()))) {
                return;
            }
        } catch (SQLException ignored) {
            // not valid
        }
        discard();
    }

    /** Ends an evaluation; {@code broken} (an ERROR verdict) gives the connection back so the next starts afresh. */
    synchronized void end(boolean broken) {
        if (broken) {
            release();
        }
    }

    /** Resets the probe and gives it back to its pool (after an environment check in advance, if one runs). Idempotent. */
    @Override
    public void close() {
        clearPrefetch();
        synchronized (this) {
            closed = true;
            release();
        }
    }

    /**
     * An environment check started in advance on this session: its result is taken by the session's next evaluation.
     * A check not yet taken is waited for and dropped first (the connection serves one evaluation at a time).
     */
    void startPrefetch(Prefetch p) {
        clearPrefetch();
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("this GateSession is closed; open a new one with SecurityAuditor.openSession()");
            }
            prefetch = p;
        }
    }

    /**
     * Takes the environment check started in advance, if any, once it has ended (so that the connection is free):
     * the caller uses its verdicts or drops them. Waits without giving in to an interrupt, which is kept: the check
     * is bounded by the probe timeout and the gates' own bounds, and the connection must not serve two threads.
     */
    Optional<Prefetch> takePrefetch() {
        Prefetch p;
        synchronized (this) {
            p = prefetch;
            prefetch = null;
        }
        if (p != null) {
            p.await();
        }
        return Optional.ofNullable(p);
    }

    /** Waits for and drops an environment check started in advance that no evaluation took (the tenant ended first). */
    public void clearPrefetch() {
        takePrefetch();
    }

    private void release() {
        if (connection == null) {
            return;
        }
        try {
            if (prepared) {
                dialect.resetProbeTimeouts(connection);
            }
        } catch (SQLException | RuntimeException ignored) {
            // a broken probe connection is discarded by its pool
        }
        discard();
    }

    private void discard() {
        Connection c = connection;
        connection = null;
        prepared = false;
        missingPrivilege = Optional.empty();
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing to give back
            }
        }
    }

    @Override
    public String toString() {
        return "GateSession{" + (closed ? "closed" : connection == null ? "no probe yet" : "probe open") + ", probeTimeout="
                + Objects.requireNonNull(probeTimeout).toMillis() + "ms}";
    }
}

package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.ddl.SizeThresholds;
import dev.deployclaw.gates.core.internal.Identifiers;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The immutable, validated configuration of a {@link SecurityAuditor}. Build it with {@link #builder(DataSource)};
 * every setter validates its value and {@link Builder#build()} never auto-corrects.
 */
public final class AuditorConfig {
    public static final Duration DEFAULT_REPLICA_LAG_THRESHOLD = Duration.ofMillis(500);
    public static final Duration DEFAULT_MAX_LOCK_WAIT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_MAX_TRANSACTION_AGE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_MAX_BACKUP_AGE = Duration.ofHours(24);
    public static final Duration DEFAULT_MAX_ARCHIVE_AGE = Duration.ofHours(24);
    /** Binary logs must be kept at least this long (MySQL family). */
    public static final Duration DEFAULT_MIN_BINLOG_RETENTION = Duration.ofDays(7);
    /** Largest accepted minBinlogRetention: retention policies are often counted in weeks or months. */
    public static final Duration MAX_BINLOG_RETENTION = Duration.ofDays(3650);
    public static final int DEFAULT_LOCK_RETRIES = 2;
    public static final Duration DEFAULT_LOCK_RETRY_BACKOFF = Duration.ofMillis(250);
    public static final String DEFAULT_HEARTBEAT_TABLE = "public.deployclaw_heartbeat";
    /** The largest duration any setting accepts: one week. Larger values are almost always a unit mistake. */
    public static final Duration MAX_DURATION = Duration.ofDays(7);

    private final Optional<String> tenantId;
    private final DataSource dataSource;
    private final Map<String, DataSource> replicas;
    private final Duration replicaLagThreshold;
    private final Duration maxLockWait;
    private final Duration maxTransactionAge;
    private final Duration statementTimeout;
    private final Duration probeTimeout;
    private final IsolationLevel requiredIsolation;
    private final IsolationPolicy isolationPolicy;
    private final RollbackPolicy rollbackPolicy;
    private final boolean requirePointInTimeRecovery;
    private final Duration maxArchiveAge;
    private final Duration maxBackupAge;
    private final Optional<BackupStatusProvider> backupStatusProvider;
    private final String heartbeatTable;
    private final Optional<String> tenantSchemaPattern;
    private final Duration minBinlogRetention;
    private final SizeThresholds ddlSizeThresholds;
    private final int lockRetries;
    private final Duration lockRetryBackoff;

    private AuditorConfig(Builder b) {
        this.tenantId = Optional.ofNullable(b.tenantId);
        this.dataSource = b.dataSource;
        this.replicas = Collections.unmodifiableMap(new LinkedHashMap<>(b.replicas));
        this.replicaLagThreshold = b.replicaLagThreshold;
        this.maxLockWait = b.maxLockWait;
        this.maxTransactionAge = b.maxTransactionAge;
        this.statementTimeout = b.statementTimeout;
        this.probeTimeout = b.probeTimeout;
        this.requiredIsolation = b.requiredIsolation;
        this.isolationPolicy = b.isolationPolicy;
        this.rollbackPolicy = b.rollbackPolicy;
        this.requirePointInTimeRecovery = b.requirePointInTimeRecovery;
        this.maxArchiveAge = b.maxArchiveAge;
        this.maxBackupAge = b.maxBackupAge;
        this.backupStatusProvider = Optional.ofNullable(b.backupStatusProvider);
        this.heartbeatTable = b.heartbeatTable;
        this.tenantSchemaPattern = Optional.ofNullable(b.tenantSchemaPattern);
        this.minBinlogRetention = b.minBinlogRetention;
        this.ddlSizeThresholds = b.ddlSizeThresholds;
        this.lockRetries = b.lockRetries;
        this.lockRetryBackoff = b.lockRetryBackoff;
    }

    /** Starts a configuration for the primary database. */
    public static Builder builder(DataSource primary) {
        return new Builder().dataSource(primary);
    }

    /** A builder pre-filled with this configuration, to derive a variant (e.g. per tenant). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.tenantId = tenantId.orElse(null);
        b.dataSource = dataSource;
        b.replicas.putAll(replicas);
        b.replicaLagThreshold = replicaLagThreshold;
        b.maxLockWait = maxLockWait;
        b.maxTransactionAge = maxTransactionAge;
        b.statementTimeout = statementTimeout;
        b.probeTimeout = probeTimeout;
        b.requiredIsolation = requiredIsolation;
        b.isolationPolicy = isolationPolicy;
        b.rollbackPolicy = rollbackPolicy;
        b.requirePointInTimeRecovery = requirePointInTimeRecovery;
        b.maxArchiveAge = maxArchiveAge;
        b.maxBackupAge = maxBackupAge;
        b.backupStatusProvider = backupStatusProvider.orElse(null);
        b.heartbeatTable = heartbeatTable;
        b.tenantSchemaPattern = tenantSchemaPattern.orElse(null);
        b.minBinlogRetention = minBinlogRetention;
        b.ddlSizeThresholds = ddlSizeThresholds;
        b.lockRetries = lockRetries;
        b.lockRetryBackoff = lockRetryBackoff;
        return b;
    }

    /** The tenant this auditor guards, if it guards one (the brief's {@code tenantId}). */
    public Optional<String> tenantId() { return tenantId; }

    /** The primary database, where migrations run and most probes read. */
    public DataSource dataSource() { return dataSource; }

    /** Replicas read directly for true (heartbeat) lag, by name. Empty by default. */
    public Map<String, DataSource> replicas() { return replicas; }

    /** Largest replica lag that still passes. Default 500 ms. */
    public Duration replicaLagThreshold() { return replicaLagThreshold; }

    /** How long the DDL may wait for its lock ({@code lock_timeout}). Default 3 s. */
    public Duration maxLockWait() { return maxLockWait; }

    /** Transactions older than this (including idle in transaction) block. Default 30 s. */
    public Duration maxTransactionAge() { return maxTransactionAge; }

    /** {@code statement_timeout} for the migration statements. Default 5 min. */
    public Duration statementTimeout() { return statementTimeout; }

    /** Statement timeout of every probe query a gate runs. Default 2 s. */
    public Duration probeTimeout() { return probeTimeout; }

    /** Isolation level the migration session must have. Default READ COMMITTED. */
    public IsolationLevel requiredIsolation() { return requiredIsolation; }

    /** What to do when the session's isolation differs. Default ADJUST. */
    public IsolationPolicy isolationPolicy() { return isolationPolicy; }

    /** Whether a missing rollback plan blocks. Default REQUIRE_PLAN. */
    public RollbackPolicy rollbackPolicy() { return rollbackPolicy; }

    /** Whether point-in-time recovery (WAL archiving / binary log) must be in place. Default true. */
    public boolean requirePointInTimeRecovery() { return requirePointInTimeRecovery; }

    /** Newest successful WAL archive must be younger than this. Default 24 h. */
    public Duration maxArchiveAge() { return maxArchiveAge; }

    /** Newest backup reported by the {@link BackupStatusProvider} must be younger than this. Default 24 h. */
    public Duration maxBackupAge() { return maxBackupAge; }

    /** External backup catalogue, if any. */
    public Optional<BackupStatusProvider> backupStatusProvider() { return backupStatusProvider; }

    /** {@code schema.table} of the heartbeat row used to measure true replica lag. Default {@value #DEFAULT_HEARTBEAT_TABLE}. */
    public String heartbeatTable() { return heartbeatTable; }

    /** SQL LIKE pattern of tenant schema names, used by the topology step to count tenants (e.g. {@code tenant_%}). */
    public Optional<String> tenantSchemaPattern() { return tenantSchemaPattern; }

    /**
     * MySQL/MariaDB: binary logs must be kept at least this long ({@code binlog_expire_logs_seconds}, 0 = never
     * purged) for point-in-time recovery to reach back before a migration. Default 7 days. Ignored on PostgreSQL.
     */
    public Duration minBinlogRetention() { return minBinlogRetention; }

    /**
     * Table sizes at which a size-aware DDL finding becomes WARN and BLOCK (the {@code ddl-risk} gate). Default
     * {@link SizeThresholds#DEFAULTS}: warn at 10,000 rows or 100 MiB, block at 1,000,000 rows or 1 GiB.
     */
    public SizeThresholds ddlSizeThresholds() { return ddlSizeThresholds; }

    /**
     * How many times {@code executeWithMonitoring} retries after a lock timeout before failing. Default
     * {@value #DEFAULT_LOCK_RETRIES}.
     */
    public int lockRetries() { return lockRetries; }

    /** Wait before the first retry after a lock timeout; doubled before each further one. Default 250 ms. */
    public Duration lockRetryBackoff() { return lockRetryBackoff; }

    @Override
    public String toString() {
        return "AuditorConfig{tenantId=" + tenantId.orElse("-") + ", replicas=" + replicas.keySet()
                + ", replicaLagThreshold=" + replicaLagThreshold.toMillis() + "ms, maxLockWait=" + maxLockWait.toMillis()
                + "ms, maxTransactionAge=" + maxTransactionAge.toMillis() + "ms, requiredIsolation=" + requiredIsolation
                + ", isolationPolicy=" + isolationPolicy + ", rollbackPolicy=" + rollbackPolicy + "}";
    }

    /** Validating builder. Every setter rejects a bad value at once, naming the field and the value. */
    public static final class Builder {
        private String tenantId;
        private DataSource dataSource;
        private final Map<String, DataSource> replicas = new LinkedHashMap<>();
        private Duration replicaLagThreshold = DEFAULT_REPLICA_LAG_THRESHOLD;
        private Duration maxLockWait = DEFAULT_MAX_LOCK_WAIT;
        private Duration maxTransactionAge = DEFAULT_MAX_TRANSACTION_AGE;
        private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private IsolationLevel requiredIsolation = IsolationLevel.READ_COMMITTED;
        private IsolationPolicy isolationPolicy = IsolationPolicy.ADJUST;
        private RollbackPolicy rollbackPolicy = RollbackPolicy.REQUIRE_PLAN;
        private boolean requirePointInTimeRecovery = true;
        private Duration maxArchiveAge = DEFAULT_MAX_ARCHIVE_AGE;
        private Duration maxBackupAge = DEFAULT_MAX_BACKUP_AGE;
        private BackupStatusProvider backupStatusProvider;
        private String heartbeatTable = DEFAULT_HEARTBEAT_TABLE;
        private String tenantSchemaPattern;
        private Duration minBinlogRetention = DEFAULT_MIN_BINLOG_RETENTION;
        private SizeThresholds ddlSizeThresholds = SizeThresholds.DEFAULTS;
        private int lockRetries = DEFAULT_LOCK_RETRIES;
        private Duration lockRetryBackoff = DEFAULT_LOCK_RETRY_BACKOFF;

        private Builder() {
        }

        public Builder tenantId(String tenantId) {
            this.tenantId = tenantId == null ? null : Identifiers.requireValidName("tenantId", tenantId);
            return this;
        }

        public Builder dataSource(DataSource dataSource) {
            if (dataSource == null) {
                throw new IllegalArgumentException("dataSource (the primary) must be set, but was null");
            }
            this.dataSource = dataSource;
            return this;
        }

        /** Adds a replica read directly for heartbeat lag. The name appears in the report. */
        public Builder replica(String name, DataSource replica) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("replica name must not be blank, but was '" + name + "'");
            }
            if (replica == null) {
                throw new IllegalArgumentException("replica '" + name + "' dataSource must be set, but was null");
            }
            if (replicas.containsKey(name)) {
                throw new IllegalArgumentException("replica name must be unique, but '" + name + "' was given twice");
            }
            replicas.put(name, replica);
            return this;
        }

        public Builder replicaLagThreshold(Duration d) {
            this.replicaLagThreshold = checkDuration("replicaLagThreshold", d, true);
            return this;
        }

        public Builder maxLockWait(Duration d) {
            this.maxLockWait = checkDuration("maxLockWait", d, false);
            return this;
        }

        public Builder maxTransactionAge(Duration d) {
            this.maxTransactionAge = checkDuration("maxTransactionAge", d, false);
            return this;
        }

        public Builder statementTimeout(Duration d) {
            this.statementTimeout = checkDuration("statementTimeout", d, false);
            return this;
        }

        public Builder probeTimeout(Duration d) {
            this.probeTimeout = checkDuration("probeTimeout", d, false);
            return this;
        }

        public Builder requiredIsolation(IsolationLevel level) {
            this.requiredIsolation = Objects.requireNonNull(level, "requiredIsolation must be set, but was null");
            return this;
        }

        /** Parses the level by name ({@code SERIALIZABLE}, {@code repeatable read}, ...). */
        public Builder requiredIsolation(String level) {
            try {
                return requiredIsolation(IsolationLevel.parse(level));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("requiredIsolation: " + e.getMessage(), e);
            }
        }

        public Builder isolationPolicy(IsolationPolicy policy) {
            this.isolationPolicy = Objects.requireNonNull(policy, "isolationPolicy must be set, but was null");
            return this;
        }

        public Builder rollbackPolicy(RollbackPolicy policy) {
            this.rollbackPolicy = Objects.requireNonNull(policy, "rollbackPolicy must be set, but was null");
            return this;
        }

        public Builder requirePointInTimeRecovery(boolean required) {
            this.requirePointInTimeRecovery = required;
            return this;
        }

        public Builder maxArchiveAge(Duration d) {
            this.maxArchiveAge = checkDuration("maxArchiveAge", d, false);
            return this;
        }

        public Builder maxBackupAge(Duration d) {
            this.maxBackupAge = checkDuration("maxBackupAge", d, false);
            return this;
        }

        public Builder backupStatusProvider(BackupStatusProvider provider) {
            this.backupStatusProvider = provider;
            return this;
        }

        /** {@code table} or {@code schema.table}; each part must be a plain identifier. */
        public Builder heartbeatTable(String qualifiedName) {
            Identifiers.parseQualified("heartbeatTable", qualifiedName);
            this.heartbeatTable = qualifiedName.contains(".") ? qualifiedName : "public." + qualifiedName;
            return this;
        }

        public Builder tenantSchemaPattern(String likePattern) {
            if (likePattern != null && (likePattern.isBlank() || likePattern.length() > 128)) {
                throw new IllegalArgumentException("tenantSchemaPattern must be 1-128 characters, but was '" + likePattern + "'");
            }
            this.tenantSchemaPattern = likePattern;
            return this;
        }

        /** MySQL/MariaDB binary log retention required by rollback-validation; positive, at most 3650 days. Default 7 days. */
        public Builder minBinlogRetention(Duration d) {
            if (d == null) {
                throw new IllegalArgumentException("minBinlogRetention must be set, but was null");
            }
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("minBinlogRetention must be positive, but was " + d.toMillis() + "ms");
            }
            if (d.compareTo(MAX_BINLOG_RETENTION) > 0) {
                throw new IllegalArgumentException("minBinlogRetention must be at most 3650 days, but was " + d);
            }
            this.minBinlogRetention = d;
            return this;
        }

        public Builder ddlSizeThresholds(SizeThresholds thresholds) {
            this.ddlSizeThresholds = Objects.requireNonNull(thresholds, "ddlSizeThresholds must be set, but was null");
            return this;
        }

        /** 0 to fail at the first lock timeout; at most 10. */
        public Builder lockRetries(int retries) {
            if (retries < 0 || retries > 10) {
                throw new IllegalArgumentException("lockRetries must be between 0 and 10, but was " + retries);
            }
            this.lockRetries = retries;
            return this;
        }

        public Builder lockRetryBackoff(Duration d) {
            this.lockRetryBackoff = checkDuration("lockRetryBackoff", d, true);
            return this;
        }

        public AuditorConfig build() {
            if (dataSource == null) {
                throw new IllegalArgumentException("dataSource (the primary) must be set, but was null");
            }
            if (probeTimeout.compareTo(statementTimeout) > 0) {
                throw new IllegalArgumentException("probeTimeout must not exceed statementTimeout, but was "
                        + probeTimeout.toMillis() + "ms > " + statementTimeout.toMillis() + "ms");
            }
            return new AuditorConfig(this);
        }

        private static Duration checkDuration(String field, Duration d, boolean zeroAllowed) {
            if (d == null) {
                throw new IllegalArgumentException(field + " must be set, but was null");
            }
            if (d.isNegative() || (!zeroAllowed && d.isZero())) {
                throw new IllegalArgumentException(field + " must be " + (zeroAllowed ? "zero or positive" : "positive")
                        + ", but was " + d.toMillis() + "ms");
            }
            if (d.compareTo(MAX_DURATION) > 0) {
                throw new IllegalArgumentException(field + " must be at most 7 days, but was " + d);
            }
            return d;
        }
    }
}

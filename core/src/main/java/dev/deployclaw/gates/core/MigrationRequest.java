package dev.deployclaw.gates.core;

import dev.deployclaw.gates.core.ddl.ScriptSplitter;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.internal.Identifiers;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What is about to run: the operation's statements, where, under which isolation, and with which rollback plan.
 * Built with {@link #builder()}; immutable.
 */
public final class MigrationRequest {
    private final List<String> statements;
    private final Optional<String> tenant;
    private final Optional<String> schema;
    private final Optional<IsolationLevel> isolationLevel;
    private final boolean rollbackValidation;
    private final RollbackPlan rollbackPlan;
    private final String description;
    private final Optional<String> migrationVersion;
    private final Optional<Connection> session;
    private final boolean environmentOnly;
    private final boolean environmentChecked;
    private final boolean sessionChecked;
    private final boolean sharedTransaction;
    private final java.util.Map<String, String> attributes;
    private final java.util.Set<String> toolTables;

    private MigrationRequest(Builder b) {
        this.statements = List.copyOf(b.statements);
        this.tenant = Optional.ofNullable(b.tenant);
        this.schema = Optional.ofNullable(b.schema);
        this.isolationLevel = Optional.ofNullable(b.isolationLevel);
        this.rollbackValidation = b.rollbackValidation;
        this.rollbackPlan = b.rollbackPlan;
        this.description = b.description;
        this.migrationVersion = Optional.ofNullable(b.migrationVersion);
        this.session = Optional.ofNullable(b.session);
        this.environmentOnly = b.environmentOnly;
        this.environmentChecked = b.environmentChecked;
        this.sessionChecked = b.sessionChecked;
        this.sharedTransaction = b.sharedTransaction;
        this.attributes = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(b.attributes));
        this.toolTables = java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(b.toolTables));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The statements, split, in order. Empty for an environment-only evaluation. */
    public List<String> statements() { return statements; }

    /** The tenant being migrated, if any. */
    public Optional<String> tenant() { return tenant; }

    /** The schema unqualified names resolve to; the session's current schema when empty. */
    public Optional<String> schema() { return schema; }

    /** The isolation the operation asks for; overrides {@link AuditorConfig#requiredIsolation()} when set. */
    public Optional<IsolationLevel> isolationLevel() { return isolationLevel; }

    /** Whether a rollback plan is required for this request (the brief's {@code rollbackValidation}). */
    public boolean rollbackValidation() { return rollbackValidation; }

    public RollbackPlan rollbackPlan() { return rollbackPlan; }

    public String description() { return description; }

    /** Version of the migration (Flyway version, Liquibase changeset id), for the report. */
    public Optional<String> migrationVersion() { return migrationVersion; }

    /** The connection the migration will run on, when the caller already has it (Flyway, Liquibase). */
    public Optional<Connection> session() { return session; }

    /**
     * True when the request checks the environment before a run (Flyway {@code beforeMigrate}) and carries no
     * statements: the table-lock gate then watches every table of the schema, and no rollback plan is asked for.
     */
    public boolean environmentOnly() { return environmentOnly; }

    /**
     * True when an adapter evaluated every gate for this run a moment ago (Flyway {@code beforeMigrate}) and now
     * re-checks only the next migration's statements: a gate that reads both the statements and the server (the
     * rollback gate's recovery point and backup) then checks the statements alone.
     */
    public boolean environmentChecked() { return environmentChecked; }

    /**
     * True when an adapter's previous check of the same {@link #session()} found its isolation and lock wait bound in
     * force, and the statements run on it since set no session setting (no {@code SET}, {@code RESET},
     * {@code set_config} or {@code DISCARD}): the transaction-isolation gate then does not read them again.
     */
    public boolean sessionChecked() { return sessionChecked; }

    /**
     * True when the tool runs this migration in the transaction that earlier migrations of the same run left open on
     * {@link #session()} (Flyway's {@code group}): what they created or changed is visible, and locked, on that session
     * only, so gates that measure those tables read them there (see {@code GateContext.catalog()}).
     */
    public boolean sharedTransaction() { return sharedTransaction; }

    /**
     * Facts about the migration tool's own settings, by key, for gates that check tool configuration (e.g.
     * {@code flyway.postgresql.transactional.lock} = {@code true}). Empty unless an adapter sets them.
     */
    public java.util.Map<String, String> attributes() { return attributes; }

    /**
     * Tables of the request's schema that the migration tool itself keeps locked during its run (Flyway's schema
     * history table, read in the transaction that holds Flyway's lock). When the statements' tables cannot be
     * determined and the whole schema is watched, locks on these tables are the tool's own, not blockers.
     */
    public java.util.Set<String> toolTables() { return toolTables; }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.statements.addAll(statements);
        b.tenant = tenant.orElse(null);
        b.schema = schema.orElse(null);
        b.isolationLevel = isolationLevel.orElse(null);
        b.rollbackValidation = rollbackValidation;
        b.rollbackPlan = rollbackPlan;
        b.description = description;
        b.migrationVersion = migrationVersion.orElse(null);
        b.session = session.orElse(null);
        b.environmentOnly = environmentOnly;
        b.environmentChecked = environmentChecked;
        b.sessionChecked = sessionChecked;
        b.sharedTransaction = sharedTransaction;
        b.attributes.putAll(attributes);
        b.toolTables.addAll(toolTables);
        return b;
    }

    public static final class Builder {
        private final List<String> statements = new ArrayList<>();
        private String tenant;
        private String schema;
        private IsolationLevel isolationLevel;
        private boolean rollbackValidation = true;
        private RollbackPlan rollbackPlan = RollbackPlan.none("no rollback statement was supplied");
        private String description = "Enforce schema migration safety gates";
        private String migrationVersion;
        private Connection session;
        private boolean environmentOnly;
        private boolean environmentChecked;
        private boolean sessionChecked;
        private boolean sharedTransaction;
        private final java.util.Map<String, String> attributes = new java.util.TreeMap<>();
        private final java.util.Set<String> toolTables = new java.util.TreeSet<>();

        private Builder() {
        }

        /**
         * The operation: one statement or a script of many, split here (comments, quotes and dollar quotes
         * respected) with PostgreSQL rules. Use {@link #operation(String, DatabaseKind)} for MySQL scripts.
         */
        public Builder operation(String sql) {
            return operation(sql, DatabaseKind.POSTGRESQL);
        }

        public Builder operation(String sql, DatabaseKind kind) {
            if (sql == null || sql.isBlank()) {
                throw new IllegalArgumentException("operation must contain SQL, but was '" + sql + "'");
            }
            statements.addAll(ScriptSplitter.split(sql, kind));
            if (statements.isEmpty()) {
                throw new IllegalArgumentException("operation must contain at least one statement, but held only comments");
            }
            return this;
        }

        /** Statements already split by the migration tool. */
        public Builder statements(List<String> sql) {
            Objects.requireNonNull(sql, "statements");
            for (String s : sql) {
                if (s == null || s.isBlank()) {
                    throw new IllegalArgumentException("statements must not contain a blank statement, but element "
                            + statements.size() + " was '" + s + "'");
                }
                statements.add(s);
            }
            return this;
        }

        public Builder tenant(String tenant) {
            this.tenant = tenant == null ? null : Identifiers.requireValidName("tenant", tenant);
            return this;
        }

        public Builder schema(String schema) {
            this.schema = schema == null ? null : Identifiers.requireValidName("schema", schema);
            return this;
        }

        public Builder isolationLevel(IsolationLevel level) {
            this.isolationLevel = level;
            return this;
        }

        public Builder isolationLevel(String level) {
            return isolationLevel(level == null ? null : IsolationLevel.parse(level));
        }

        public Builder rollbackValidation(boolean required) {
            this.rollbackValidation = required;
            return this;
        }

        /** The SQL that undoes the operation. */
        public Builder rollbackStatement(String sql) {
            this.rollbackPlan = RollbackPlan.statement(sql);
            return this;
        }

        public Builder rollbackPlan(RollbackPlan plan) {
            this.rollbackPlan = Objects.requireNonNull(plan, "rollbackPlan");
            return this;
        }

        public Builder description(String description) {
            this.description = Objects.requireNonNull(description, "description");
            return this;
        }

        public Builder migrationVersion(String version) {
            this.migrationVersion = version;
            return this;
        }

        public Builder session(Connection session) {
            this.session = session;
            return this;
        }

        public Builder environmentOnly(boolean environmentOnly) {
            this.environmentOnly = environmentOnly;
            return this;
        }

        /** See {@link MigrationRequest#environmentChecked()}. Default false. */
        public Builder environmentChecked(boolean checked) {
            this.environmentChecked = checked;
            return this;
        }

        /** See {@link MigrationRequest#sessionChecked()}. Default false. */
        public Builder sessionChecked(boolean checked) {
            this.sessionChecked = checked;
            return this;
        }

        /** See {@link MigrationRequest#sharedTransaction()}. Default false. */
        public Builder sharedTransaction(boolean shared) {
            this.sharedTransaction = shared;
            return this;
        }

        /** Records a fact about the migration tool's settings (see {@link MigrationRequest#attributes()}). */
        public Builder attribute(String key, String value) {
            attributes.put(Objects.requireNonNull(key, "attribute key"), Objects.requireNonNull(value, "attribute " + key));
            return this;
        }

        /** Names the migration tool's own bookkeeping table in the request's schema (see {@link MigrationRequest#toolTables()}). */
        public Builder toolTable(String table) {
            toolTables.add(Identifiers.requireValidName("toolTable", table));
            return this;
        }

        public MigrationRequest build() {
            if (statements.isEmpty() && !environmentOnly) {
                throw new IllegalArgumentException("operation must be set (the SQL to gate), but was empty;"
                        + " use environmentOnly(true) to check the environment alone");
            }
            return new MigrationRequest(this);
        }
    }
}

package dev.deployclaw.gates.liquibase;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the Liquibase adapter schedules the gates. Immutable; {@link #defaults()} or {@link #builder()}.
 *
 * <ul>
 *   <li>{@code volatileChanges}: what to do with a change whose SQL exists only at run time. Default
 *       {@link VolatileChanges#BLOCK} (fail closed).</li>
 *   <li>{@code environmentRecheck}: the environment gates ({@code topology}, {@code replica-lag}) run before the first
 *       changeset of an update, and again before a later changeset once the last full evaluation is older than this.
 *       Every other gate ({@code table-lock}, {@code transaction-isolation}, {@code rollback-validation}, and any
 *       statement-level gate added later) runs before every changeset. Default 1 minute; {@link Duration#ZERO}
 *       runs every gate before every changeset.</li>
 *   <li>{@code tenant}: the tenant named in reports. Default: the auditor's {@code tenantId}, else the Liquibase
 *       database's default schema.</li>
 * </ul>
 */
public final class LiquibaseGateOptions {
    public static final Duration DEFAULT_ENVIRONMENT_RECHECK = Duration.ofMinutes(1);

    private final VolatileChanges volatileChanges;
    private final Duration environmentRecheck;
    private final Optional<String> tenant;

    private LiquibaseGateOptions(Builder b) {
        this.volatileChanges = b.volatileChanges;
        this.environmentRecheck = b.environmentRecheck;
        this.tenant = Optional.ofNullable(b.tenant);
    }

    public static LiquibaseGateOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.volatileChanges = volatileChanges;
        b.environmentRecheck = environmentRecheck;
        b.tenant = tenant.orElse(null);
        return b;
    }

    /** Default {@link VolatileChanges#BLOCK}. */
    public VolatileChanges volatileChanges() { return volatileChanges; }

    /** Default 1 minute. */
    public Duration environmentRecheck() { return environmentRecheck; }

    public Optional<String> tenant() { return tenant; }

    @Override
    public String toString() {
        return "LiquibaseGateOptions{volatileChanges=" + volatileChanges + ", environmentRecheck="
                + environmentRecheck.toMillis() + "ms, tenant=" + tenant.orElse("-") + "}";
    }

    public static final class Builder {
        private VolatileChanges volatileChanges = VolatileChanges.BLOCK;
        private Duration environmentRecheck = DEFAULT_ENVIRONMENT_RECHECK;
        private String tenant;

        private Builder() {
        }

        public Builder volatileChanges(VolatileChanges policy) {
            this.volatileChanges = Objects.requireNonNull(policy, "volatileChanges must be set, but was null");
            return this;
        }

        public Builder environmentRecheck(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("environmentRecheck must be zero or positive, but was " + d);
            }
            this.environmentRecheck = d;
            return this;
        }

        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public LiquibaseGateOptions build() {
            return new LiquibaseGateOptions(this);
        }
    }
}

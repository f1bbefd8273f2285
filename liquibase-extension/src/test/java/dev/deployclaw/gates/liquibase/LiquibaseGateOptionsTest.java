package dev.deployclaw.gates.liquibase;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LiquibaseGateOptionsTest {
    @Test
    void defaultsFailClosedOnVolatileChangesAndRecheckTheEnvironmentEveryMinute() {
        LiquibaseGateOptions o = LiquibaseGateOptions.defaults();
        assertThat(o.volatileChanges()).isEqualTo(VolatileChanges.BLOCK);
        assertThat(o.environmentRecheck()).isEqualTo(Duration.ofMinutes(1));
        assertThat(o.tenant()).isEmpty();
    }

    @Test
    void rejectsANegativeEnvironmentRecheckNamingTheValue() {
        assertThatThrownBy(() -> LiquibaseGateOptions.builder().environmentRecheck(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environmentRecheck must be zero or positive, but was PT-1S");
    }

    @Test
    void rejectsAMissingVolatileChangesPolicy() {
        assertThatThrownBy(() -> LiquibaseGateOptions.builder().volatileChanges(null))
                .hasMessage("volatileChanges must be set, but was null");
    }
}

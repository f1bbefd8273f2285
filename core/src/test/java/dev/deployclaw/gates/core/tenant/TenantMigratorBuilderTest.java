package dev.deployclaw.gates.core.tenant;

import dev.deployclaw.gates.core.AuditorConfig;
import dev.deployclaw.gates.core.SecurityAuditor;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

/** The read-sharing settings accept zero (off) up to one minute and name the setting and the value otherwise. */
class TenantMigratorBuilderTest {
    private final TenantMigrator.Builder builder = TenantMigrator.builder(
            new SecurityAuditor(AuditorConfig.builder(mock(DataSource.class)).build()), mock(MigrationEngine.class));

    @Test
    void environmentPrefetchIsZeroUpToOneMinute() {
        assertThatCode(() -> builder.environmentPrefetch(Duration.ZERO).environmentPrefetch(Duration.ofMinutes(1)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> builder.environmentPrefetch(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environmentPrefetch must be zero or positive and at most 7 days, but was PT-0.001S");
        assertThatThrownBy(() -> builder.environmentPrefetch(Duration.ofSeconds(61)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environmentPrefetch must be at most 1 minute, but was PT1M1S");
        assertThatThrownBy(() -> builder.environmentPrefetch(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("environmentPrefetch");
    }

    @Test
    void sharedActivityMaxAgeIsZeroUpToOneMinute() {
        assertThatCode(() -> builder.sharedActivityMaxAge(Duration.ZERO)).doesNotThrowAnyException();
        assertThatThrownBy(() -> builder.sharedActivityMaxAge(Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sharedActivityMaxAge must be at most 1 minute, but was PT2M");
    }
}

package dev.deployclaw.gates.core;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

class GatePropertiesTest {
    private final DataSource primary = mock(DataSource.class);

    @Test
    void readsPropertiesOverTheEnvironment() {
        GateProperties p = GateProperties.of(
                Map.of("deployclaw.replicaLagThreshold", "250ms", "deployclaw.rollbackPolicy", "report", "other.key", "x"),
                Map.of("DEPLOYCLAW_REPLICA_LAG_THRESHOLD", "9s", "DEPLOYCLAW_MAX_LOCK_WAIT", "PT1S", "DEPLOYCLAW_TEST_MARKER", "it",
                        "PATH", "/bin"));
        AuditorConfig c = p.toConfig(primary);

        assertThat(c.replicaLagThreshold()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.maxLockWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.rollbackPolicy()).isEqualTo(RollbackPolicy.REPORT);
    }

    @Test
    void buildsReplicasFromUrlUserAndPasswordWithoutShowingThePassword() {
        GateProperties p = GateProperties.of(Map.of("deployclaw.replicas.eu.url", "jdbc:postgresql://h:5433/db",
                "deployclaw.replicas.eu.password", "s3cret"), Map.of("DEPLOYCLAW_REPLICAS_US_URL", "jdbc:postgresql://u/db"));
        assertThat(p.toConfig(primary).replicas()).containsOnlyKeys("eu", "us");
        assertThat(p.toString()).doesNotContain("s3cret");
    }

    @Test
    void rejectsAnUnknownKeyListingTheValidOnes() {
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.replicaLag", "1s"), Map.of()))
                .hasMessageStartingWith("unknown property deployclaw.replicaLag; valid keys: [deployclaw.tenantId");
    }

    @Test
    void rejectsABadDurationNamingTheKey() {
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.maxLockWait", "soon"), Map.of()))
                .hasMessage("deployclaw.maxLockWait must be a duration such as 500ms, 2s, 5m or PT2S, but was 'soon'");
    }

    @Test
    void rejectsAReplicaWithoutUrl() {
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.replicas.eu.user", "u"), Map.of()))
                .hasMessageContaining("deployclaw.replicas.eu.url must be set");
    }

    @Test
    void autoRegisterDefaultsToTrueAndCanBeTurnedOffFromTheEnvironment() {
        assertThat(GateProperties.empty().autoRegister()).isTrue();
        assertThat(GateProperties.of(Map.of(), Map.of("DEPLOYCLAW_FLYWAY_AUTO_REGISTER", "false")).autoRegister()).isFalse();
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.flyway.autoRegister", "no"), Map.of()))
                .hasMessage("deployclaw.flyway.autoRegister must be true or false, but was 'no'");
    }

    @Test
    void readsTheFlywayEnvironmentRecheckFromPropertiesAndTheEnvironmentAndRejectsABadOne() {
        assertThat(GateProperties.of(Map.of(), Map.of("DEPLOYCLAW_FLYWAY_ENVIRONMENT_RECHECK", "0s"))
                .get("flyway.environmentRecheck")).contains("0s");
        assertThat(GateProperties.of(Map.of("deployclaw.flyway.environmentRecheck", "10s"), Map.of())
                .get("flyway.environmentRecheck")).contains("10s");
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.flyway.environmentRecheck", "often"), Map.of()))
                .hasMessageStartingWith("deployclaw.flyway.environmentRecheck must be a duration");
    }
}

package dev.deployclaw.gates.core;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

class AuditorConfigTest {
    private final DataSource ds = mock(DataSource.class);

    @Test
    void hasTheBriefsDefaults() {
        AuditorConfig c = AuditorConfig.builder(ds).build();
        assertThat(c.replicaLagThreshold()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.maxLockWait()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.isolationPolicy()).isEqualTo(IsolationPolicy.ADJUST);
        assertThat(c.rollbackPolicy()).isEqualTo(RollbackPolicy.REQUIRE_PLAN);
        assertThat(c.replicas()).isEmpty();
    }

    @Test
    void rejectsANegativeThresholdNamingTheFieldAndTheValue() {
        assertThatThrownBy(() -> AuditorConfig.builder(ds).replicaLagThreshold(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replicaLagThreshold must be zero or positive, but was -1ms");
    }

    @Test
    void rejectsAZeroLockWaitAndAnAbsurdlyLargeOne() {
        assertThatThrownBy(() -> AuditorConfig.builder(ds).maxLockWait(Duration.ZERO))
                .hasMessage("maxLockWait must be positive, but was 0ms");
        assertThatThrownBy(() -> AuditorConfig.builder(ds).maxLockWait(Duration.ofDays(400)))
                .hasMessage("maxLockWait must be at most 7 days, but was PT9600H");
    }

    @Test
    void rejectsAnUnknownIsolationNameListingTheValidOnes() {
        assertThatThrownBy(() -> AuditorConfig.builder(ds).requiredIsolation("SNAPSHOT"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requiredIsolation: isolation level must be one of READ UNCOMMITTED, READ COMMITTED,"
                        + " REPEATABLE READ, SERIALIZABLE, but was 'SNAPSHOT'");
    }

    @Test
    void acceptsTheUsualSpellingsOfIsolationLevels() {
        assertThat(IsolationLevel.parse("repeatable read")).isEqualTo(IsolationLevel.REPEATABLE_READ);
        assertThat(IsolationLevel.parse("READ-COMMITTED")).isEqualTo(IsolationLevel.READ_COMMITTED);
        assertThat(IsolationLevel.parse(" serializable ")).isEqualTo(IsolationLevel.SERIALIZABLE);
    }

    @Test
    void rejectsANullDataSource() {
        assertThatThrownBy(() -> AuditorConfig.builder(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataSource (the primary) must be set, but was null");
        assertThatThrownBy(() -> AuditorConfig.builder(ds).replica("eu", null))
                .hasMessage("replica 'eu' dataSource must be set, but was null");
    }

    @Test
    void rejectsDuplicateReplicaNamesAndHostileTenantIds() {
        assertThatThrownBy(() -> AuditorConfig.builder(ds).replica("eu", ds).replica("eu", ds))
                .hasMessage("replica name must be unique, but 'eu' was given twice");
        assertThatThrownBy(() -> AuditorConfig.builder(ds).tenantId("acme'; drop table users; --"))
                .hasMessageStartingWith("tenantId must contain only ASCII letters, digits and '_'");
    }

    @Test
    void rejectsAProbeTimeoutLongerThanTheStatementTimeout() {
        assertThatThrownBy(() -> AuditorConfig.builder(ds).statementTimeout(Duration.ofSeconds(1))
                .probeTimeout(Duration.ofSeconds(2)).build())
                .hasMessage("probeTimeout must not exceed statementTimeout, but was 2000ms > 1000ms");
    }

    @Test
    void toStringShowsSettingsButNoDataSourceDetails() {
        assertThat(AuditorConfig.builder(ds).tenantId("acme").build().toString())
                .contains("tenantId=acme").contains("replicaLagThreshold=500ms").doesNotContain("Mock");
    }
}

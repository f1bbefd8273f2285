package dev.deployclaw.gates.core.hostile;

import dev.deployclaw.gates.core.GateProperties;
import dev.deployclaw.gates.core.MigrationRequest;
import dev.deployclaw.gates.core.ddl.SqlParseException;
import dev.deployclaw.gates.core.dialect.DatabaseKind;
import dev.deployclaw.gates.core.tenant.Tenant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile input at every boundary: tenant names, configuration strings, SQL. Each gets a clear error naming the
 * input before anything could reach a database, and no message ever shows a password.
 */
class HostileInputTest {
    private static final String PASSWORD = "Pw-Never-Shown-4711";

    static Stream<Arguments> hostileTenantNames() {
        return Stream.of(
                Arguments.of("double quote", "acme\"; drop schema public cascade; --"),
                Arguments.of("single quote", "acme'--"),
                Arguments.of("backtick", "acme`; drop database test; #"),
                Arguments.of("semicolon", "a;b"),
                Arguments.of("line comment", "acme--x"),
                Arguments.of("block comment", "acme/*x*/"),
                Arguments.of("hash comment", "acme#x"),
                Arguments.of("space", "acme corp"),
                Arguments.of("newline", "acme\nx"),
                Arguments.of("NUL byte", "acme\u0000x"),
                Arguments.of("Cyrillic look-alike", "\u0430cme"),
                Arguments.of("fullwidth look-alike", "\uff41cme"),
                Arguments.of("zero-width space", "ac\u200bme"),
                Arguments.of("right-to-left override", "acme\u202e"),
                Arguments.of("dot (schema-qualified)", "public.acme"),
                Arguments.of("leading digit", "1acme"),
                Arguments.of("64 characters", "t".repeat(64)),
                Arguments.of("64 bytes of multi-byte text", "\u00e9".repeat(32)),
                Arguments.of("empty", ""));
    }

    @ParameterizedTest(name = "tenant name with {0} is rejected")
    @MethodSource("hostileTenantNames")
    void hostileTenantNamesAreRejectedNamingTheInput(String kind, String name) {
        assertThatThrownBy(() -> Tenant.of(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tenant must");
        assertThatThrownBy(() -> MigrationRequest.builder().tenant(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tenant must");
        assertThatThrownBy(() -> MigrationRequest.builder().schema(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("schema must");
    }

    static Stream<Arguments> hostileConfiguration() {
        return Stream.of(
                Arguments.of("deployclaw.replicaLagThreshold", "-5ms", "deployclaw.replicaLagThreshold must"),
                Arguments.of("deployclaw.maxLockWait", "0s", "deployclaw.maxLockWait: maxLockWait must be positive, but was 0ms"),
                Arguments.of("deployclaw.maxLockWait", "400d", "deployclaw.maxLockWait: maxLockWait must be at most 7 days"),
                Arguments.of("deployclaw.maxLockWait", "99999999999999999999999s", "deployclaw.maxLockWait must be a duration of at most 7 days"),
                Arguments.of("deployclaw.maxTransactionAge", "PT-1S", "deployclaw.maxTransactionAge: maxTransactionAge must be positive"),
                Arguments.of("deployclaw.probeTimeout", "two seconds", "deployclaw.probeTimeout must be a duration such as 500ms"),
                Arguments.of("deployclaw.requiredIsolation", "SNAPSHOT", "deployclaw.requiredIsolation: requiredIsolation: isolation level must be one of"),
                Arguments.of("deployclaw.isolationPolicy", "IGNORE", "deployclaw.isolationPolicy must be one of [ADJUST, REJECT], but was 'IGNORE'"),
                Arguments.of("deployclaw.rollbackPolicy", "SOMETIMES", "deployclaw.rollbackPolicy must be one of [REQUIRE_PLAN, REPORT]"),
                Arguments.of("deployclaw.requirePointInTimeRecovery", "yes", "deployclaw.requirePointInTimeRecovery must be true or false, but was 'yes'"),
                Arguments.of("deployclaw.heartbeatTable", "hb; drop table x", "deployclaw.heartbeatTable: heartbeatTable must contain only"),
                Arguments.of("deployclaw.tenantId", "x'y", "deployclaw.tenantId: tenantId must contain only"),
                Arguments.of("deployclaw.replicas.eu.url", "postgresql://host/db", "deployclaw.replicas.eu.url must be a JDBC URL"),
                Arguments.of("deployclaw.replicas.eu.url", "jdbc:postgresql://host/db?x=1 ; rm -rf", "deployclaw.replicas.eu.url must be a JDBC URL"),
                Arguments.of("deployclaw.replicas.eu.url", "jdbc:", "deployclaw.replicas.eu.url must be a JDBC URL"),
                Arguments.of("deployclaw.lockRetries", "11", "deployclaw.lockRetries must be a whole number from 0 to 10, but was '11'"),
                Arguments.of("deployclaw.lockRetries", "two", "deployclaw.lockRetries must be a whole number"),
                Arguments.of("deployclaw.ddl.blockRows", "-1", "deployclaw.ddl.blockRows must be a whole number"),
                Arguments.of("deployclaw.ddl.warnRows", "5000000", "deployclaw.ddl.*: warn thresholds must not exceed block thresholds"),
                Arguments.of("deployclaw.minBinlogRetention", "4000d", "deployclaw.minBinlogRetention: minBinlogRetention must be at most 3650 days"),
                Arguments.of("deployclaw.replcaLagThreshold", "1s", "unknown property deployclaw.replcaLagThreshold; valid keys:"));
    }

    @ParameterizedTest(name = "{0}={1} is rejected")
    @MethodSource("hostileConfiguration")
    void badConfigurationValuesAreRejectedNamingTheKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> GateProperties.of(Map.of(key, value), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void aMalformedJdbcUrlWithAPasswordIsRejectedWithoutShowingThePassword() {
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.replicas.eu.url",
                "postgresql://app:" + PASSWORD + "@db/app?password=" + PASSWORD), Map.of()))
                .hasMessageContaining("deployclaw.replicas.eu.url must be a JDBC URL").hasMessageNotContaining(PASSWORD);
        GateProperties ok = GateProperties.of(Map.of("deployclaw.replicas.eu.url", "jdbc:postgresql://db/app",
                "deployclaw.replicas.eu.password", PASSWORD), Map.of());
        assertThat(ok.toString()).doesNotContain(PASSWORD).contains("****");
    }

    @Test
    void aPasswordGivenWhereADurationBelongsIsNotEchoed() {
        assertThatThrownBy(() -> GateProperties.of(Map.of("deployclaw.maxLockWait", "password=" + PASSWORD), Map.of()))
                .hasMessageContaining("deployclaw.maxLockWait must be a duration").hasMessageNotContaining(PASSWORD);
    }

    @Test
    void sqlWithAnUnterminatedDollarQuoteIsRejectedNamingTheLine() {
        assertThatThrownBy(() -> MigrationRequest.builder().operation("create function f() returns int as $body$\nselect 1;"))
                .isInstanceOf(SqlParseException.class).hasMessage("unterminated dollar quote $body$ starting at line 1");
    }

    @Test
    void sqlWithANulByteIsRejectedBeforeAnyDatabaseSeesIt() {
        assertThatThrownBy(() -> MigrationRequest.builder().operation("alter table users add column x int\u0000; drop table users"))
                .isInstanceOf(SqlParseException.class).hasMessageContaining("NUL byte at offset 34");
    }

    @Test
    void sqlWithAnUnterminatedStringOrCommentIsRejected() {
        assertThatThrownBy(() -> MigrationRequest.builder().operation("insert into t values ('oops);"))
                .hasMessage("unterminated string literal starting at line 1");
        assertThatThrownBy(() -> MigrationRequest.builder().operation("select 1; /* never closed"))
                .hasMessage("unterminated /* comment starting at line 1");
        assertThatThrownBy(() -> MigrationRequest.builder().operation("select `x", DatabaseKind.MARIADB))
                .hasMessage("unterminated quoted identifier starting at line 1");
    }

    @Test
    void aTenMegabyteStatementIsSplitAsOneStatementWithoutBlowingUp() {
        String big = "insert into t values ('" + "x".repeat(10 * 1024 * 1024) + "')";
        MigrationRequest request = MigrationRequest.builder().operation(big + "; select 1").rollbackValidation(false).build();
        assertThat(request.statements()).hasSize(2);
        assertThat(request.statements().get(0)).hasSize(big.length());
    }
}

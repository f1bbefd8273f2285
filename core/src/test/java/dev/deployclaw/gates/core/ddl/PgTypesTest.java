package dev.deployclaw.gates.core.ddl;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PgTypesTest {
    @Test
    void wideningVarcharTextAndNumericIsBinaryCoercibleAndEverythingElseRewrites() {
        assertThat(PgTypes.binaryCoercible("character varying(20)", "varchar(100)")).isTrue();
        assertThat(PgTypes.binaryCoercible("character varying(20)", "text")).isTrue();
        assertThat(PgTypes.binaryCoercible("text", "varchar")).isTrue();
        assertThat(PgTypes.binaryCoercible("numeric(10,2)", "numeric(14, 2)")).isTrue();
        assertThat(PgTypes.binaryCoercible("numeric(10,2)", "numeric")).isTrue();
        assertThat(PgTypes.binaryCoercible("integer", "int4")).isTrue();
        assertThat(PgTypes.binaryCoercible("character varying(20)", "varchar(10)")).isFalse();
        assertThat(PgTypes.binaryCoercible("text", "varchar(50)")).isFalse();
        assertThat(PgTypes.binaryCoercible("numeric(10,2)", "numeric(10,3)")).isFalse();
        assertThat(PgTypes.binaryCoercible("integer", "text")).isFalse();
        assertThat(PgTypes.binaryCoercible("integer", "bigint")).isFalse();
    }
}

package dev.deployclaw.gates.core.ddl;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TouchedTablesTest {
    @Test
    void partitionsAndInheritanceParentsAreTouchedToo() {
        assertThat(TouchedTables.of("alter table m attach partition app.m_2025 for values from ('2025-01-01') to ('2026-01-01')"))
                .hasValueSatisfying(s -> assertThat(s).containsExactly(TableRef.of(null, "m"), TableRef.of("app", "m_2025")));
        assertThat(TouchedTables.of("alter table m detach partition m_2024 concurrently"))
                .hasValueSatisfying(s -> assertThat(s).contains(TableRef.of(null, "m_2024")));
        assertThat(TouchedTables.of("create table m_2026 partition of m for values from (1) to (2)"))
                .hasValueSatisfying(s -> assertThat(s).containsExactly(TableRef.of(null, "m_2026"), TableRef.of(null, "m")));
        assertThat(TouchedTables.of("alter table e inherit parent_t"))
                .hasValueSatisfying(s -> assertThat(s).contains(TableRef.of(null, "parent_t")));
        assertThat(TouchedTables.of("refresh materialized view concurrently mv"))
                .hasValueSatisfying(s -> assertThat(s).containsExactly(TableRef.of(null, "mv")));
    }

    @Test
    void aFormItDoesNotKnowIsEmptySoGatesWatchTheWholeSchema() {
        assertThat(TouchedTables.of("DO $$ begin end $$")).isEmpty();
        assertThat(TouchedTables.of("drop index i")).isEmpty();
    }
}

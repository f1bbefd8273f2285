package dev.deployclaw.gates.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RunReportTest {
    private final RunReport report = new RunReport("tenant-run-1", Instant.parse("2026-12-03T07:00:00Z"), "flyway",
            "SCHEMA_PER_TENANT", "CONTINUE", 2, List.of(
            new RunReport.TenantRun("t01", "t01", true, TenantDecision.MIGRATED, List.of(), Optional.empty(), Optional.of("5"),
                    5, 120, 0, "applied 5 migration(s)", List.of()),
            new RunReport.TenantRun("t17", "t17", false, TenantDecision.BLOCKED, List.of("table-lock"), Optional.of("1"),
                    Optional.of("1"), 0, 80, 0, "before the run: pid 4242 holds RowExclusiveLock on t17.accounts; password=hunter2",
                    List.of())), 1234);

    @Test
    void countsEveryDecisionAndFailsTheRunOnABlockedTenant() {
        assertThat(report.count(TenantDecision.MIGRATED)).isEqualTo(1);
        assertThat(report.count(TenantDecision.BLOCKED)).isEqualTo(1);
        assertThat(report.count(TenantDecision.NOT_STARTED)).isZero();
        assertThat(report.succeeded()).isFalse();
    }

    @Test
    void writesOneJsonLinePerTenantWithVersionsGatesAndMaskedDetail() throws Exception {
        JsonNode json = new ObjectMapper().readTree(report.toJson());

        assertThat(json.get("runId").asText()).isEqualTo("tenant-run-1");
        assertThat(json.get("totals").get("BLOCKED").asInt()).isEqualTo(1);
        JsonNode t17 = json.get("tenants").get(1);
        assertThat(t17.get("decision").asText()).isEqualTo("BLOCKED");
        assertThat(t17.get("failedGates").get(0).asText()).isEqualTo("table-lock");
        assertThat(t17.get("versionBefore").asText()).isEqualTo("1");
        assertThat(json.get("tenants").get(0).get("versionBefore").isNull()).isTrue();
        assertThat(t17.get("detail").asText()).contains("pid 4242").doesNotContain("hunter2");
    }

    @Test
    void rendersTextWithCanaryMarkTotalsAndTheFailedGate() {
        String text = report.toText();
        assertThat(text).contains("t01 (canary)").contains("table-lock: before the run: pid 4242")
                .contains("Totals: MIGRATED 1, BLOCKED 1 in 1.23 s").doesNotContain("hunter2");
    }
}

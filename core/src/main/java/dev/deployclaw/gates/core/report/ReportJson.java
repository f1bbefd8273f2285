package dev.deployclaw.gates.core.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.deployclaw.gates.core.gate.Evidence;
import dev.deployclaw.gates.core.gate.Outcome;
import dev.deployclaw.gates.core.gate.Verdict;
import dev.deployclaw.gates.core.internal.Secrets;

import java.util.List;

/** The one JSON writer of reports (Jackson), in the brief's execution-log shape. */
final class ReportJson {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportJson() {
    }

    static String write(GateReport r) {
        try {
            return MAPPER.writeValueAsString(node(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write report " + r.executionId() + " as JSON", e);
        }
    }

    static ObjectNode node(GateReport r) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("executionId", r.executionId());
        root.put("timestamp", r.timestamp().toString());
        root.put("agentName", GateReport.AGENT_NAME);
        root.put("taskDescription", Secrets.mask(r.taskDescription()));
        if (r.tenant().isPresent()) {
            root.put("tenantId", r.tenant().get());
        } else {
            root.putNull("tenantId");
        }
        root.put("schema", r.schema());
        if (r.migrationVersion().isPresent()) {
            root.put("migrationVersion", r.migrationVersion().get());
        } else {
            root.putNull("migrationVersion");
        }
        root.put("database", r.database().name());
        ArrayNode statements = root.putArray("statements");
        r.statements().forEach(s -> statements.add(Secrets.mask(s)));
        ArrayNode thoughts = root.putArray("internalThoughts");
        int step = 1;
        for (Verdict v : r.verdicts()) {
            ObjectNode t = thoughts.addObject();
            t.put("step", step++);
            t.put("gateId", v.gate().value());
            t.put("action", v.action());
            t.put("result", result(v.outcome()));
            t.put("outcome", v.outcome().name());
            t.put("detail", Secrets.mask(v.detail()));
            t.put("duration_ms", v.durationMs());
            evidence(t.putArray("evidence"), v.evidence());
            v.sqlState().ifPresent(s -> t.put("sqlState", s));
        }
        ObjectNode results = root.putObject("gateResults");
        for (Verdict v : r.verdicts()) {
            results.put(v.gate().briefName(), v.outcome().name());
        }
        results.put("overallDecision", r.decision().name());
        root.put("executionTime_ms", r.executionTimeMs());
        if (r.prefetchMicros() > 0) {
            root.put("prefetchTime_ms", r.prefetchMicros() / 1000);
        }
        root.put("recommendedAction", Secrets.mask(r.recommendedAction()));
        return root;
    }

    private static void evidence(ArrayNode arr, List<Evidence> evidence) {
        for (Evidence e : evidence) {
            ObjectNode n = arr.addObject();
            n.put("name", e.name());
            n.put("measured", Secrets.mask(e.measured()));
            if (e.threshold().isPresent()) {
                n.put("threshold", e.threshold().get());
            } else {
                n.putNull("threshold");
            }
            n.put("unit", e.unit());
        }
    }

    static String result(Outcome o) {
        return switch (o) {
            case PASSED -> "success";
            case WARNED -> "warning";
            case SKIPPED -> "skipped";
            case ACKNOWLEDGED -> "acknowledged";
            case FAILED -> "failure";
            case ERROR -> "error";
        };
    }
}

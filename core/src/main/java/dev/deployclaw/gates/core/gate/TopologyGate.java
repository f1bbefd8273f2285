package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.dialect.TopologyInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * The first step, as in the brief: what kind of tenancy the migration's schema has (one schema per tenant, or a
 * shared schema with a {@code tenant_id} column and row-level security) and how many tenants there are. It
 * records; it does not block, except on ERROR.
 */
public final class TopologyGate implements Gate {
    public static final GateId ID = GateId.of("topology");

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public String action() {
        return "Analyzing tenant topology and isolation boundaries";
    }

    @Override
    public Verdict evaluate(GateContext ctx) throws Exception {
        TopologyInfo t = ctx.dialect().topology(ctx.probe(), ctx.defaultSchema(), ctx.config().tenantSchemaPattern());
        List<Evidence> ev = new ArrayList<>();
        ev.add(Evidence.fact("schema", t.schema()));
        ev.add(Evidence.fact("tables", t.tables()));
        ev.add(Evidence.fact("tables with tenant_id", t.tablesWithTenantId()));
        ev.add(Evidence.fact("tables with row-level security enabled", t.rlsEnabled()));
        ev.add(Evidence.fact("tables with row-level security forced", t.rlsForced()));
        ev.add(Evidence.fact("row-level security policies", t.policies()));
        t.tenantSchemas().ifPresent(n -> ev.add(Evidence.fact("tenant schemas matching " + ctx.config().tenantSchemaPattern().orElseThrow(), n)));
        String tenants = t.tenantSchemas().map(n -> " " + n + " tenant schemas match "
                + ctx.config().tenantSchemaPattern().orElseThrow() + ".").orElse("");
        if (t.sharedSchema()) {
            String detail = "Shared schema " + t.schema() + ": " + t.tablesWithTenantId() + " of " + t.tables()
                    + " tables carry tenant_id; row-level security enabled on " + t.rlsEnabled() + " (forced on "
                    + t.rlsForced() + "), " + t.policies() + " policies." + tenants;
            if (t.rlsEnabled() < t.tablesWithTenantId()) {
                return Verdicts.warned(this, detail + " Tables with tenant_id but without row-level security rely on the"
                        + " application alone for isolation.", ev);
            }
            return Verdicts.passed(this, detail, ev);
        }
        return Verdicts.passed(this, "Schema-per-tenant: " + ctx.target() + " holds " + t.tables() + " tables, none with"
                + " tenant_id." + tenants, ev);
    }
}

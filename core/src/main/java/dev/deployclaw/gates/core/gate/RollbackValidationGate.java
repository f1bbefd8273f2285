package dev.deployclaw.gates.core.gate;

import dev.deployclaw.gates.core.BackupStatusProvider;
import dev.deployclaw.gates.core.RollbackPlan;
import dev.deployclaw.gates.core.RollbackPolicy;
import dev.deployclaw.gates.core.dialect.Durations;
import dev.deployclaw.gates.core.dialect.RecoveryPoint;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Blocks when the migration has no rollback plan while one is required, or when there is no recovery point:
 * point-in-time recovery (WAL archiving / binary log) not in place or failing, or the external backup
 * catalogue's newest backup older than {@code maxBackupAge}.
 */
public final class RollbackValidationGate implements Gate {
    public static final GateId ID = GateId.of("rollback-validation");

    @Override
    public GateId id() {
        return ID;
    }

    @Override
    public String action() {
        return "Validating rollback plan and backup integrity";
    }

    @Override
    public Verdict evaluate(GateContext ctx) throws Exception {
        List<Evidence> ev = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> facts = new ArrayList<>();

        RollbackPlan plan = ctx.request().rollbackPlan();
        if (ctx.request().environmentOnly()) {
            facts.add("rollback plans are checked per migration");
        } else if (!ctx.request().rollbackValidation()) {
            facts.add("rollback plan not requested for this operation");
            ev.add(Evidence.fact("rollback plan", "not requested"));
        } else if (plan.present()) {
            facts.add("rollback plan: " + plan.kind().name().toLowerCase().replace('_', ' ') + " (" + abbreviate(plan.description()) + ")");
            ev.add(Evidence.fact("rollback plan", plan.kind() + ": " + abbreviate(plan.description())));
        } else {
            ev.add(Evidence.fact("rollback plan", "none: " + plan.description()));
            String msg = "no rollback plan for " + ctx.request().migrationVersion().map(v -> "migration " + v).orElse("the operation")
                    + " (" + plan.description() + ")";
            if (ctx.dialect().ddlAutoCommits()) {
                msg += "; on " + ctx.dialect().kind() + " DDL commits on its own, so a failed migration cannot be rolled back"
                        + " by a transaction";
            }
            if (ctx.config().rollbackPolicy() == RollbackPolicy.REQUIRE_PLAN) {
                failures.add(msg + "; supply one (a rollback statement, a Flyway undo script U<version>__*.sql, a Liquibase"
                        + " rollback), declare the migration roll-forward only, or set rollbackPolicy REPORT");
            } else {
                warnings.add(msg);
            }
        }

        if (ctx.request().environmentChecked()) {
            facts.add("point-in-time recovery" + (ctx.config().backupStatusProvider().isPresent() ? " and backup" : "")
                    + " checked at the start of this run");
        } else if (ctx.config().requirePointInTimeRecovery()) {
            RecoveryPoint rp = ctx.recoveryPoint();
            ev.add(Evidence.fact("point-in-time recovery", String.join(", ", rp.facts())));
            if (rp.available()) {
                facts.add("point-in-time recovery available (" + rp.explanation() + ")");
            } else {
                failures.add("no point-in-time recovery: " + rp.explanation());
            }
        } else {
            facts.add("point-in-time recovery not required by configuration");
        }

        Optional<BackupStatusProvider> provider = ctx.config().backupStatusProvider();
        if (provider.isPresent() && !ctx.request().environmentChecked()) {
            Duration max = ctx.config().maxBackupAge();
            Optional<Instant> last = provider.get().lastCompletedBackup();
            if (last.isEmpty()) {
                ev.add(Evidence.of("newest backup age", "none", max.toMillis(), "ms"));
                failures.add(provider.get().description() + " reports no completed backup; take one before migrating");
            } else {
                long age = Duration.between(last.get(), Instant.now()).toMillis();
                ev.add(Evidence.of("newest backup age", age, max.toMillis(), "ms"));
                if (age > max.toMillis()) {
                    failures.add("newest backup (" + last.get() + ", from " + provider.get().description() + ") is "
                            + Durations.human(age) + " old, over maxBackupAge " + Durations.human(max.toMillis())
                            + "; take a fresh backup");
                } else {
                    facts.add("backup timestamp: " + last.get() + " (fresh, " + Durations.human(age) + " old)");
                }
            }
        }

        if (!failures.isEmpty()) {
            return Verdicts.failed(this, capitalize(String.join("; ", failures)) + ".", ev);
        }
        if (!warnings.isEmpty()) {
            return Verdicts.warned(this, capitalize(String.join("; ", warnings)) + " (rollbackPolicy REPORT). "
                    + capitalize(String.join("; ", facts)) + ".", ev);
        }
        return Verdicts.passed(this, capitalize(String.join("; ", facts)) + ".", ev);
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 120 ? one.substring(0, 117) + "..." : one;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}

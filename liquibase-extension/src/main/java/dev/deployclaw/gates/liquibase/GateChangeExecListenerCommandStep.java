package dev.deployclaw.gates.liquibase;

import liquibase.changelog.visitor.ChangeExecListener;
import liquibase.command.CleanUpCommandStep;
import liquibase.command.CommandOverride;
import liquibase.command.CommandResultsBuilder;
import liquibase.command.CommandScope;
import liquibase.command.core.helpers.ChangeExecListenerCommandStep;

/**
 * Zero wiring: registered in {@code META-INF/services/liquibase.command.CommandStep}, this step replaces Liquibase's
 * own {@link ChangeExecListenerCommandStep}, so every command that runs changesets ({@code update} from the CLI,
 * {@code CommandScope}, {@code Liquibase#update}, Spring's {@code SpringLiquibase}) gets a {@link GateChangeExecListener}
 * configured from {@code deployclaw.*} properties, with nothing else to set up. It does everything Liquibase's step
 * does (a {@code changeExecListener} or {@code changeExecListenerClass} argument is honoured and keeps receiving every
 * event) and adds the gate in front, unless a gate listener is already attached.
 *
 * <p>Opt out with the system property {@code deployclaw.liquibase.autoRegister=false} or the environment variable
 * {@code DEPLOYCLAW_LIQUIBASE_AUTO_REGISTER=false}. {@code @CommandOverride} is a beta Liquibase API and only one extension may
 * override a step; {@code GateChangeExecListenerCommandStepIT} fails if an upgrade breaks it.
 */
@CommandOverride(override = ChangeExecListenerCommandStep.class)
public class GateChangeExecListenerCommandStep extends ChangeExecListenerCommandStep implements CleanUpCommandStep {

    @Override
    public void run(CommandResultsBuilder resultsBuilder) throws Exception {
        super.run(resultsBuilder);
        if (!PropertiesAuditorSource.autoAttach()) {
            return;
        }
        CommandScope scope = resultsBuilder.getCommandScope();
        ChangeExecListener existing = (ChangeExecListener) scope.getDependency(ChangeExecListener.class);
        if (!GateChangeExecListener.gatesIn(existing).isEmpty()) {
            return;
        }
        PropertiesAuditorSource source = PropertiesAuditorSource.load(null);
        GateChangeExecListener gate = existing == null
                ? new GateChangeExecListener(source, source.options())
                : new GateChangeExecListener(source, source.options(), existing);
        scope.provideDependency(ChangeExecListener.class, gate);
    }

    /** When the command ends, the Liquibase session goes back without the gates' lock wait and statement bounds. */
    @Override
    public void cleanUp(CommandResultsBuilder resultsBuilder) {
        Object listener = resultsBuilder.getCommandScope().getDependency(ChangeExecListener.class);
        if (listener instanceof ChangeExecListener l) {
            GateChangeExecListener.gatesIn(l).forEach(GateChangeExecListener::resetSessions);
        }
    }
}

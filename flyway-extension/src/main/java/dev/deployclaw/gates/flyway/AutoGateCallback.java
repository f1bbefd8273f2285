package dev.deployclaw.gates.flyway;

import dev.deployclaw.gates.core.GateProperties;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.CallbackEvent;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.internal.callback.InternalCallback;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Zero-wiring: listed in {@code META-INF/services/org.flywaydb.core.extensibility.Plugin}, Flyway runs it in every
 * migrate with nothing configured, and it gates like a {@link GateCallback} built from {@code deployclaw.*}
 * properties. It steps aside when a {@link GateCallback} is registered explicitly (no double gating) and when
 * {@code deployclaw.flyway.autoRegister=false} (system property, Flyway placeholder or
 * {@code DEPLOYCLAW_FLYWAY_AUTO_REGISTER=false}).
 *
 * <p>{@link InternalCallback} is Flyway internal API: {@code AutoGateCallbackIT} fails if an upgrade breaks it.
 */
public final class AutoGateCallback implements InternalCallback<Event> {
    private final GateCallback delegate = new GateCallback();

    public AutoGateCallback() {
    }

    @Override
    public boolean supportsEventType(Class<? extends CallbackEvent<?>> type) {
        return type == Event.class;
    }

    @Override
    public boolean supports(Event event, Context context) {
        return delegate.supports(event, context);
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        if (!supports(event, context) || !active(context)) {
            return;
        }
        delegate.handle(event, context);
    }

    @Override
    public String getCallbackName() {
        return GateCallback.NAME + "-auto";
    }

    private static boolean active(Context context) {
        for (Callback c : context.getConfiguration().getCallbacks()) {
            if (c instanceof GateCallback) {
                return false;
            }
        }
        Map<String, String> fromFlyway = new LinkedHashMap<>();
        context.getConfiguration().getPlaceholders().forEach((k, v) -> {
            if (k.startsWith(GateProperties.PREFIX)) {
                fromFlyway.put(k, v);
            }
        });
        return GateProperties.fromSystem().with(fromFlyway).autoRegister();
    }
}

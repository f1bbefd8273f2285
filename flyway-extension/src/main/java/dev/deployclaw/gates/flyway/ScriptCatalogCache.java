package dev.deployclaw.gates.flyway;

import org.flywaydb.core.api.configuration.Configuration;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Scanned script catalogs by (class loader, locations, encoding): one scan serves every tenant of a run. */
final class ScriptCatalogCache {
    private record Key(ClassLoader loader, List<String> locations, String encoding) {
    }

    private final Map<Key, ScriptCatalog> catalogs = new ConcurrentHashMap<>();

    ScriptCatalog get(Configuration cfg) {
        Key k = new Key(cfg.getClassLoader(), java.util.Arrays.stream(cfg.getLocations()).map(Object::toString).toList(),
                cfg.getEncoding().name());
        return catalogs.computeIfAbsent(k, x -> ScriptCatalog.scan(cfg));
    }
}

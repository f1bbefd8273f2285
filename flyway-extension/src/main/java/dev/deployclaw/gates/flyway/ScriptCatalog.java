package dev.deployclaw.gates.flyway;

import org.flywaydb.core.api.Location;
import org.flywaydb.core.api.configuration.Configuration;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The SQL files under Flyway's configured locations, listed once (classpath directories and jars, filesystem
 * directories), so the gates can read a pending migration's script and find its undo script without rescanning for
 * every tenant. Only reads; Flyway's own scanner still decides what runs.
 */
final class ScriptCatalog {
    /** Relative name (as {@code MigrationInfo.getScript()} gives it) → where to read it, per location, in order. */
    private final Map<String, Source> scripts = new LinkedHashMap<>();
    /** Texts of classpath scripts, read once: a class loader's resources do not change while it serves them. */
    private final Map<String, String> classpathTexts = new java.util.concurrent.ConcurrentHashMap<>();
    private final Charset encoding;

    private record Source(ClassLoader loader, String classpathName, Path file) {
        InputStream open() throws IOException {
            if (file != null) {
                return Files.newInputStream(file);
            }
            InputStream in = loader.getResourceAsStream(classpathName);
            if (in == null) {
                throw new IOException("classpath resource " + classpathName + " disappeared");
            }
            return in;
        }
    }

    private ScriptCatalog(Charset encoding) {
        this.encoding = encoding;
    }

    /** Lists the {@code .sql} files of every classpath and filesystem location of {@code cfg}. */
    static ScriptCatalog scan(Configuration cfg) {
        ScriptCatalog c = new ScriptCatalog(cfg.getEncoding());
        ClassLoader loader = cfg.getClassLoader() != null ? cfg.getClassLoader() : ScriptCatalog.class.getClassLoader();
        for (Location l : cfg.getLocations()) {
            try {
                if ("classpath:".equals(l.getPrefix())) {
                    c.scanClasspath(loader, l.getRootPath());
                } else if ("filesystem:".equals(l.getPrefix())) {
                    c.scanDirectory(Paths.get(l.getRootPath()), null, null);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not list Flyway location " + l.getDescriptor() + ": " + e.getMessage(), e);
            }
        }
        return c;
    }

    /** The script's text, if the script is in a location this catalog can read. */
    Optional<String> read(String script) {
        Source s = scripts.get(normalize(script));
        if (s == null) {
            return Optional.empty();
        }
        // filesystem scripts are read each time (they may be edited between runs); classpath ones once
        return Optional.of(s.file() != null ? text(s, script) : classpathTexts.computeIfAbsent(s.classpathName(), k -> text(s, script)));
    }

    private String text(Source s, String script) {
        try (InputStream in = s.open()) {
            return new String(in.readAllBytes(), encoding);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read migration script " + script + ": " + e.getMessage(), e);
        }
    }

    /** Every listed script name (relative to its location). */
    List<String> names() {
        return List.copyOf(scripts.keySet());
    }

    /** Names of the scripts in the same directory as {@code script}. */
    List<String> siblings(String script) {
        String dir = directoryOf(normalize(script));
        List<String> out = new ArrayList<>();
        for (String n : scripts.keySet()) {
            if (directoryOf(n).equals(dir)) {
                out.add(n);
            }
        }
        return out;
    }

    static String fileName(String name) {
        int i = name.lastIndexOf('/');
        return i < 0 ? name : name.substring(i + 1);
    }

    private static String directoryOf(String name) {
        int i = name.lastIndexOf('/');
        return i < 0 ? "" : name.substring(0, i);
    }

    private static String normalize(String script) {
        return script.replace('\\', '/');
    }

    private void scanClasspath(ClassLoader loader, String root) throws IOException {
        String base = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
        Enumeration<URL> urls = loader.getResources(base);
        while (urls.hasMoreElements()) {
            URL url = urls.nextElement();
            if ("file".equals(url.getProtocol())) {
                try {
                    scanDirectory(Paths.get(url.toURI()), loader, base);
                } catch (URISyntaxException e) {
                    throw new IOException("bad classpath URL " + url, e);
                }
            } else if ("jar".equals(url.getProtocol())) {
                JarURLConnection conn = (JarURLConnection) url.openConnection();
                conn.setUseCaches(false);
                try (JarFile jar = conn.getJarFile()) {
                    String prefix = base.isEmpty() ? "" : base + "/";
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        JarEntry e = entries.nextElement();
                        if (!e.isDirectory() && e.getName().startsWith(prefix) && e.getName().endsWith(".sql")) {
                            scripts.putIfAbsent(e.getName().substring(prefix.length()), new Source(loader, e.getName(), null));
                        }
                    }
                }
            }
        }
    }

    private void scanDirectory(Path dir, ClassLoader loader, String classpathBase) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".sql")).sorted().forEach(p -> {
                String rel = normalize(dir.relativize(p).toString());
                Source s = loader == null ? new Source(null, null, p)
                        : new Source(loader, (classpathBase.isEmpty() ? "" : classpathBase + "/") + rel, null);
                scripts.putIfAbsent(rel, s);
            });
        }
    }
}

package dev.deployclaw.gates.core.dialect;

import java.util.Locale;

/** Formats milliseconds the way messages show them: {@code 380 ms}, {@code 1.84 s}, {@code 3 min 12 s}. */
public final class Durations {
    private Durations() {
    }

    public static String human(long ms) {
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }
}

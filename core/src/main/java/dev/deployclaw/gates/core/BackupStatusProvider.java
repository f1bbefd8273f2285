package dev.deployclaw.gates.core;

import java.time.Instant;
import java.util.Optional;

/**
 * SPI for an external backup catalogue (pgBackRest, Barman, a cloud snapshot API). The
 * {@code rollback-validation} gate asks it for the newest completed backup and blocks when that is older than
 * {@link AuditorConfig#maxBackupAge()}.
 */
@FunctionalInterface
public interface BackupStatusProvider {
    /**
     * @return when the newest completed backup of the database finished, or empty when none is known
     * @throws Exception when the catalogue cannot be read: the gate reports ERROR and blocks
     */
    Optional<Instant> lastCompletedBackup() throws Exception;

    /** A name for the report, e.g. "pgBackRest stanza main". */
    default String description() {
        String name = getClass().getSimpleName();
        return getClass().isSynthetic() || name.contains("$$Lambda") || name.isEmpty()
                ? "the configured BackupStatusProvider" : name;
    }
}

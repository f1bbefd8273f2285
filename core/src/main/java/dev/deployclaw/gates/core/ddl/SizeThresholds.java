package dev.deployclaw.gates.core.ddl;

/**
 * Where a table stops being small. A size-aware finding on a table at or above {@code blockRows} rows or
 * {@code blockBytes} bytes is BLOCK, at or above {@code warnRows} / {@code warnBytes} WARN, below both INFO.
 *
 * @param warnRows   default 10,000 rows
 * @param blockRows  default 1,000,000 rows
 * @param warnBytes  default 100 MiB
 * @param blockBytes default 1 GiB
 */
public record SizeThresholds(long warnRows, long blockRows, long warnBytes, long blockBytes) {
    public static final SizeThresholds DEFAULTS = new SizeThresholds(10_000, 1_000_000, 100L << 20, 1L << 30);

    public SizeThresholds {
        if (warnRows < 0 || blockRows < 0 || warnBytes < 0 || blockBytes < 0) {
            throw new IllegalArgumentException("size thresholds must not be negative, but were warnRows=" + warnRows
                    + ", blockRows=" + blockRows + ", warnBytes=" + warnBytes + ", blockBytes=" + blockBytes);
        }
        if (warnRows > blockRows || warnBytes > blockBytes) {
            throw new IllegalArgumentException("warn thresholds must not exceed block thresholds, but were warnRows="
                    + warnRows + " > blockRows=" + blockRows + " or warnBytes=" + warnBytes + " > blockBytes=" + blockBytes);
        }
    }

    /** The severity a table of this size earns on its own. */
    public Severity classify(TableSize size) {
        long rows = size.rows().orElse(-1);
        if (rows >= blockRows || size.bytes() >= blockBytes) {
            return Severity.BLOCK;
        }
        if (rows >= warnRows || size.bytes() >= warnBytes) {
            return Severity.WARN;
        }
        return Severity.INFO;
    }

    /** The limit that decided {@link #classify}, for messages. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "warn at %,d rows / %,d bytes, block at %,d rows / %,d bytes",
                warnRows, warnBytes, blockRows, blockBytes);
    }
}

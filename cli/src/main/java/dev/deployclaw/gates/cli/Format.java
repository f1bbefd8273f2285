package dev.deployclaw.gates.cli;

/** The {@code --format} values. */
enum Format {
    json,
    text
}

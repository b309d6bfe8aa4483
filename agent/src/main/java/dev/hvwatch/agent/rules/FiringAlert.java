package dev.hvwatch.agent.rules;

/**
 * One kind of alert firing now, as {@code hvwatch_alerts_firing{rule,severity,vm}} counts them: {@code vm} is the
 * VM's name, or "" for an alert about the host or a device.
 */
public record FiringAlert(String rule, String severity, String vm) {
}

package dev.hvwatch.protocol;

/** The VM an alert concerns, as the host sees it. */
public record VmRef(String name, String uuid, long pid) {
}

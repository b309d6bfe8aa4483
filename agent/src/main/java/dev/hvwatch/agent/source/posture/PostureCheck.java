package dev.hvwatch.agent.source.posture;

import java.util.List;

/**
 * One isolation concern (node_exporter's collector idea, for posture): it looks at the host and returns at most one
 * {@link Outcome} per subject — the host, or each VM — and none for a subject it does not apply to. Checks run on
 * the sampling thread; one that remembers earlier runs (configuration change) keeps that state itself.
 */
public interface PostureCheck {

    /** The {@code check} label and the {@code facts.check} of its findings: short, stable, lower case. */
    String id();

    /**
     * @param problems where an input this check could not read for one VM goes, so that the other VMs still get
     *                 their outcome; an input the whole check needs is thrown instead
     */
    List<Outcome> run(HostView host, Problems problems) throws UnreadableInput;
}

package dev.hvwatch.collector.output.format;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.VmRef;
import java.util.List;
import java.util.Map;

/**
 * An alert with its free text cut, for a format with a size limit that carries the alert whole (a syslog message
 * holding its JSON): what identifies it (id, agent, seq, host, time, rule) stays exact, every other string, in the
 * VM, the NIST items and the evidence at any depth, is cut to a given length and ends in {@link SafeText#CUT}.
 */
final class Shortened {
    private Shortened() {
    }

    @SuppressWarnings("unchecked")
    static Alert alert(Alert a, int max) {
        VmRef vm = a.vm() == null ? null : new VmRef(cut(a.vm().name(), max), cut(a.vm().uuid(), max), a.vm().pid(),
                cut(a.vm().instanceName(), max), cut(a.vm().project(), max), cut(a.vm().projectId(), max),
                cut(a.vm().user(), max), cut(a.vm().flavor(), max), cut(a.vm().manager(), max));
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), cut(a.title(), max), a.severity(),
                a.category(), a.state(), vm, a.vcpu(), cut(a.device(), max),
                (List<String>) BoundedJson.cutStrings(a.nist(), max),
                (Map<String, Object>) BoundedJson.cutStrings(a.evidence(), max), cut(a.message(), max), a.runbookUrl());
    }

    private static String cut(String value, int max) {
        return SafeText.cut(value, max);
    }
}

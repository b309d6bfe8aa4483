package dev.hvwatch.agent.source.posture;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A check with one outcome per VM, each VM looked at by itself. */
public interface GuestCheck extends PostureCheck {

    /** The VM's outcome, or empty when the check does not apply to it. */
    Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput;

    @Override
    default List<Outcome> run(HostView host, Problems problems) {
        List<Outcome> out = new ArrayList<>();
        for (Guest guest : host.guests()) {
            try {
                check(host, guest).ifPresent(out::add);
            } catch (UnreadableInput e) {
                if (Files.exists(guest.procDir())) { // a QEMU that exited meanwhile is no problem
                    problems.report(id(), e);
                }
            }
        }
        return out;
    }
}

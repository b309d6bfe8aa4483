package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.nativebind.Libvirt;

/**
 * libvirt's library as the agent uses it: loaded once, with libvirt's habit of printing every error to stderr turned
 * off (errors are read per call with {@link Libvirt#virGetLastErrorMessage} and reported once, by whoever called).
 */
final class LibvirtLibrary {
    private LibvirtLibrary() {
    }

    /** @throws LinkageError if libvirt.so.0 is not installed */
    static Libvirt load() {
        return Holder.LIBVIRT;
    }

    private static final class Holder {
        /** Held for the life of the process: libvirt keeps calling it. */
        private static final Libvirt.ErrorCallback QUIET = (userData, error) -> { };
        private static final Libvirt LIBVIRT = quiet(Libvirt.load());

        private static Libvirt quiet(Libvirt libvirt) {
            libvirt.virSetErrorFunc(null, QUIET);
            return libvirt;
        }
    }

    /** Versions are {@code major * 1,000,000 + minor * 1,000 + release}. */
    static String version(long encoded) {
        return encoded / 1_000_000 + "." + encoded / 1_000 % 1_000 + "." + encoded % 1_000;
    }
}

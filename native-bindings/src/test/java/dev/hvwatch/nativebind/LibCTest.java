package dev.hvwatch.nativebind;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LibCTest {
    private static final LibC LIBC = LibC.load();

    @Test
    void getpidAgreesWithTheJdk() {
        assertThat((long) LIBC.getpid()).isEqualTo(ProcessHandle.current().pid());
    }

    @Test
    void softFileLimitRoundTrips() {
        RLimit original = new RLimit(LibC.runtime());
        assertThat(LIBC.getrlimit(LibC.RLIMIT_NOFILE, original)).isZero();
        long soft = original.soft.get();
        long hard = original.hard.get();
        RLimit lowered = new RLimit(LibC.runtime());
        lowered.soft.set(soft - 1);
        lowered.hard.set(hard);
        try {
            assertThat(LIBC.setrlimit(LibC.RLIMIT_NOFILE, lowered)).isZero();
            RLimit read = new RLimit(LibC.runtime());
            assertThat(LIBC.getrlimit(LibC.RLIMIT_NOFILE, read)).isZero();
            assertThat(read.soft.get()).isEqualTo(soft - 1);
            assertThat(read.hard.get()).isEqualTo(hard);
        } finally {
            assertThat(LIBC.setrlimit(LibC.RLIMIT_NOFILE, original)).isZero();
        }
    }

    @Test
    void closingAClosedDescriptorFailsWithErrno() {
        assertThat(LIBC.close(-1)).isEqualTo(-1);
        assertThat(LIBC.strerror(LibC.errno())).isEqualTo("Bad file descriptor");
    }
}

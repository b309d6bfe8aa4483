package dev.hvwatch.nativebind;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LibCTest {

    @Test
    void getpidAgreesWithTheJdk() {
        assertThat((long) LibC.load().getpid()).isEqualTo(ProcessHandle.current().pid());
    }
}

package dev.hvwatch.testkit;

/**
 * Boot-sector programs for test guests. Full Linux guests do not boot under the nested KVM these tests
 * run on, and a boot sector needs no kernel, network or disk image download.
 */
public enum GuestProgram {
    /** cli; mov al,0x42; out 0x80,al; jmp back: every OUT is a userspace port-I/O exit (~60k/s). */
    IO_STORM(0xFA, 0xB0, 0x42, 0xE6, 0x80, 0xEB, 0xFA),
    /** cli; jmp $: burns a full host CPU without a single exit. */
    CPU_SPIN(0xFA, 0xEB, 0xFE),
    /** cli; hlt; jmp back: the vCPU halts, so the guest costs almost no host CPU. */
    IDLE(0xFA, 0xF4, 0xEB, 0xFD);

    static final int SECTOR_SIZE = 512;

    private final byte[] code;

    GuestProgram(int... code) {
        this.code = new byte[code.length];
        for (int i = 0; i < code.length; i++) {
            this.code[i] = (byte) code[i];
        }
    }

    /** The machine code alone, as loaded at 0x7C00. */
    public byte[] code() {
        return code.clone();
    }

    /** A 512-byte raw disk image that SeaBIOS accepts as bootable (signature 0x55 0xAA at 510). */
    public byte[] diskImage() {
        byte[] image = new byte[SECTOR_SIZE];
        System.arraycopy(code, 0, image, 0, code.length);
        image[510] = 0x55;
        image[511] = (byte) 0xAA;
        return image;
    }
}

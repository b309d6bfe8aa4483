package dev.hvwatch.nativebind;

import jnr.ffi.Pointer;

/**
 * A reusable view over the array {@link Libvirt#virConnectGetAllDomainStats} returns: {@code count} pointers to
 * {@code struct _virDomainStatsRecord {virDomainPtr dom; virTypedParameterPtr params; int nparams;}}.
 */
public final class DomainStatsRecords {
    private final int addressSize;
    private Pointer list;
    private int count;

    public DomainStatsRecords(int addressSize) {
        this.addressSize = addressSize;
    }

    public DomainStatsRecords reset(Pointer records, int count) {
        if (count < 0 || (count > 0 && records == null)) {
            throw new IllegalArgumentException("domain stats records: " + count + " at " + records);
        }
        this.list = records;
        this.count = count;
        return this;
    }

    public int count() {
        return count;
    }

    public Pointer domain(int i) {
        return record(i).getPointer(0);
    }

    /** The record's parameters; null when it has none. */
    public Pointer params(int i) {
        return record(i).getPointer(addressSize);
    }

    public int paramCount(int i) {
        return record(i).getInt(2L * addressSize);
    }

    private Pointer record(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("record " + i + " of " + count);
        }
        Pointer record = list.getPointer((long) i * addressSize);
        if (record == null) {
            throw new IllegalStateException("record " + i + " of " + count + " is NULL");
        }
        return record;
    }
}

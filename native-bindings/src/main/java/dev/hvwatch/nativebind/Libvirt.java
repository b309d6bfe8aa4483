package dev.hvwatch.nativebind;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.NativeLongByReference;
import jnr.ffi.byref.PointerByReference;

/**
 * The calls hvwatch makes to libvirt's C library ({@code libvirt.so.0}, present on every libvirt host), as declared in
 * {@code libvirt-host.h}, {@code libvirt-domain.h}, {@code libvirt-event.h} and {@code virterror.h}. The Java binding
 * {@code org.libvirt:libvirt} lacks the bulk statistics call ({@link #virConnectGetAllDomainStats}), which is the one
 * that makes a round over every domain a single RPC, so the few calls needed are bound here.
 *
 * <p>Pointers to libvirt objects ({@code virConnectPtr}, {@code virDomainPtr}) are opaque {@link Pointer}s. Calls that
 * fail return -1 or NULL; {@link #virGetLastErrorMessage} then says why, for the calling thread.
 */
public interface Libvirt {

    /** {@code virDomainStatsTypes}: the groups {@link #virConnectGetAllDomainStats} returns. */
    int STATS_STATE = 1;
    int STATS_CPU_TOTAL = 1 << 1;
    int STATS_BALLOON = 1 << 2;
    int STATS_VCPU = 1 << 3;
    int STATS_INTERFACE = 1 << 4;
    int STATS_BLOCK = 1 << 5;
    /** The KVM binary statistics of the VM and its vCPUs (libvirt 8.9 with QEMU 7.1 or later). */
    int STATS_VM = 1 << 10;

    /** {@code virConnectGetAllDomainStatsFlags}. */
    int GET_ALL_DOMAINS_STATS_ACTIVE = 1;
    /** Statistics that need the domain's monitor are left out, rather than waited for, while a job holds it. */
    int GET_ALL_DOMAINS_STATS_NOWAIT = 1 << 29;

    /** {@code virDomainMetadataType}, as {@link MetadataChangeCallback} reports it. */
    int DOMAIN_METADATA_DESCRIPTION = 0;
    int DOMAIN_METADATA_TITLE = 1;
    int DOMAIN_METADATA_ELEMENT = 2;

    /** {@code virDomainEventID}s hvwatch registers for. */
    int EVENT_ID_LIFECYCLE = 0;
    int EVENT_ID_REBOOT = 1;
    int EVENT_ID_BLOCK_JOB_2 = 16;
    int EVENT_ID_DEVICE_REMOVED = 15;
    int EVENT_ID_DEVICE_ADDED = 19;
    int EVENT_ID_JOB_COMPLETED = 21;
    int EVENT_ID_METADATA_CHANGE = 23;

    /** {@code VIR_UUID_BUFLEN} and {@code VIR_UUID_STRING_BUFLEN}. */
    int UUID_BUFLEN = 16;
    int UUID_STRING_BUFLEN = 37;

    /** {@code struct _virSecurityLabel}: {@code char label[VIR_SECURITY_LABEL_BUFLEN]; int enforcing;}. */
    int SECURITY_LABEL_BUFLEN = 4096 + 1;
    int SECURITY_LABEL_SIZE = 4104;

    Pointer virConnectOpenReadOnly(String uri);

    int virConnectClose(Pointer conn);

    /** 1 if the connection is alive, 0 if not, -1 on error. */
    int virConnectIsAlive(Pointer conn);

    /** libvirt's own version, {@code major * 1,000,000 + minor * 1,000 + release}. */
    int virConnectGetLibVersion(Pointer conn, @Out NativeLongByReference version);

    /** The hypervisor's version (QEMU's, for the qemu driver), encoded as {@link #virConnectGetLibVersion}. */
    int virConnectGetVersion(Pointer conn, @Out NativeLongByReference version);

    /** Keepalive messages every {@code interval} s; the connection closes after {@code count} unanswered ones. */
    int virConnectSetKeepAlive(Pointer conn, int interval, int count);

    /**
     * Statistics of every domain matching {@code flags}, in one call. {@code records} receives a NULL-terminated
     * array of {@code virDomainStatsRecordPtr} to give back with {@link #virDomainStatsRecordListFree}.
     *
     * @return the number of records, or -1
     */
    int virConnectGetAllDomainStats(Pointer conn, int stats, @Out PointerByReference records, int flags);

    void virDomainStatsRecordListFree(Pointer records);

    Pointer virDomainLookupByUUIDString(Pointer conn, String uuid);

    int virDomainFree(Pointer domain);

    /** The domain's name, owned by the domain object: valid until it is freed. */
    String virDomainGetName(Pointer domain);

    /** Fills {@code uuid} with the 16 raw bytes of the domain's UUID. */
    int virDomainGetUUID(Pointer domain, @Out byte[] uuid);

    /** Fills {@code uuid} with the NUL-terminated text form ({@link #UUID_STRING_BUFLEN} bytes). */
    int virDomainGetUUIDString(Pointer domain, @Out byte[] uuid);

    /**
     * The running domain's XML (flags 0: without secrets, which a read-only connection may not see anyway), as a
     * string the caller frees with {@link LibC#free}; NULL on error.
     */
    Pointer virDomainGetXMLDesc(Pointer domain, int flags);

    /** Fills a {@link #SECURITY_LABEL_SIZE}-byte {@code virSecurityLabel}. */
    int virDomainGetSecurityLabel(Pointer domain, Pointer securityLabel);

    /** {@code virErrorNumber}s callers tell apart. */
    int ERR_NO_DOMAIN = 42;

    /** The calling thread's last error, as one sentence; "no error" when there was none. */
    String virGetLastErrorMessage();

    /** The calling thread's last {@code virErrorNumber}, 0 when there was none. */
    int virGetLastErrorCode();

    /** Replaces the handler that prints every error to stderr; errors stay readable per thread. */
    void virSetErrorFunc(Pointer userData, ErrorCallback handler);

    /** Registers libvirt's own poll-based event loop; call once per process, before opening connections. */
    int virEventRegisterDefaultImpl();

    /** Runs one iteration of the default event loop: waits for and dispatches events. */
    int virEventRunDefaultImpl();

    /** A timer on the default loop; {@code frequency} 0 fires on the next iteration, -1 disables it. */
    int virEventAddTimeout(int frequency, TimeoutCallback callback, Pointer opaque, Pointer free);

    int virEventRemoveTimeout(int timer);

    int virConnectRegisterCloseCallback(Pointer conn, CloseCallback callback, Pointer opaque, Pointer free);

    int virConnectUnregisterCloseCallback(Pointer conn, CloseCallback callback);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer domain, int eventId, LifecycleCallback callback,
                                         Pointer opaque, Pointer free);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer domain, int eventId, GenericCallback callback,
                                         Pointer opaque, Pointer free);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer domain, int eventId, DeviceCallback callback,
                                         Pointer opaque, Pointer free);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer domain, int eventId, MetadataChangeCallback callback,
                                         Pointer opaque, Pointer free);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer domain, int eventId, JobCompletedCallback callback,
                                         Pointer opaque, Pointer free);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer domain, int eventId, BlockJobCallback callback,
                                         Pointer opaque, Pointer free);

    int virConnectDomainEventDeregisterAny(Pointer conn, int callbackId);

    /** {@code virErrorFunc}. */
    interface ErrorCallback {
        @Delegate
        void call(Pointer userData, Pointer error);
    }

    /** {@code virEventTimeoutCallback}. */
    interface TimeoutCallback {
        @Delegate
        void call(int timer, Pointer opaque);
    }

    /** {@code virConnectCloseFunc}; {@code reason} is a {@code virConnectCloseReason} (0 error, 1 EOF, 2 keepalive). */
    interface CloseCallback {
        @Delegate
        void call(Pointer conn, int reason, Pointer opaque);
    }

    /** {@code virConnectDomainEventCallback}: {@code event} is a {@code virDomainEventType}, {@code detail} its reason. */
    interface LifecycleCallback {
        @Delegate
        void call(Pointer conn, Pointer domain, int event, int detail, Pointer opaque);
    }

    /** {@code virConnectDomainEventGenericCallback} (reboot). */
    interface GenericCallback {
        @Delegate
        void call(Pointer conn, Pointer domain, Pointer opaque);
    }

    /** {@code virConnectDomainEventDeviceAddedCallback} and {@code …RemovedCallback}: the device's alias. */
    interface DeviceCallback {
        @Delegate
        void call(Pointer conn, Pointer domain, String deviceAlias, Pointer opaque);
    }

    /** {@code virConnectDomainEventMetadataChangeCallback}: {@code type} a {@code virDomainMetadataType}. */
    interface MetadataChangeCallback {
        @Delegate
        void call(Pointer conn, Pointer domain, int type, String namespaceUri, Pointer opaque);
    }

    /** {@code virConnectDomainEventJobCompletedCallback}: the job's statistics as typed parameters. */
    interface JobCompletedCallback {
        @Delegate
        void call(Pointer conn, Pointer domain, Pointer params, int nparams, Pointer opaque);
    }

    /** {@code virConnectDomainEventBlockJobCallback}: {@code type} a {@code virDomainBlockJobType}, {@code status} its end. */
    interface BlockJobCallback {
        @Delegate
        void call(Pointer conn, Pointer domain, String disk, int type, int status, Pointer opaque);
    }

    /**
     * The binding, loaded at first use. The soname is named, not {@code libvirt.so}: that link comes only with the
     * development package, which hypervisor hosts do not have.
     *
     * @throws UnsatisfiedLinkError if libvirt's library is not installed
     */
    static Libvirt load() {
        return Holder.INSTANCE;
    }

    static Runtime runtime() {
        return Runtime.getRuntime(Holder.INSTANCE);
    }

    final class Holder {
        private static final Libvirt INSTANCE = LibraryLoader.create(Libvirt.class).failImmediately()
                .load("libvirt.so.0");

        private Holder() {
        }
    }
}

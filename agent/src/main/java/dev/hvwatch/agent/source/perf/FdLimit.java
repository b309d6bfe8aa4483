package dev.hvwatch.agent.source.perf;

import dev.hvwatch.nativebind.LibC;
import dev.hvwatch.nativebind.RLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's open-file limit, which perf counting spends quickly: one descriptor per event per vCPU thread
 * (about 80 per vCPU for the exit reasons of a VMX host). The JVM raises the soft limit to the hard one at start
 * unless run with {@code -XX:-MaxFDLimit}; a launcher or service manager may still lower it, hence this.
 */
final class FdLimit {
    private static final Logger LOG = LoggerFactory.getLogger(FdLimit.class);

    private final LibC libc = LibC.load();

    /** Raises the soft limit to the hard limit; false when it already was there or the kernel refused. */
    boolean raiseSoftToHard() {
        RLimit limit = new RLimit(LibC.runtime());
        if (libc.getrlimit(LibC.RLIMIT_NOFILE, limit) != 0) {
            LOG.warn("getrlimit(RLIMIT_NOFILE) failed: {}", libc.strerror(LibC.errno()));
            return false;
        }
        long soft = limit.soft.get();
        long hard = limit.hard.get();
        if (Long.compareUnsigned(soft, hard) >= 0) {
            return false;
        }
        limit.soft.set(hard);
        if (libc.setrlimit(LibC.RLIMIT_NOFILE, limit) != 0) {
            LOG.warn("could not raise the open-file limit (RLIMIT_NOFILE) from {} to {}: {}", soft, show(hard),
                    libc.strerror(LibC.errno()));
            return false;
        }
        LOG.info("raised the open-file limit (RLIMIT_NOFILE) from {} to the hard limit {} for perf event descriptors",
                soft, show(hard));
        return true;
    }

    private static String show(long limit) {
        return limit == RLimit.INFINITY ? "unlimited" : Long.toString(limit);
    }
}

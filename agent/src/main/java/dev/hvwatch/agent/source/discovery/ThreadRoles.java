package dev.hvwatch.agent.source.discovery;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which of a QEMU's threads are its vCPUs, remembered per thread id so that a round reads the {@code comm} of new
 * threads only. QEMU names a thread from inside it, just after creating it: a thread still bearing the process's
 * own name (its main thread's, read each round, since {@code -name process=} renames it) may yet become a vCPU
 * and is looked at again each round; a thread named otherwise keeps its role. Discovery keeps one per watched VM,
 * and so does the CPU census, each on its own thread.
 */
public final class ThreadRoles {
    private final long pid;
    private final Map<Long, Integer> roles = new HashMap<>();
    private String processName;

    public ThreadRoles(long pid) {
        this.pid = pid;
    }

    /** What to do with a thread that is there but whose name cannot be read: fail the round, or count it. */
    @FunctionalInterface
    public interface Unreadable {
        Unreadable FAIL = (task, e) -> {
            throw e;
        };

        void thread(Path task, IOException e) throws IOException;
    }

    /**
     * vCPU index to thread id, from {@code pidDir/task}; the comm of threads not seen before is read. A thread whose
     * comm cannot be read is left out this time and looked at again next time.
     */
    public Map<Integer, Long> vcpuThreads(Path pidDir, Unreadable unreadable) throws IOException {
        Map<Integer, Long> threads = new HashMap<>();
        Set<Long> listed = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(pidDir.resolve("task"))) {
            for (Path task : tasks) {
                long tid = Long.parseLong(task.getFileName().toString());
                listed.add(tid);
                Integer role = roles.get(tid);
                if (role == null) {
                    try {
                        role = roleOf(tid, ProcFiles.comm(task));
                    } catch (NoSuchFileException e) {
                        continue;
                    } catch (IOException e) {
                        // A thread that ends between listing and reading answers ESRCH: QEMU's worker threads
                        // come and go, and one of them must not fail the round.
                        if (Files.exists(task)) {
                            unreadable.thread(task, e);
                        }
                        continue;
                    }
                }
                if (role >= 0) {
                    threads.put(role, tid);
                }
            }
        }
        roles.keySet().retainAll(listed);
        return threads;
    }

    private int roleOf(long tid, String comm) {
        int role = ProcFiles.vcpuIndex(comm);
        if (tid == pid) {
            processName = comm;
        } else if (role >= 0 || processName != null && !comm.equals(processName)) {
            roles.put(tid, role);
        }
        return role;
    }
}

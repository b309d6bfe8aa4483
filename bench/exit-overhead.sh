#!/usr/bin/env bash
# Measures what counting VM exits costs the agent: its CPU time per second while it watches one idle (halted) guest
# and while it watches one port-I/O storm guest (~10^5 exits/s), with and without the tracepoint and perf sources.
# The kernel counts the exits; the agent reads a few counters per vCPU per second, so the storm should cost the
# agent about what the idle guest does.
#   bench/exit-overhead.sh [SECONDS=30]
# This runs the agent's sampling path from the test classes, so that the guest can be isolated
# (dev.hvwatch.agent.source.ExitOverheadBench): discovery, schedstat, ring, metrics consumer, sampling every 1 s;
# "full" adds the tracepoint and perf sources. The agent is shown only the benchmark's guest. Needs root (perf
# events on QEMU's threads) and tracefs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
warmup=10
JAVA_OPTS="${JAVA_OPTS:--XX:+UseSerialGC -Xms16m -Xmx128m}"
work=$(mktemp -d /tmp/hvwatch-exit-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[[ -d /sys/kernel/tracing/events/kvm ]] || { echo "tracefs with kvm events is not at /sys/kernel/tracing" >&2; exit 2; }
# package, not install: the build tree is enough, and the shared ~/.m2 keeps its own snapshot.
mvn -B -q ${MVN_FLAGS:-} -pl agent -am package -DskipTests
cp="agent/target/hvwatch-agent.jar:agent/target/lib/*:agent/target/test-classes"

boot_image() { # $1 = machine code as printf escapes, $2 = image name
  head -c 512 /dev/zero > "$work/$2.img"
  printf "$1" | dd of="$work/$2.img" conv=notrunc status=none
  printf '\x55\xAA' | dd of="$work/$2.img" bs=1 seek=510 conv=notrunc status=none
}
boot_image '\xFA\xF4\xEB\xFD' idle                    # cli; hlt; jmp back
boot_image '\xFA\xB0\x42\xE6\x80\xEB\xFA' io          # cli; mov al,0x42; out 0x80,al; jmp back

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ c = substr($0, index($0, ")") + 2); split(c, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

measure() { # $1 = idle|io, $2 = base|full
  local guest agent before after pio
  qemu-system-x86_64 -accel kvm -m 32 -smp 1 -nodefaults -display none \
    -name "guest=exit-bench-$1,debug-threads=on" -drive "file=$work/$1.img,format=raw,if=ide,snapshot=on" \
    2>"$work/qemu-$1-$2.err" &
  guest=$!; pids+=("$guest")
  # The agent sees a proc root holding only this guest: guests of other users of the host stay out of the figures.
  mkdir -p "$work/proc-$1-$2"
  ln -s "/proc/$guest" "$work/proc-$1-$2/$guest"
  java $JAVA_OPTS -cp "$cp" dev.hvwatch.agent.source.ExitOverheadBench "$2" "$work/proc-$1-$2" \
    >"$work/agent-$1-$2.out" 2>&1 &
  agent=$!; pids+=("$agent")
  sleep "$warmup" # JIT, the guest's BIOS, first discovery rounds
  before=$(cpu_ticks "$agent")
  sleep "$seconds"
  after=$(cpu_ticks "$agent")
  # The exit rate the agent was watching, from the kernel's count (perf stat adds its own counters for 3 s).
  pio=$(perf stat -e kvm:kvm_pio -p "$guest" -x, -- sleep 3 2>&1 | awk -F, '$3 == "kvm:kvm_pio" { printf "%.0f", $1 / 3 }')
  kill -9 "$agent" "$guest"; wait "$agent" "$guest" 2>/dev/null || true
  pids=() # both are gone: their pids may be reused by the time the script exits
  local vms; vms=$(grep -c "VM found" "$work/agent-$1-$2.out" || true)
  local ms=$(( (after - before) * 1000 / ticks ))
  printf "%-5s %-4s guest pio %7s/s  VMs watched %s  agent cpu %5d ms in %d s = %6.2f ms/s\n" "$1" "$2" "$pio" \
    "$vms" "$ms" "$seconds" "$(awk -v m="$ms" -v s="$seconds" 'BEGIN { print m / s }')"
}

echo "window ${seconds}s after ${warmup}s warm-up, sampling every 1 s, JAVA_OPTS=$JAVA_OPTS"
for sources in base full; do
  for program in idle io; do
    measure "$program" "$sources"
  done
done

#!/usr/bin/env bash
# Measures the agent's own cost while it watches real QEMU/KVM guests: CPU time per sampling interval
# (utime+stime from /proc/PID/stat) and resident memory (VmRSS, VmHWM), over a measured window after warm-up.
#   bench/agent-overhead.sh [GUESTS=4] [SECONDS=60] [PROGRAM=spin|io|idle]
# Environment: WARMUP=seconds before the window (10); ATTRIBUTION=false runs the agent without naming who took the CPU
# (attribution.enabled), to measure what attribution costs while guests starve each other.
set -euo pipefail
cd "$(dirname "$0")/.."
guests="${1:-4}"; seconds="${2:-60}"; program="${3:-spin}"
interval_ms=1000
# The JVM settings the launcher uses (./hvwatch): a small heap for a small, steady working set.
JAVA_OPTS="${JAVA_OPTS:--XX:+UseSerialGC -Xms16m -Xmx128m}"
work=$(mktemp -d /tmp/hvwatch-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[[ -f demo/target/hvwatch-demo.jar ]] || mvn -B -q -DskipTests install

case "$program" in
  spin) code='\xFA\xEB\xFE' ;;            # cli; jmp $
  io)   code='\xFA\xB0\x42\xE6\x80\xEB\xFA' ;; # cli; mov al,0x42; out 0x80,al; jmp back
  idle) code='\xFA\xF4\xEB\xFD' ;;        # cli; hlt; jmp back
  *) echo "program must be spin, io or idle" >&2; exit 2 ;;
esac
img="$work/boot.img"
head -c 512 /dev/zero > "$img"
printf "$code" | dd of="$img" conv=notrunc status=none
printf '\x55\xAA' | dd of="$img" bs=1 seek=510 conv=notrunc status=none

for i in $(seq 1 "$guests"); do
  qemu-system-x86_64 -accel kvm -m 32 -smp 1 -nodefaults -display none \
    -name "guest=bench-$i,debug-threads=on" -uuid "$(cat /proc/sys/kernel/random/uuid)" \
    -drive "file=$img,format=raw,if=ide,snapshot=on" 2>"$work/qemu-$i.err" &
  pids+=($!)
done

cat > "$work/agent.yaml" <<YAML
sampling:
  interval: ${interval_ms}ms
metrics:
  listen: 127.0.0.1:0
attribution:
  enabled: ${ATTRIBUTION:-true}
YAML
java $JAVA_OPTS -jar demo/target/hvwatch-demo.jar --no-guests -c "$work/agent.yaml" --state-dir "$work/state" \
  >"$work/agent.out" 2>&1 &
agent=$!
pids+=("$agent")

sleep "${WARMUP:-10}" # warm-up: JIT, first discovery rounds (WARMUP=seconds to change)
ticks=$(getconf CLK_TCK)
cpu() { awk '{ c = substr($0, index($0, ")") + 2); split(c, f, " "); print f[12] + f[13] }' "/proc/$agent/stat"; }
before=$(cpu)
sleep "$seconds"
after=$(cpu)
rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$agent/status")
hwm_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$agent/status")
watched=$(grep -c "VM found" "$work/agent.out" || true)

cpu_ms=$(( (after - before) * 1000 / ticks ))
intervals=$(( seconds * 1000 / interval_ms ))
echo "guests=$guests program=$program watched=$watched window=${seconds}s interval=${interval_ms}ms"
echo "agent cpu: ${cpu_ms} ms over ${intervals} intervals = $(awk -v c="$cpu_ms" -v n="$intervals" 'BEGIN{printf "%.2f", c/n}') ms per interval ($(awk -v c="$cpu_ms" -v s="$seconds" 'BEGIN{printf "%.2f", c/s/10}')% of one CPU)"
echo "agent rss: $((rss_kib / 1024)) MiB (peak $((hwm_kib / 1024)) MiB)"
port=$(grep -o 'metrics on http://127.0.0.1:[0-9]*' "$work/agent.out" | grep -o '[0-9]*$' || true)
if [[ -n "$port" ]]; then
  echo "attribution censuses since start: $(curl -s "http://127.0.0.1:$port/metrics" \
    | awk '/^hvwatch_attribution_censuses_total/ {print $2}')"
fi

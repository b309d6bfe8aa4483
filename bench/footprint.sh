#!/usr/bin/env bash
# The agent's footprint beside the exporters an ops team already runs, measured side by side in one run: starts
# LIBVIRT_VMS idle libvirt domains (1 vCPU) and PLAIN_VMS idle plain QEMU guests (PLAIN_VCPUS vCPUs each, no QMP
# socket), a separate collector, each agent under test, and, installed from Debian, prometheus-libvirt-exporter and
# prometheus-node-exporter; every /metrics endpoint (agents' included) is scraped once a second, and
# `perf stat -I 1000` counts 5 kvm tracepoints of the libvirt guests. After WARMUP seconds it reads every process's
# utime+stime from /proc over WINDOW seconds and its VmRSS at the end, and prints CPU ms/s, RSS, the agents' ratios
# to the libvirt exporter, and each agent's CPU per thread (by thread name, digits folded).
#   bench/footprint.sh [LIBVIRT_VMS=3] [PLAIN_VMS=0] [PLAIN_VCPUS=2]
# Environment: WARMUP (60), WINDOW (60), SCRAPE (1: seconds between scrapes), SCRAPER (prometheus, the Debian
#   package, as ops run it: a keep-alive connection per target; or curl: a new connection per scrape),
#   AGENTS ("hvwatch=agent/target"): space-separated LABEL=DIR, DIR holding hvwatch-agent.jar and lib/; an agent runs
#   with DIR/jvm.options and MALLOC_ARENA_MAX=2 when there is one (what the launchers use), else with the
#   launchers' flags before issue 14 (-XX:+UseSerialGC -Xms16m -Xmx128m -XX:-UsePerfData) and glibc's default
#   arenas; AGENT_JAVA_OPTS is added after either. KEEP=DIR keeps every process's output and each agent's last
#   /metrics there.
# Needs root, KVM, QEMU, libvirtd (started if need be) and `scripts/install-deps bench`.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
libvirt_vms="${1:-3}"; plain_vms="${2:-0}"; plain_vcpus="${3:-2}"
warmup="${WARMUP:-60}"; window="${WINDOW:-60}"; scrape="${SCRAPE:-1}"; scraper="${SCRAPER:-prometheus}"
agents="${AGENTS:-hvwatch=agent/target}"
old_flags="-XX:+UseSerialGC -Xms16m -Xmx128m -XX:-UsePerfData"

for tool in prometheus-libvirt-exporter prometheus-node-exporter perf virsh curl "$scraper"; do
  command -v "$tool" >/dev/null || { echo "footprint: $tool is missing: scripts/install-deps bench" >&2; exit 2; }
done
[[ -f collector/target/hvwatch-collector.jar ]] || { echo "footprint: build first (./hvwatch build)" >&2; exit 2; }

work=$(mktemp -d /tmp/hvwatch-footprint.XXXXXX)
prefix="hvw-fp-$$-"
pids=()
domains=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Up to 15 s to end as a service manager would allow (a JVM may write a class-data archive as it exits).
  for _ in $(seq 1 30); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.5
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for d in "${domains[@]}"; do
    virsh -q -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
    virsh -q -c qemu:///system undefine "$d" >/dev/null 2>&1 || true
    rm -f "/var/lib/libvirt/images/$d.img"
  done
  wait 2>/dev/null || true
  if [[ -n "${KEEP:-}" ]]; then mkdir -p "$KEEP"; cp "$work"/*.out "$work"/*.metrics "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

virsh -c qemu:///system version >/dev/null 2>&1 || { virtlogd -d || true; libvirtd -d; sleep 2; }

# cli; hlt; jmp back: an idle vCPU (the test kit's GuestProgram.IDLE).
img="$work/idle.img"
head -c 512 /dev/zero > "$img"
printf '\xFA\xF4\xEB\xFD' | dd of="$img" conv=notrunc status=none
printf '\x55\xAA' | dd of="$img" bs=1 seek=510 conv=notrunc status=none

for i in $(seq 1 "$libvirt_vms"); do
  d="${prefix}lv-$i"
  cp "$img" "/var/lib/libvirt/images/$d.img"
  cat > "$work/$d.xml" <<XML
<domain type='kvm'><name>$d</name><memory unit='MiB'>32</memory><vcpu placement='static'>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>
<source file='/var/lib/libvirt/images/$d.img'/><target dev='hda' bus='ide'/></disk></devices></domain>
XML
  domains+=("$d")
  virsh -q -c qemu:///system define "$work/$d.xml" >/dev/null
  virsh -q -c qemu:///system start "$d" >/dev/null
done
qemu_pids=()
for d in "${domains[@]}"; do qemu_pids+=("$(cat "/run/libvirt/qemu/$d.pid")"); done
for i in $(seq 1 "$plain_vms"); do
  qemu-system-x86_64 -accel kvm -m 32 -smp "$plain_vcpus" -nodefaults -display none \
    -name "guest=${prefix}q-$i,debug-threads=on" -uuid "$(cat /proc/sys/kernel/random/uuid)" \
    -drive "file=$img,format=raw,if=ide,snapshot=on" 2>"$work/qemu-$i.err" &
  pids+=($!)
done

# A collector of its own, with a CA that certifies it and each agent.
collector() { java -XX:+UseSerialGC -Xmx128m -jar collector/target/hvwatch-collector.jar "$@"; }
collector certs ca --dir "$work/ca" --name "footprint CA" >/dev/null
collector certs issue-collector --dir "$work/ca" collector >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ingest=$(port)
cat > "$work/collector.yaml" <<YAML
listen: 127.0.0.1:$ingest
tls: {cert: $work/ca/collector.pem, key: $work/ca/collector-key.pem, ca: $work/ca/ca.pem}
journal: {dir: $work/journal}
api: {listen: 127.0.0.1:$(port)}
YAML
# exec: the pid kept is the collector's own, so that clean-up stops it.
(exec java -XX:+UseSerialGC -Xmx128m -jar collector/target/hvwatch-collector.jar run --config "$work/collector.yaml") \
  >"$work/collector.out" 2>&1 &
collector_pid=$!
pids+=("$collector_pid")

declare -A pid_of metrics_of
endpoints=()
for entry in $agents; do
  label="${entry%%=*}"; dir="${entry#*=}"
  collector certs issue-agent --dir "$work/ca" "$label" >/dev/null
  mport=$(port)
  cat > "$work/$label.yaml" <<YAML
identity: {host: $label}
sampling: {interval: 1s}
metrics: {listen: 127.0.0.1:$mport}
collector: {address: 127.0.0.1:$ingest, cert: $work/ca/$label.pem, key: $work/ca/$label-key.pem, ca: $work/ca/ca.pem}
state: {dir: $work/state-$label}
libvirt: {enabled: true}
YAML
  # With jvm.options, as the launchers run it: their flags and their MALLOC_ARENA_MAX.
  if [[ -f "$dir/jvm.options" ]]; then flags="@$dir/jvm.options"; arenas=2; else flags="$old_flags"; arenas=; fi
  # shellcheck disable=SC2086
  env ${arenas:+MALLOC_ARENA_MAX=$arenas} java $flags ${AGENT_JAVA_OPTS:-} -jar "$dir/hvwatch-agent.jar" run -c "$work/$label.yaml" >"$work/$label.out" 2>&1 &
  pid_of[$label]=$!
  pids+=($!)
  metrics_of[$label]="http://127.0.0.1:$mport/metrics"
  endpoints+=("${metrics_of[$label]}")
done

lport=$(port); nport=$(port)
prometheus-libvirt-exporter --web.listen-address="127.0.0.1:$lport" >"$work/libvirt-exporter.out" 2>&1 &
pid_of[libvirt-exporter]=$!; pids+=($!)
prometheus-node-exporter --web.listen-address="127.0.0.1:$nport" >"$work/node-exporter.out" 2>&1 &
pid_of[node-exporter]=$!; pids+=($!)
endpoints+=("http://127.0.0.1:$lport/metrics" "http://127.0.0.1:$nport/metrics")
perf stat -I 1000 -e kvm:kvm_exit,kvm:kvm_entry,kvm:kvm_pio,kvm:kvm_mmio,kvm:kvm_userspace_exit \
  --pid "$(IFS=,; echo "${qemu_pids[*]}")" -o "$work/perf.out" >/dev/null 2>&1 &
pid_of[perf-stat]=$!; pids+=($!)

# The scraper: every endpoint once per SCRAPE seconds. Prometheus (the Debian package) as ops run it: one
# keep-alive connection per target, gzip asked for; or curl, a new connection per scrape (SCRAPER=curl).
if [[ $scraper == prometheus ]]; then
  pport=$(port)
  { printf 'global: {scrape_interval: %ss, scrape_timeout: %ss}\nscrape_configs:\n' "$scrape" "$scrape"
    for e in "${endpoints[@]}"; do
      hostport="${e#http://}"; hostport="${hostport%%/*}"
      printf -- '- job_name: "%s"\n  static_configs: [{targets: ["%s"]}]\n' "$hostport" "$hostport"
    done; } > "$work/prometheus.yml"
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
    --web.listen-address="127.0.0.1:$pport" >"$work/prometheus.out" 2>&1 &
  pids+=($!)
else
  scrapes=$(( (warmup + window + 30) / scrape ))
  ( for _ in $(seq 1 "$scrapes"); do
      for e in "${endpoints[@]}"; do curl -s -o /dev/null --max-time 5 "$e" || true; done
      sleep "$scrape"
    done ) &
  pids+=($!)
fi

sleep "$warmup"
for label in "${!pid_of[@]}"; do
  kill -0 "${pid_of[$label]}" 2>/dev/null || { echo "footprint: $label died; its output:" >&2; cat "$work/$label.out" >&2; exit 1; }
done
# utime+stime in clock ticks: of a process, and of each of its threads keyed by "tid name".
cpu_of() { awk '{ c = substr($0, index($0, ")") + 2); split(c, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
threads_of() {
  for t in /proc/"$1"/task/*; do
    awk -v tid="${t##*/}" '{ n = substr($0, index($0, "(") + 1); n = substr(n, 1, index(n, ")") - 1);
      c = substr($0, index($0, ")") + 2); split(c, f, " "); gsub(/ /, "_", n); print tid, n, f[12] + f[13] }' "$t/stat" \
      2>/dev/null || true
  done
}
declare -A before
for label in "${!pid_of[@]}"; do before[$label]=$(cpu_of "${pid_of[$label]}"); done
for entry in $agents; do label="${entry%%=*}"; threads_of "${pid_of[$label]}" > "$work/threads-$label.0"; done
sleep "$window"
ticks=$(getconf CLK_TCK)
printf '%s LIBVIRT_VMS=%s PLAIN_VMS=%s PLAIN_VCPUS=%s: %s vCPUs; warm-up %ss, window %ss, scrape every %ss by %s\n' \
  "$(date -u +%FT%TZ)" "$libvirt_vms" "$plain_vms" "$plain_vcpus" $((libvirt_vms + plain_vms * plain_vcpus)) \
  "$warmup" "$window" "$scrape" "$scraper"
if [[ $scraper == prometheus ]]; then
  # Every target's last scrape, as Prometheus saw it: a target it could not scrape is not measured as scraped.
  curl -s "http://127.0.0.1:$pport/api/v1/targets" | python3 -c 'import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    print("  scraped by prometheus: %-22s %s, last scrape %.2f ms%s" % (t["scrapeUrl"].split("/")[2], t["health"],
          t["lastScrapeDuration"] * 1000, (": " + t["lastError"]) if t["lastError"] else ""))'
fi
printf '%-18s %10s %8s %s\n' process "CPU ms/s" "RSS MiB" "vs libvirt-exporter"
declare -A ms
for label in "${!pid_of[@]}"; do
  after=$(cpu_of "${pid_of[$label]}")
  ms[$label]=$(awk -v a="$after" -v b="${before[$label]}" -v t="$ticks" -v w="$window" 'BEGIN{printf "%.2f", (a-b)*1000/t/w}')
done
exporter="${ms[libvirt-exporter]}"
for label in $(for l in "${!pid_of[@]}"; do echo "$l"; done | sort); do
  rss=$(awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/${pid_of[$label]}/status")
  ratio=$(awk -v a="${ms[$label]}" -v e="$exporter" 'BEGIN{ if (e > 0) printf "%.2f x", a/e; else print "-" }')
  printf '%-18s %10s %8s %s\n' "$label" "${ms[$label]}" "$rss" "$ratio"
done
for entry in $agents; do
  label="${entry%%=*}"
  threads_of "${pid_of[$label]}" > "$work/threads-$label.1"
  echo "threads of $label (CPU ms/s over the window; digits in names folded to #):"
  awk -v t="$ticks" -v w="$window" 'NR == FNR { b[$1] = $3; next }
    { name = $2; gsub(/[0-9]+/, "#", name); d = $3 - ($1 in b ? b[$1] : 0); sum[name] += d; n[name]++ }
    END { for (k in sum) if (sum[k] > 0) printf "  %-22s %3d threads %8.2f\n", k, n[k], sum[k]*1000/t/w }' \
    "$work/threads-$label.0" "$work/threads-$label.1" | sort -k4 -rn
  curl -s "${metrics_of[$label]}" > "$work/$label.metrics"
  printf '  VMs watched: %s of %s; series: %s; alerts raised: %s; spooled, unacknowledged: %s; events dropped: %s\n' \
    "$(grep -c '^hvwatch_vm_info' "$work/$label.metrics")" $((libvirt_vms + plain_vms)) "$(grep -vc '^#' "$work/$label.metrics")" \
    "$(awk '/^hvwatch_alerts_total/ {s += $2} END {print s + 0}' "$work/$label.metrics")" \
    "$(awk '/^hvwatch_spool_pending_alerts/ {print $2}' "$work/$label.metrics")" \
    "$(awk '/^hvwatch_events_dropped_total/ {s += $2} END {print s + 0}' "$work/$label.metrics")"
  # The JVM's compiled code: a code cache near its reserved size means the sweeper flushes and C1 recompiles.
  awk '/^jvm_memory_(used|max)_bytes\{.*id="CodeCache"/ { split($1, n, "_"); v[n[3]] = $2 / 1048576 }
    END { if ("used" in v) printf "  code cache: %.1f of %.0f MiB\n", v["used"], v["max"] }' "$work/$label.metrics"
  # Where the sampling thread's time goes, for agents that say (hvwatch_source_duration_seconds).
  awk -F'[{}" ]+' '/^hvwatch_source_duration_seconds\{/ { printf "    %-14s %7.2f ms\n", $3, $NF * 1000 }' \
    "$work/$label.metrics" | sort -k2 -rn | sed '1s/^/  last round by source:\n/'
done

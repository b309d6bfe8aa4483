#!/usr/bin/env bash
# What one round of KVM statistics costs through libvirt's bulk call (virConnectGetAllDomainStats, the libvirt
# source's) and through QMP (the QMP source's query-stats per VM), for the same number of idle guests: first as
# libvirt domains, then as plain QEMU guests with QMP sockets, one round a second. Prints, per path, the round's wall
# time (median, 90th percentile) and the CPU spent per round by hvwatch's thread, by libvirtd, and by the QEMU
# processes answering their monitors.
#   bench/kvm-stats.sh [GUESTS=3] [ROUNDS=30]
# Needs root (libvirtd, which it starts if need be), KVM and QEMU.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
exec bench/run-test-class.sh agent dev.hvwatch.agent.source.libvirt.KvmStatsRoundBench "${1:-3}" "${2:-30}"

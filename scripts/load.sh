#!/usr/bin/env bash
# Load figures of DESIGN §9, measured in one run on this machine:
#   1. /readiness (cached results) throughput as a ratio of a bare axum handler returning a body of
#      the same size, same process;
#   2. RSS growth of the process over REQUESTS requests to /readiness (target < 5 MiB);
#   3. /readiness latency while a check hangs (target ≤ 1 s), against the example service.
# Needs wrk (Debian package `wrk`; installed when missing and running as root).
# Usage: scripts/load.sh [DURATION_SECONDS=10] [REQUESTS=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
requests=${2:-1000000}
connections=64
threads=2

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; else echo "wrk is required" >&2; exit 1; fi
fi

cargo build --release -q -p bench-server
out=$(mktemp)
target/release/bench-server >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$out" | head -n 1)

rps() { wrk -t"$threads" -c"$connections" -d"${duration}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

# Warm up both, then alternate to spread any drift over both.
wrk -t1 -c8 -d2s "$base/bare" >/dev/null; wrk -t1 -c8 -d2s "$base/readiness" >/dev/null
bare1=$(rps "$base/bare"); ready1=$(rps "$base/readiness")
bare2=$(rps "$base/bare"); ready2=$(rps "$base/readiness")
bare=$(echo "($bare1 + $bare2) / 2" | bc -l); ready=$(echo "($ready1 + $ready2) / 2" | bc -l)
printf 'bare handler      %10.0f req/s\n' "$bare"
printf '/readiness cached %10.0f req/s\n' "$ready"
printf 'ratio             %10.3f (target >= 0.90)\n' "$(echo "$ready / $bare" | bc -l)"

# RSS over many requests: a fixed request count, bounded in time by wrk's own duration.
rss_before=$(rss_kib)
per_second=$(printf '%.0f' "$ready")
seconds=$(( requests / (per_second > 0 ? per_second : 1) + 1 ))
wrk -t"$threads" -c"$connections" -d"${seconds}s" "$base/readiness" | awk '/requests in/ {print "served", $1, "requests for the RSS figure"}'
rss_after=$(rss_kib)
printf 'RSS before %d KiB, after %d KiB, growth %d KiB (target < 5120)\n' "$rss_before" "$rss_after" $((rss_after - rss_before))

# A hanging check: every answer still comes within the report deadline (900 ms by default).
wrk -t1 -c4 -d5s --timeout 5s --latency "$base/hang/readiness" \
  | awk '/Latency/ && !/Distribution/ {print "hanging check: mean latency", $2, "max", $4, "(target <= 1s)"} /Non-2xx/ {print "hanging check:", $0}'

#!/usr/bin/env bash
# Load figures of DESIGN §9, measured in one run on this machine:
#   1. /readiness (ten checks at the default TTL of 1 s) throughput as a ratio of a bare axum
#      handler returning a body of the same size, same process and server (target >= 0.95), and
#      its p99 latency against the bare handler's (target <= 1.2x);
#   2. RSS growth of the process over REQUESTS requests to /readiness (target < 5 MiB);
#   3. /readiness latency while a check hangs (target ≤ 1 s), against the example service.
# Needs wrk (Debian package `wrk`; installed when missing and running as root).
# Usage: scripts/load.sh [DURATION_SECONDS=10] [REQUESTS=1000000] [ROUNDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
requests=${2:-1000000}
rounds=${3:-5}
case "$duration$requests$rounds" in *[!0-9]*) echo "usage: $0 [DURATION_SECONDS] [REQUESTS] [ROUNDS], whole numbers" >&2; exit 2 ;; esac
if [ "$rounds" -lt 1 ] || [ "$duration" -lt 1 ]; then echo "DURATION_SECONDS and ROUNDS must be at least 1" >&2; exit 2; fi
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

# Requests per second and p99 latency (in microseconds) of one wrk run.
measure() {
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$1" | awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000; return v }
    /Requests\/sec/ {rps = $2} /^ *99%/ {p99 = us($2)} END {print rps, p99}'
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

# Warm up both, then alternate ROUNDS times to spread any drift over both; the figure is the
# ratio of the summed rates, and each round's own ratio is printed to show the spread.
wrk -t1 -c8 -d2s "$base/bare" >/dev/null; wrk -t1 -c8 -d2s "$base/readiness" >/dev/null
bare=0; ready=0; bare_p99=0; ready_p99=0; each=()
for _ in $(seq 1 "$rounds"); do
  read -r bare_rps bare_p99_round <<<"$(measure "$base/bare")"
  read -r ready_rps ready_p99_round <<<"$(measure "$base/readiness")"
  bare=$(echo "$bare + $bare_rps / $rounds" | bc -l); ready=$(echo "$ready + $ready_rps / $rounds" | bc -l)
  bare_p99=$(echo "$bare_p99 + $bare_p99_round / $rounds" | bc -l)
  ready_p99=$(echo "$ready_p99 + $ready_p99_round / $rounds" | bc -l)
  each+=("$(printf '%.3f' "$(echo "$ready_rps / $bare_rps" | bc -l)")")
done
printf 'bare handler            %10.0f req/s, p99 %8.0f us\n' "$bare" "$bare_p99"
printf '/readiness (TTL 1 s)    %10.0f req/s, p99 %8.0f us\n' "$ready" "$ready_p99"
printf 'throughput ratio        %10.3f (target >= 0.95; rounds %s)\n' "$(echo "$ready / $bare" | bc -l)" "${each[*]}"
printf 'p99 ratio               %10.3f (target <= 1.2)\n' "$(echo "$ready_p99 / $bare_p99" | bc -l)"

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

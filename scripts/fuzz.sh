#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/, cargo-fuzz and libFuzzer) for a bounded time,
# starting from its committed seeds (fuzz/corpus/<target>/), and fails on any crash, panic,
# failed assertion, timeout or memory blow-up. TESTING.md, "Fuzzing", says how a crash becomes a
# regression test.
#
#   bash scripts/fuzz.sh [seconds-per-target] [target...]     (default: 20 s, every target)
#
# FUZZ_SANITIZER=none builds without AddressSanitizer (the default is `address`).
# The one stable toolchain takes cargo-fuzz's nightly flags (`-Zsanitizer=address`, the
# sanitizer-coverage passes) with RUSTC_BOOTSTRAP=1; no nightly toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2; exit 2 ;;
esac

CARGO_FUZZ_VERSION=0.13.2
export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

# Debug assertions and overflow checks on; 16 codegen units rather than cargo-fuzz's one, and
# the dependencies that no input reaches unoptimised (fuzz/Cargo.toml): a cold build takes
# about 2 minutes on 2 cores instead of 6, and the targets run at most of their full speed.
flags=(--debug-assertions --sanitizer "$sanitizer" --codegen-units 16)
start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - start)) s (sanitizer: $sanitizer)"

# What a run finds goes to a scratch corpus (read with the committed seeds, written alone), so
# a run leaves fuzz/corpus/ as it was; crashes go to fuzz/artifacts/<target>/.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target" "fuzz/corpus/$target"
  echo "fuzz: $target for ${seconds} s"
  if ! cargo fuzz run "${flags[@]}" "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    >"$scratch/$target.log" 2>&1; then
    failed+=("$target")
    tail -n 60 "$scratch/$target.log" >&2
  else
    grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$scratch/$target.log" | tr '\n' ' ' || true
    echo
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}: inputs in fuzz/artifacts/; reproduce with" >&2
  echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} <target> fuzz/artifacts/<target>/<crash>" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no crash ($((SECONDS - start)) s in all)"

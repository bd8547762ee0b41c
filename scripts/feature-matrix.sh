#!/usr/bin/env bash
# Every feature of each published crate builds on its own: `cargo check` of each library with no
# default features, then with each feature alone (what cargo-hack's `--each-feature` does,
# without installing it). Features are read from `cargo metadata`, so a new one is covered.
set -euo pipefail
cd "$(dirname "$0")/.."

matrix=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    if package.get("publish") == []:
        continue  # examples and the end-to-end tests: built by the test command
    features = sorted(name for name in package["features"] if name != "default")
    # A library is checked as one; a command-line crate (readiness-cli) has only binaries.
    kinds = {kind for target in package["targets"] for kind in target["kind"]}
    targets = "--lib" if kinds & {"lib", "proc-macro"} else "--bins"
    print(package["name"], targets, *features)
')

# A warning in one combination (an import only another feature uses) fails the matrix too;
# it is read from cargo's output rather than set with RUSTFLAGS, which would rebuild every
# dependency under other flags.
check() {
  echo "feature-matrix: $*"
  local log
  log=$(cargo check --color never -p "$@" 2>&1) || { printf '%s\n' "$log"; return 1; }
  if grep -q '^warning' <<< "$log"; then
    printf '%s\n' "$log"
    echo "feature-matrix: warnings with $*" >&2
    return 1
  fi
}

while read -r package targets features; do
  check "$package" "$targets" --no-default-features
  for feature in $features; do
    check "$package" "$targets" --no-default-features --features "$feature"
  done
done <<< "$matrix"
echo "feature-matrix: every feature of every crate builds on its own"

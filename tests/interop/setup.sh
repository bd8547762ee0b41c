#!/usr/bin/env bash
# Installs the independent judges of the interop tests (DESIGN §10), each idempotently:
# - target/interop-venv, a Python venv from PyPI: compliance-trestle (OSCAL), securesystemslib (DSSE);
# - tests/interop/node_modules from the npm registry (package-lock.json): playwright-core, axe-core,
#   @kubernetes-models/prometheus-operator and yaml (crd_validate.mjs);
# - Debian's Chromium (/usr/bin/chromium), which axe-core runs in, when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/interop-venv
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s tests/interop/requirements.txt "$stamp"; then
  echo "interop: $venv is up to date"
else
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  cp tests/interop/requirements.txt "$stamp"
  echo "interop: installed $(grep -v '^#' tests/interop/requirements.txt | tr '\n' ' ')"
fi

lock_stamp=tests/interop/node_modules/.package-lock.json
if [ -f "$lock_stamp" ] && [ tests/interop/package-lock.json -ot "$lock_stamp" ]; then
  echo "interop: tests/interop/node_modules is up to date"
else
  (cd tests/interop && npm ci --no-audit --no-fund --silent)
  echo "interop: installed playwright-core, axe-core and the prometheus-operator CRD schemas"
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "interop: Chromium is missing and cannot be installed here (not root, or no apt-get)" >&2
    exit 1
  fi
fi
echo "interop: $(chromium --version 2>/dev/null | head -n 1)"

#!/usr/bin/env bash
# Installs the independent judges of the interop tests into target/interop-venv (a Python venv
# from PyPI): compliance-trestle for OSCAL, securesystemslib for DSSE. Idempotent: a venv whose
# requirements are unchanged is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/interop-venv
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s tests/interop/requirements.txt "$stamp"; then
  echo "interop: $venv is up to date"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
cp tests/interop/requirements.txt "$stamp"
echo "interop: installed $(grep -v '^#' tests/interop/requirements.txt | tr '\n' ' ')"

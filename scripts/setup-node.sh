#!/usr/bin/env bash
# The enclosure firmware's test interpreter: MicroPython's webassembly port from npm, at the
# version pinned in firmware/enclosure/package-lock.json, installed with `npm ci` (exactly
# the lock file's package and hash). Node itself comes from scripts/setup-system.sh.
set -euo pipefail
cd "$(dirname "$0")/../firmware/enclosure"
if ! command -v npm >/dev/null; then
    echo "npm is missing: run scripts/setup-system.sh (Debian's nodejs and npm)" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.installed

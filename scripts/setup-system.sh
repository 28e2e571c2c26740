#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the project needs, only those missing.
# python3-venv: the virtual environment; zbar-tools: zbarimg decodes printed QR codes in
# tests; fonts-dejavu-core: Kyrgyz and Kazakh Cyrillic on screens and printouts;
# openssl and jq: the stock tools every signature and log is checked with; mdbtools and
# libsodium-dev below.
set -euo pipefail
need=()
command -v zbarimg >/dev/null || need+=(zbar-tools)
command -v openssl >/dev/null || need+=(openssl)
command -v jq >/dev/null || need+=(jq)
# mdbtools: host_tools voterlist reads the CEC's MS Access (.mdb) voter lists with it.
command -v mdb-export >/dev/null || need+=(mdbtools)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# nodejs and npm: the enclosure controller's MicroPython runs under Node in tests and the
# simulator (firmware/enclosure/run.mjs; the npm package by scripts/setup-node.sh).
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
# libsodium-dev: the Bookworm test venv builds PyNaCl 1.5.0 on the system libsodium.
[ -f /usr/include/sodium.h ] || need+=(libsodium-dev)
# sqlite3: tests read the results database with the stock shell; chromium: the auditors'
# report is rendered headless in a test.
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v chromium >/dev/null || need+=(chromium)
# espeak-ng: the audio ballot's voices (ky, kk, ru, en), rendered once at setup; sox: tests
# measure the clips the simulated audio device played.
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"

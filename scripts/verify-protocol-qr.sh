#!/bin/sh
# Check a printed Tamga results protocol from a scan or photo, with stock tools only
# (zbarimg, sort, awk, cut, tr, openssl). These are the commands of docs/verify-by-hand.md,
# in the same order; tests/test_printouts.py runs this script on a rendered protocol.
#
#   scripts/verify-protocol-qr.sh PROTOCOL.png package/terminals/<terminal id>.pub.pem [OUT_DIR]
#
# Leaves parts.txt, joined.txt, protocol.json and protocol.json.sig in OUT_DIR (default: the
# current directory) and prints openssl's verdict; exits non-zero when a part is missing or
# the signature does not verify.
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 PROTOCOL.png TERMINAL.pub.pem [OUT_DIR]" >&2
    exit 2
fi
# The commands below run inside OUT_DIR, so relative paths are made absolute first.
case $1 in /*) png=$1 ;; *) png=$PWD/$1 ;; esac
case $2 in /*) key=$2 ;; *) key=$PWD/$2 ;; esac
out=${3:-.}
mkdir -p "$out"
cd "$out"

# 1. Read every QR code on the picture (QR only: text must not pass for a barcode);
#    one part a line, TP1:<i>:<n>:<tag>:<chunk>.
if ! zbarimg -q --raw -Sdisable -Sqrcode.enable "$png" > parts.txt; then
    echo "no QR code could be read from $png" >&2
    exit 1
fi

# 2. Drop codes read twice, put the parts in order of <i>, and check that parts 1..n are
#    all there and carry the same <n> and <tag> (they belong to one protocol).
sort -u parts.txt | sort -t: -k2,2n > sorted.txt
mv sorted.txt parts.txt
awk -F: '
    NR == 1 { n = $3; tag = $4 }
    $1 != "TP1" || $2 != NR || $3 != n || $4 != tag { bad = 1 }
    END { if (bad || NR != n) { print "QR parts missing, repeated or mixed" > "/dev/stderr"; exit 1 } }
' parts.txt

# 3. Join the chunks: base64(protocol.json) "." base64(signature).
cut -d: -f5- parts.txt | tr -d '\n' > joined.txt

# 4. Decode both halves.
cut -d. -f1 joined.txt | openssl base64 -d -A > protocol.json
cut -d. -f2 joined.txt | openssl base64 -d -A > protocol.json.sig

# 5. Check the terminal's signature with the key from the signed election package.
openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in protocol.json -sigfile protocol.json.sig

#!/bin/sh
# Check an exported Tamga results bundle with stock tools only (openssl, jq, sha256sum, find,
# sed, od). These are the commands of docs/verify-by-hand.md, section 2, in the same order;
# tests/test_host_tools.py runs this script on bundles, honest and forged.
#
#   scripts/verify-bundle.sh BUNDLE_DIR package/terminals/<terminal id>.pub.pem
#
# Prints one line a step and exits non-zero at the first check that fails.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 BUNDLE_DIR TERMINAL.pub.pem" >&2
    exit 2
fi
case $2 in /*) KEY=$2 ;; *) KEY=$PWD/$2 ;; esac
cd "$1"

fail() {
    echo "FAIL $*" >&2
    exit 1
}
verify() {
    openssl pkeyutl -verify -pubin -inkey "$KEY" -rawin -in "$1" -sigfile "$1.sig" > /dev/null \
        || fail "$1: the signature does not verify"
}

# 1. The manifest: signed, a bundle manifest, every listed file as listed, nothing else, and
#    nothing but plain files and directories.
verify manifest.json
[ "$(jq -r .format manifest.json)" = "tamga-bundle/1" ] || fail "manifest.json: not a bundle manifest"
jq -r '.files | to_entries[] | "\(.value)  \(.key)"' manifest.json | sha256sum -c --quiet - \
    || fail "a file differs from the manifest"
[ -z "$(find . ! -type f ! -type d)" ] || fail "links, pipes or device files: $(find . ! -type f ! -type d)"
listed=$(jq -r '.files | keys[]' manifest.json | sort)
present=$(find . -type f ! -name 'manifest.json*' | sed 's|^\./||' | sort)
[ "$listed" = "$present" ] || fail "files that the manifest does not list, or listed files missing"
echo "manifest: OK"

# 2. Every signed file verifies, and says inside its signed bytes what it is.
verify protocol.json
[ "$(jq -r .format protocol.json)" = "tamga-protocol/1" ] || fail "protocol.json: not a protocol"
verify ballots.commitment.json
[ "$(jq -r .format ballots.commitment.json)" = "tamga-ballot-commitment/1" ] \
    || fail "ballots.commitment.json: not a ballot commitment"
for reason in open close export; do
    verify "checkpoints/$reason.txt"
    [ "$(sed -n 4p "checkpoints/$reason.txt")" = "tamga-checkpoint/1 $reason" ] \
        || fail "checkpoints/$reason.txt: not the $reason checkpoint"
done
echo "signatures and kinds: OK"

# 3. The event log is one unbroken chain, its last record whole.
[ -z "$(tail -c 1 events.jsonl)" ] || fail "events.jsonl: the last record is incomplete"
prev=0000000000000000000000000000000000000000000000000000000000000000
n=0
while IFS= read -r line; do
    if [ "$(printf '%s' "$line" | jq -j '.seq, " ", .prev')" != "$n $prev" ]; then
        fail "events.jsonl line $((n + 1)): the chain is broken"
    fi
    prev=$(printf '%s' "$line" | sha256sum | cut -d' ' -f1)
    n=$((n + 1))
done < events.jsonl
echo "events.jsonl: $n records, chain intact"

# 4. The checkpoints pin the log; the export checkpoint covers every record; the protocol
#    names the close checkpoint.
for cp in checkpoints/*.txt; do
    size=$(sed -n 2p "$cp")
    want=$(sed -n 3p "$cp")
    got=$(sed -n "${size}p" events.jsonl | tr -d '\n' | openssl dgst -sha256 -binary | openssl base64 -A)
    [ "$got" = "$want" ] || fail "$cp: the log does not extend it"
done
[ "$(sed -n 2p checkpoints/export.txt)" = "$n" ] \
    || fail "events.jsonl: $n records, the export checkpoint covers $(sed -n 2p checkpoints/export.txt)"
close_head=$(sed -n 3p checkpoints/close.txt | openssl base64 -d -A | od -An -tx1 | tr -d ' \n')
[ "$(jq -r '.log.size, .log.head' protocol.json | tr '\n' ' ')" = "$(sed -n 2p checkpoints/close.txt) $close_head " ] \
    || fail "protocol.json: its log size and head are not the close checkpoint's"
echo "checkpoints: OK"

# 5. The log says which protocol was signed after the close: this one.
close_size=$(sed -n 2p checkpoints/close.txt)
logged=$(tail -n "+$((close_size + 1))" events.jsonl | jq -r 'select(.kind == "protocol_signed") | .data.protocol_sha256' | tail -n 1)
[ "$logged" = "$(sha256sum protocol.json | cut -d' ' -f1)" ] \
    || fail "protocol.json: not the protocol the log records signing ($logged)"
echo "protocol_signed: OK"

# 6. The ballots are the ones the protocol counted, each a sealed ballot record.
[ "$(jq -r .ballot_box.commitment_sha256 protocol.json)" = "$(sha256sum ballots.commitment.json | cut -d' ' -f1)" ] \
    || fail "protocol.json: names another ballot commitment"
[ "$(jq -r .sha256 ballots.commitment.json)" = "$(sha256sum ballots.bin | cut -d' ' -f1)" ] \
    || fail "ballots.bin: differs from the commitment"
size=$(jq .record_size ballots.commitment.json)
count=$(( $(wc -c < ballots.bin) / size ))
[ "$count" = "$(jq .count ballots.commitment.json)" ] && [ "$count" = "$(jq .lines.ballots_cast protocol.json)" ] \
    || fail "ballots.bin: $count records, not the committed and cast count"
i=0
while [ "$i" -lt "$count" ]; do
    magic=$(tail -c "+$((i * size + 1))" ballots.bin | head -c 5 | od -An -c | tr -d ' \n')
    case $magic in TMGB001 | TMGB002) ;; *) fail "ballots.bin record $i: not a sealed ballot" ;; esac
    i=$((i + 1))
done
echo "ballots: $count sealed ballot records, as committed and counted"

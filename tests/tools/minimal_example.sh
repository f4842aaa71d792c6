#!/usr/bin/env bash
# examples/minimal against the emulator: starts llmcap-emulator on a free loopback port (at 50
# times real speed), runs llmcap-minimal on its URL, and checks the exit status and the line it
# prints; without a URL it must exit 2 with its usage. The README shows the program: its first
# C++ block after the line naming examples/minimal/main.cpp must be that file, unchanged.
#   minimal_example.sh LLMCAP_MINIMAL LLMCAP_EMULATOR WORK_DIR SOURCE_DIR
set -uo pipefail
minimal=$1 emulator=$2 work=$3 source=$4
rm -rf "$work" && mkdir -p "$work"

awk '/examples\/minimal\/main\.cpp/ { named = 1 }
     named && /^```$/ && inside { exit }
     inside { print }
     named && /^```cpp$/ { inside = 1 }' "$source/README.md" >"$work/readme-program.cpp"
if ! diff -u "$source/examples/minimal/main.cpp" "$work/readme-program.cpp"; then
    echo "FAILED: README.md does not show examples/minimal/main.cpp as it is (diff above)"
    exit 1
fi

pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null' EXIT

out=$("$minimal" 2>&1)
rc=$?
if [[ $rc -ne 2 || "$out" != "usage: llmcap-minimal URL" ]]; then
    echo "FAILED: without a URL: expected exit 2 and the usage, got exit $rc: $out"
    exit 1
fi

"$emulator" --port 0 --time-scale 50 >"$work/emulator.log" 2>&1 &
pid=$!
url=
for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/emulator.log" | head -n 1)
    [[ -n "$url" ]] && break
    sleep 0.1
done
if [[ -z "$url" ]]; then
    echo "FAILED: the emulator did not start: $(cat "$work/emulator.log")"
    exit 1
fi

out=$(timeout 120 "$minimal" "$url" 2>&1)
rc=$?
echo "$out"
regex='^TTFT P50 [0-9.e+-]+ ms, P99 [0-9.e+-]+ ms \(20 of 20 requests succeeded\)$'
if [[ $rc -ne 0 ]] || ! grep -Eq "$regex" <<<"$out"; then
    echo "FAILED: llmcap-minimal $url: expected exit 0 and /$regex/, got exit $rc"
    exit 1
fi
echo "ok: llmcap-minimal measured one cell of the emulator"

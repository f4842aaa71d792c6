#!/usr/bin/env bash
# The two presets whose cells differ in more than context and concurrency, simulated end to end:
# `--preset quick` must give one row per case (chat, code, summary, reasoning, writing: all at
# concurrency 1 with no context length, differing in output length) and `--preset
# sglang-standard` must keep reasoning (1K in, 8K out) apart from chat (1K/1K) in the CSV, in
# every table of report.md and in the charts of report.html.
#   preset_rows.sh LLMCAP_SWEEP WORK_DIR
set -uo pipefail
sweep=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
failed=0
fail() {
    echo "FAILED: $*"
    failed=1
}

# rows FILE PREFIX: lines of the Markdown tables that start with PREFIX.
rows() { grep -c "^| $2" "$1"; }

if ! timeout 120 "$sweep" simulate --preset quick --quiet --out "$work/quick" >"$work/quick.log" 2>&1; then
    fail "simulate --preset quick: $(tail -n 5 "$work/quick.log")"
else
    ids=$(tail -n +2 "$work/quick/cells.csv" | cut -d, -f1 | sort | tr '\n' ' ')
    expected="chat/ctx0/out256/c1 code/ctx0/out512/c1 reasoning/ctx0/out512/c1 summary/ctx0/out256/c1 writing/ctx0/out1024/c1 "
    [[ "$ids" == "$expected" ]] || fail "quick: cells.csv ids are '$ids', expected '$expected'"
    tables=$(rows "$work/quick/report.md" "chat 256 out")
    for label in "code 512 out" "summary 256 out" "reasoning 512 out" "writing 1K out"; do
        n=$(rows "$work/quick/report.md" "$label")
        # Every table that has a row for chat has one for each other case.
        [[ $n -eq $tables && $n -ge 3 ]] ||
            fail "quick: report.md has $n table rows for '$label' and $tables for 'chat 256 out'"
    done
fi

if ! timeout 300 "$sweep" simulate --preset sglang-standard --quiet --out "$work/sgl" >"$work/sgl.log" 2>&1; then
    fail "simulate --preset sglang-standard: $(tail -n 5 "$work/sgl.log")"
else
    for c in 1 16 100; do
        for id in "chat/ctx1024/out1024/c$c" "reasoning/ctx1024/out8192/c$c" "summarization/ctx8192/out1024/c$c"; do
            grep -q "^$id," "$work/sgl/cells.csv" || fail "sglang-standard: cells.csv has no row $id"
        done
    done
    chat=$(rows "$work/sgl/report.md" "chat 1K/1K")
    reasoning=$(rows "$work/sgl/report.md" "reasoning 1K/8K")
    [[ $chat -ge 3 && $reasoning -eq $chat ]] ||
        fail "sglang-standard: report.md has $chat table rows for chat 1K/1K, $reasoning for reasoning 1K/8K"
    # The per-cell TTFT table: one row per scenario and load, so reasoning at 100 requests has its own.
    grep -Eq '^\| reasoning 1K/8K \| 100 \|' "$work/sgl/report.md" ||
        fail "sglang-standard: report.md has no row for reasoning 1K/8K at 100 requests"
    for label in "chat 1K/1K" "reasoning 1K/8K" "summarization 8K/1K"; do
        grep -q "$label" "$work/sgl/report.html" || fail "sglang-standard: report.html never names '$label'"
    done
fi

[[ $failed -eq 0 ]] && echo "ok: quick and sglang-standard keep their cases apart"
exit $failed

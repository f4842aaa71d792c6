#!/usr/bin/env bash
# The sweep tool's failure paths end to end: each case runs llmcap-sweep against a misbehaving
# server on a loopback port (the emulator with a fault, or a socket that never answers), or
# with bad input, and checks the exit status and the message. No case may exit 0.
#   sweep_failures.sh LLMCAP_SWEEP LLMCAP_EMULATOR WORK_DIR
set -uo pipefail
sweep=$1 emulator=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
passed=0 failed=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# expect NAME STATUS REGEX -- COMMAND...: runs COMMAND (bounded to 120 s), checks both; the
# regular expression sees the whole output as one text (.* spans lines).
expect() {
    local name=$1 status=$2 regex=$3
    shift 4
    local out rc
    out=$(timeout 120 "$@" 2>&1 </dev/null)
    rc=$?
    if [[ $rc -eq $status ]] && grep -Ezq -- "$regex" <<<"$out"; then
        passed=$((passed + 1))
        echo "ok: $name (exit $rc)"
    else
        failed=$((failed + 1))
        echo "FAILED: $name: expected exit $status and /$regex/, got exit $rc:"
        sed 's/^/    /' <<<"$out" | head -n 30
    fi
}

# Starts the emulator with the given options on a free port; sets $url.
start_emulator() {
    local log=$work/emulator-$RANDOM.log
    "$emulator" --port 0 --time-scale 50 "$@" >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1)
        [[ -n "$url" ]] && return 0
        sleep 0.1
    done
    echo "the emulator did not start: $(cat "$log")"
    exit 1
}

echo "not a certificate" >"$work/a-file-that-is-not-pem"
small=(--contexts 1k --concurrency 1 --output-tokens 8 --use-cases none --quiet)

# --- servers that refuse, fail or stall -------------------------------------------------------
start_emulator --fault status=500
expect "every request answered 500" 5 \
    "1 of 1 cells measured nothing:.*HTTP 500 \(InternalServerError\)" -- \
    "$sweep" run --url "$url" "${small[@]}" --out "$work/r500"
grep -q "cells measured nothing" "$work/r500/report.md" &&
    grep -q "no request was measured" "$work/r500/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the report of r500 does not say that nothing was measured"; }

start_emulator --check-model
expect "a model name with a typo (vLLM's 404)" 5 \
    'The model `typo` does not exist.*not among those /v1/models lists: "GLM-4.7-Flash"' -- \
    "$sweep" run --url "$url" --model typo "${small[@]}" --out "$work/r404"

start_emulator --fault stall_mid=0@2
expect "a stream that stalls mid-way ends at --idle-timeout" 5 \
    "idle_timeout" -- \
    "$sweep" run --url "$url" "${small[@]}" --idle-timeout 1s --out "$work/stall"

start_emulator --fault overlong=100
expect "a stream that ignores max_tokens is ended, not read for hours" 5 \
    "overlong_stream ×[0-9]+ \(the stream carried 129 output tokens for max_tokens 32" -- \
    "$sweep" run --url "$url" --contexts 1k --concurrency 1 --output-tokens 32 --use-cases none \
    --quiet --out "$work/overlong"

# Too few file descriptors for the concurrency: a grid is refused before it runs; a capacity
# search that goes past the limit records the client's failures as its own.
start_emulator
expect "a grid beyond the open-file limit is refused" 2 \
    "--concurrency: 64 requests in flight need as many sockets .* only 40 files" -- \
    bash -c 'ulimit -n 40 && exec "$@"' _ "$sweep" run --url "$url" --contexts 1k \
    --concurrency 64 --output-tokens 8 --use-cases none --quiet --out "$work/fds-grid"
expect "out of file descriptors is the client's failure" 4 \
    "client_resources ×[0-9]+ \(cannot open a socket" -- \
    bash -c 'ulimit -n 40 && exec "$@"' _ "$sweep" run --url "$url" --contexts 1k \
    --concurrency 1 --use-cases code_completion --max-search-concurrency 64 --quiet \
    --out "$work/fds"

# A socket that accepts connections (the kernel completes them) and never answers.
python3 -c 'import socket,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(300)' >"$work/silent.port" &
pids+=($!)
for _ in $(seq 50); do [[ -s "$work/silent.port" ]] && break; sleep 0.1; done
silent="http://127.0.0.1:$(cat "$work/silent.port")"
expect "a server that never answers: the probe gives up at --probe-timeout" 3 \
    "server not usable: tried GET $silent/v1/models: .*--probe-timeout" -- \
    "$sweep" run --url "$silent" "${small[@]}" --probe-timeout 2s --out "$work/silent"

# A TLS server with a self-signed certificate (openssl s_server answers with a status page,
# not a model list): refused without trust, reached with --ca-cert or --insecure.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
tls_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
openssl s_server -accept "$tls_port" -cert "$work/cert.pem" -key "$work/key.pem" -www -quiet \
    >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break
    sleep 0.1
done
tls="https://127.0.0.1:$tls_port"
expect "an untrusted certificate names --ca-cert and --insecure" 3 \
    "certificate rejected; trust the server's CA with llmcap-sweep's --ca-cert FILE .*--insecure" -- \
    "$sweep" run --url "$tls" "${small[@]}" --out "$work/tls-untrusted"
expect "--ca-cert trusts the server" 3 "the answer is not an OpenAI model list" -- \
    "$sweep" run --url "$tls" "${small[@]}" --ca-cert "$work/cert.pem" --out "$work/tls-ca"
expect "--insecure reaches the server and warns" 3 \
    "warning: --insecure.*the answer is not an OpenAI model list" -- \
    "$sweep" run --url "$tls" "${small[@]}" --insecure --out "$work/tls-insecure"
expect "--ca-cert of a file that holds no certificate" 2 "holds no PEM certificate" -- \
    "$sweep" run --url "$tls" --ca-cert "$work/a-file-that-is-not-pem" --out "$work/tls-bad"

# --- plans that cannot run ------------------------------------------------------------------------
# The virtual endpoint refuses it as vLLM does: HTTP 400 naming the model's context length.
expect "simulate a context the profile cannot hold" 5 \
    "measured nothing:.*HTTP 400: This model's maximum context length is 202752 tokens" -- \
    "$sweep" simulate --contexts 300k --concurrency 1 --use-cases none --quiet --out "$work/sim300"

# --- bad options ------------------------------------------------------------------------------------
expect "a URL without its scheme" 2 \
    '--url: "127.0.0.1:8000" is not a usable URL: needs http:// or https:// .*try http://127.0.0.1:8000' -- \
    "$sweep" run --url 127.0.0.1:8000 --out "$work/url"
expect "a port out of range" 2 "port 99999 is out of range" -- \
    "$sweep" run --url http://127.0.0.1:99999 --out "$work/url"
expect "--max-failure-rate NaN" 2 "--max-failure-rate: nan is not a fraction" -- \
    "$sweep" run --url http://127.0.0.1:9 --max-failure-rate NaN --out "$work/nan"
expect "an unknown subcommand is named" 2 'unknown subcommand "rnu" \(one of: run, simulate' -- \
    "$sweep" rnu --url http://127.0.0.1:9
expect "a context that wraps 32 bits" 2 '--contexts: "18014398509481984k" is too large' -- \
    "$sweep" simulate --contexts 18014398509481984k --out "$work/wrap"
expect "a negative seed" 2 "--seed.*must not be negative" -- \
    "$sweep" simulate --seed -1 --out "$work/seed"
expect "a duration without a number" 2 '--idle-timeout: "fast" is not a duration' -- \
    "$sweep" run --url http://127.0.0.1:9 --idle-timeout fast --out "$work/dur"
expect "a CA file that does not exist" 2 '--ca-cert: cannot read "/nonexistent/ca.pem"' -- \
    "$sweep" run --url https://127.0.0.1:9 --ca-cert /nonexistent/ca.pem --out "$work/ca"
expect "--resume with plan options" 2 "--contexts: cannot be changed on --resume" -- \
    "$sweep" run --resume "$work/r500" --contexts 64k
expect "a think time that does not parse" 2 \
    '--think-time: think time "soon": "soon" is not a duration' -- \
    "$sweep" simulate --sessions --think-time soon --out "$work/think"
expect "a think-time family that does not exist" 2 'unknown distribution "gamma"' -- \
    "$sweep" simulate --sessions --think-time gamma:5s --out "$work/think"
expect "--cache-compare without --sessions" 2 "--cache-compare: only with --sessions" -- \
    "$sweep" simulate --cache-compare --out "$work/think"
expect "session users of 0" 2 "--users: .*0.* is not a positive integer" -- \
    "$sweep" simulate --sessions --users 0,4 --out "$work/think"
expect "--resume with session options" 2 "--turns: cannot be changed on --resume" -- \
    "$sweep" run --resume "$work/r500" --turns 4
expect "a session simulation with the cache comparison" 0 \
    "cell sessions/ctx256/out32/u4.*cell sessions_nocache/ctx256/out32/u4" -- \
    "$sweep" simulate --sessions --users 2,4 --turns 3 --turn-tokens 256 --output-tokens 32 \
    --think-time exponential:1s --system-prompt 1k --use-cases none --cache-compare --quiet \
    --out "$work/sessions"
grep -q "## Conversations" "$work/sessions/report.md" &&
    grep -q "What prefix caching is worth" "$work/sessions/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the session run's report has no conversations section"; }

# --- outputs that cannot be written, inputs that hold nothing ---------------------------------
"$sweep" simulate --contexts 1k,8k --concurrency 1,2 --output-tokens 128 --use-cases none --quiet \
    --out "$work/sim" >/dev/null 2>&1 || { failed=$((failed + 1)); echo "FAILED: simulate"; }
touch "$work/a-file"
expect "capacity --out onto a file" 1 "cannot write into $work/a-file: Not a directory" -- \
    "$sweep" capacity --cells "$work/sim/cells.csv" --use-case code_completion --out "$work/a-file"
expect "compare --out below a file" 1 "cannot create directory $work/a-file/x" -- \
    "$sweep" compare "$work/sim" "$work/sim" --out "$work/a-file/x"
expect "simulate --out onto a file" 1 "cannot write into $work/a-file: Not a directory" -- \
    "$sweep" simulate --contexts 1k --concurrency 1 --use-cases none --quiet --out "$work/a-file"

# Cells from another tool: a byte-order mark is read past; a repeated level, a negative TTFT
# and a NUL byte are errors naming the line, the NUL shown escaped.
printf '\xef\xbb\xbfcontext_tokens,output_tokens,concurrency,e2e_s_mean\n1024,128,1,0.8\n1024,128,2,1.5\n1024,128,4,2.6\n' \
    >"$work/bom.csv"
expect "capacity of a CSV with a byte-order mark" 0 "Code Completion" -- \
    "$sweep" capacity --cells "$work/bom.csv" --use-case code_completion
printf 'context_tokens,output_tokens,concurrency,e2e_s_mean\n1024,128,1,0.8\n1024,128,2,1.5\n1024,128,1,0.9\n' \
    >"$work/repeat.csv"
expect "a level given twice" 1 "repeat.csv: line 4: concurrency 1 at 1024 context tokens.*repeats line 2" -- \
    "$sweep" capacity --cells "$work/repeat.csv" --use-case code_completion
printf 'context_tokens,output_tokens,concurrency,ttft_s_mean\n1024,128,1,-0.2\n' >"$work/negative.csv"
expect "a negative TTFT" 1 'negative.csv: line 2: ttft_s_mean: expected a finite number >= 0, got "-0.2"' -- \
    "$sweep" capacity --cells "$work/negative.csv" --use-case code_completion
printf 'context_tokens,output_tokens,concurrency,e2e_s_mean\n1024,128,1\0x,0.8\n' >"$work/nul.csv"
expect "a NUL byte is shown, not cut off" 1 'nul.csv: line 2: concurrency: .*"1\\x00x"' -- \
    "$sweep" capacity --cells "$work/nul.csv" --use-case code_completion

mkdir -p "$work/no-requests"
cp "$work/sim/run.json" "$work/sim/cells.jsonl" "$work/sim/results.json" "$work/no-requests/"
before=$(md5sum <"$work/no-requests/results.json")
expect "report without requests.jsonl" 1 "requests.jsonl is missing \(nothing was changed\)" -- \
    "$sweep" report "$work/no-requests"
[[ "$(md5sum <"$work/no-requests/results.json")" == "$before" ]] ||
    { failed=$((failed + 1)); echo "FAILED: report changed results.json though it could not rebuild it"; }
mkdir -p "$work/no-cells"
cp "$work/sim/run.json" "$work/no-cells/" && : >"$work/no-cells/cells.jsonl" &&
    : >"$work/no-cells/requests.jsonl"
expect "report on a run that completed no cell" 1 "holds no completed cell" -- \
    "$sweep" report "$work/no-cells"
expect "report on a directory that is not a run" 1 "cannot read $work/empty-dir/run.json" -- \
    "$sweep" report "$work/empty-dir"

# --- open loop and request counts -------------------------------------------------------------
expect "a rate of 0" 2 '--rate: "0" is not a positive number' -- \
    "$sweep" simulate --rate 0 --out "$work/open-bad"
expect "a NaN rate" 2 '--rates: "nan" is not a positive number' -- \
    "$sweep" simulate --rates 1,nan --out "$work/open-bad"
expect "a negative rate" 2 '--rates: "-2" is not a positive number' -- \
    "$sweep" simulate --rates -2 --out "$work/open-bad"
expect "--rate and --rates" 2 "--rate and --rates: give one" -- \
    "$sweep" simulate --rate 1 --rates 1,2 --out "$work/open-bad"
# Without a count, an open-loop cell runs for its default minute, not 2 x its cap.
expect "an open-loop cell's default length" 0 "cell grid/ctx1024/out16/c8/rate2" -- \
    "$sweep" simulate --contexts 1k --output-tokens 16 --rate 2 --max-in-flight 8 \
    --use-cases none --quiet --out "$work/open-default"
grep -q '"stop_reason":"duration"' "$work/open-default/cells.jsonl" &&
    grep -q '"max_duration_s":6E1' "$work/open-default/run.json" ||
    { failed=$((failed + 1)); echo "FAILED: an open-loop cell without a count did not run for 60 s"; }
expect "a rate with sessions" 2 "--rate: not with --sessions" -- \
    "$sweep" simulate --sessions --rate 1 --out "$work/open-bad"
expect "burstiness without a rate" 2 "--burstiness: only with --rate or --rates" -- \
    "$sweep" simulate --burstiness 0.5 --out "$work/open-bad"
expect "a cap of 0 in flight" 2 "--max-in-flight" -- \
    "$sweep" simulate --rate 1 --max-in-flight 0 --out "$work/open-bad"
expect "0 requests per cell" 2 '--requests-per-cell: "0" is not a positive integer' -- \
    "$sweep" simulate --requests-per-cell 0 --out "$work/open-bad"
expect "a list of request counts" 2 '--requests-per-cell: "10,20" is not one number' -- \
    "$sweep" simulate --requests-per-cell 10,20 --out "$work/open-bad"
expect "two request counts" 2 "--requests-per-cell and --prompts-per-concurrency: give one" -- \
    "$sweep" simulate --requests-per-cell 10 --prompts-per-concurrency 5 --out "$work/open-bad"
expect "a confidence target beside a count" 2 "--ci-half-width: not with --requests-per-cell" -- \
    "$sweep" simulate --requests-per-cell 10 --ci-half-width 5 --out "$work/open-bad"
expect "a confidence half-width of 100%" 2 '--ci-half-width: "100" is not a percentage below 100' -- \
    "$sweep" simulate --ci-half-width 100 --out "$work/open-bad"
expect "a duration of 0" 2 '--duration: "0s" is not a duration' -- \
    "$sweep" simulate --duration 0s --out "$work/open-bad"
[[ ! -e "$work/open-bad" ]] ||
    { failed=$((failed + 1)); echo "FAILED: a refused command line created its run directory"; }

# An open-loop rate sweep against the emulator over HTTP: one cell per rate, the cap as its
# concurrency, the requests asked for, the rate in every file.
start_emulator
expect "a rate sweep over HTTP" 0 \
    "cell grid/ctx1024/out8/c6/rate4: 6/6 ok.*cell grid/ctx1024/out8/c6/rate16: 6/6 ok" -- \
    "$sweep" run --url "$url" --contexts 1k --output-tokens 8 --rates 4,16 --burstiness 0.5 \
    --max-in-flight 6 --requests-per-cell 6 --warmup 0 --use-cases none --quiet --out "$work/open"
# (Boost.JSON writes doubles in exponent form: 4 is 4E0.)
[[ $(grep -c '"rate_per_s":4E0' "$work/open/cells.jsonl") -eq 1 &&
    $(grep -c '"rate_per_s":1.6E1' "$work/open/cells.jsonl") -eq 1 &&
    $(grep -c '"warmup":false' "$work/open/requests.jsonl") -eq 12 &&
    $(grep -c '"warmup":true' "$work/open/requests.jsonl") -eq 0 ]] &&
    grep -q '"burstiness":5E-1' "$work/open/run.json" &&
    grep -q "Arrival rate (requests/s)" "$work/open/report.md" &&
    [[ $(grep -c '"arrivals":{"offered_rate_per_s"' "$work/open/cells.jsonl") -eq 2 ]] &&
    grep -q "## Arrivals" "$work/open/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the rate sweep's files do not hold its cells as asked"; }
# The report rebuilt from the files keeps the arrival table.
rm "$work/open/report.md"
expect "report of an open-loop run" 0 "open/report.md" -- "$sweep" report "$work/open"
grep -q "## Arrivals" "$work/open/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the rebuilt report lost the arrival table"; }
# A duration-bounded closed loop: the cell stops on time, not on a count.
expect "cells bounded by --duration" 0 "cell grid/ctx1024/out8/c2" -- \
    "$sweep" run --url "$url" --contexts 1k --concurrency 2 --output-tokens 8 --duration 2s \
    --use-cases none --quiet --out "$work/timed"
grep -q '"stop_reason":"duration"' "$work/timed/cells.jsonl" ||
    { failed=$((failed + 1)); echo "FAILED: the --duration cell did not stop on its duration"; }

# An offered rate far above what a cap of 2 lets through: the schedule is not kept, and the
# report says so.
expect "an open loop held back by its cap" 0 "cell grid/ctx1024/out32/c2/rate500" -- \
    "$sweep" simulate --contexts 1k --output-tokens 32 --rate 500 --max-in-flight 2 \
    --requests-per-cell 20 --use-cases none --quiet --out "$work/sim-late"
grep -q '"late":true' "$work/sim-late/cells.jsonl" &&
    grep -q "1 of 1 open-loop cells did not keep their schedule" "$work/sim-late/report.md" &&
    grep -q "| not kept up (late) |" "$work/sim-late/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: a cell held back by its cap is not marked late"; }

# The same options in simulate: K x concurrency requests; a confidence target bounded by
# --max-requests; an open loop in virtual time.
expect "--prompts-per-concurrency in simulate" 0 \
    "cell grid/ctx1024/out16/c1: 5/5 ok.*cell grid/ctx1024/out16/c4: 20/20 ok" -- \
    "$sweep" simulate --contexts 1k --concurrency 1,4 --output-tokens 16 \
    --prompts-per-concurrency 5 --use-cases none --quiet --out "$work/sim-k"
expect "--ci-half-width with a rate in simulate" 0 "cell grid/ctx1024/out16/c16/rate3" -- \
    "$sweep" simulate --contexts 1k --output-tokens 16 --rate 3 --max-in-flight 16 \
    --ci-half-width 10 --max-requests 60 --use-cases none --quiet --out "$work/sim-ci"
grep -Eq '"stop_reason":"(confidence|max_requests)"' "$work/sim-ci/cells.jsonl" &&
    grep -q '"ci_relative_half_width":1E-1' "$work/sim-ci/run.json" ||
    { failed=$((failed + 1)); echo "FAILED: the --ci-half-width cell did not stop on its target or cap"; }

# Datasets: a ShareGPT file's records at their own lengths over HTTP, each record's answer
# counted for its output length; the same file resampled to the grid's length in simulate.
cat >"$work/chats.json" <<'JSON'
[{"conversations":[{"from":"human","value":"What is the boiling point of water at sea level?"},
                   {"from":"gpt","value":"One hundred degrees Celsius."}]},
 {"conversations":[{"from":"gpt","value":"A greeting with no question."}]},
 {"conversations":[{"from":"human","value":"Name three primary colours, please."},
                   {"from":"gpt","value":"Red, yellow and blue are the traditional three."}]},
 {"conversations":[{"from":"human","value":"Translate 'good morning' into French."}]}]
JSON
expect "a dataset's own lengths over HTTP" 0 \
    "dataset .*chats.json: 3 records with a prompt; skipped: 1 no user turn.*cell dataset/ctx0/out8/c2: 6/6 ok" -- \
    "$sweep" run --url "$url" --dataset "$work/chats.json" --concurrency 2 --output-tokens 8 \
    --requests-per-cell 6 --warmup 0 --use-cases none --quiet --out "$work/dataset"
grep -q '"dataset":{"file":"[^"]*chats.json","records":3,"used":3,"outputs_from_data":2' \
    "$work/dataset/cells.jsonl" &&
    grep -q '"dataset":true' "$work/dataset/run.json" &&
    grep -q "## Dataset" "$work/dataset/report.md" &&
    grep -q "1 no user turn" "$work/dataset/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the dataset run's files do not record its records"; }
expect "a dataset resampled in simulate" 0 "cell grid/ctx1024/out8/c1: 3/3 ok" -- \
    "$sweep" simulate --dataset "$work/chats.json" --dataset-lengths resample --contexts 1k \
    --concurrency 1 --output-tokens 8 --requests-per-cell 3 --use-cases none --quiet \
    --out "$work/dataset-resample"
expect "a dataset at rates in simulate" 0 "cell dataset/ctx0/out8/c4/rate2: 5/5 ok" -- \
    "$sweep" simulate --dataset "$work/chats.json" --rates 2 --max-in-flight 4 \
    --output-tokens 8 --requests-per-cell 5 --use-cases none --quiet --out "$work/dataset-open"
printf '{"prompt":"a"}\n{"prompt":\n' >"$work/broken.jsonl"
expect "a dataset with a broken line" 1 "--dataset .*broken.jsonl: corpus: line 2: syntax error" -- \
    "$sweep" simulate --dataset "$work/broken.jsonl" --use-cases none --out "$work/dataset-bad"
expect "a dataset that does not exist" 1 "corpus: cannot read /nonexistent/data.json" -- \
    "$sweep" simulate --dataset /nonexistent/data.json --use-cases none --out "$work/dataset-bad"
expect "--dataset-lengths without --dataset" 2 "--dataset-lengths: only with --dataset" -- \
    "$sweep" simulate --dataset-lengths own --out "$work/dataset-bad"
expect "an unknown --dataset-lengths" 2 '--dataset-lengths: expected own or resample, got "short"' -- \
    "$sweep" simulate --dataset "$work/chats.json" --dataset-lengths short --out "$work/dataset-bad"
expect "--contexts with a dataset's own lengths" 2 "--contexts: not with --dataset's own lengths" -- \
    "$sweep" simulate --dataset "$work/chats.json" --contexts 1k --out "$work/dataset-bad"
expect "--resume with --dataset" 2 "--dataset: cannot be changed on --resume" -- \
    "$sweep" run --resume "$work/dataset" --dataset "$work/chats.json"
[[ ! -e "$work/dataset-bad" ]] ||
    { failed=$((failed + 1)); echo "FAILED: a refused dataset created its run directory"; }

# A search for the highest sustainable rate over HTTP, replayed by `report`; and its refusals.
# Over a real socket the verdict on the first cell depends on how busy the machine is (a send
# more than 1 ms late marks the cell late, which a sanitized build on a loaded machine can be),
# so the search's next rate is doubled or halved; the simulator's search is checked exactly in
# tests/sweep/run_sweep.cpp.
expect "--rates auto over HTTP" 0 "cell grid/ctx1024/out8/c64/rate2: 12/12 ok.*cell grid/ctx1024/out8/c64/rate(4|1): 12/12 ok" -- \
    "$sweep" run --url "$url" --contexts 1k --output-tokens 8 --rates auto --rate-start 2 \
    --max-rate-cells 2 --max-in-flight 64 --requests-per-cell 12 --warmup 0 --use-cases none \
    --quiet --out "$work/rate-auto"
grep -Ezq '"rate_searches": \[[[:space:]]*\{[[:space:]]*"search": \{[[:space:]]*"context_tokens": 1024,[[:space:]]*"output_tokens": 8,[[:space:]]*"start_rate_per_s": 2E0' \
    "$work/rate-auto/results.json" &&
    grep -q "## Sustainable rate" "$work/rate-auto/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the rate search is not in results.json and the report"; }
cp "$work/rate-auto/results.json" "$work/rate-auto-results.json"
expect "report replays the rate search" 0 "rate-auto/report.md" -- "$sweep" report "$work/rate-auto"
cmp -s "$work/rate-auto/results.json" "$work/rate-auto-results.json" ||
    { failed=$((failed + 1)); echo "FAILED: report did not rebuild the rate search's results.json byte for byte"; }
expect "--rate-start without --rates auto" 2 "--rate-start: only with --rates auto" -- \
    "$sweep" simulate --rates 1,2 --rate-start 2 --out "$work/rate-bad"
expect "--max-rate-cells without --rates auto" 2 "--max-rate-cells: only with --rates auto" -- \
    "$sweep" simulate --max-rate-cells 3 --out "$work/rate-bad"
expect "--rates auto with sessions" 2 "--rates: not with --sessions" -- \
    "$sweep" simulate --sessions --rates auto --out "$work/rate-bad"
expect "a rate search from 0" 2 '--rate-start: "0" is not a positive number' -- \
    "$sweep" simulate --rates auto --rate-start 0 --out "$work/rate-bad"
[[ ! -e "$work/rate-bad" ]] ||
    { failed=$((failed + 1)); echo "FAILED: a refused rate search created its run directory"; }

# Trace replay over HTTP: the Mooncake sample at half its times, the requests at their times,
# their lengths and the shared prefixes; and the refusals.
traces=$(dirname "$0")/../fixtures/traces
expect "a Mooncake trace over HTTP" 0 \
    "trace .*mooncake_sample.jsonl: 4 requests over [^;]*; skipped: 1 zero length.*cell trace/ctx0/out0/c16: 4/4 ok" -- \
    "$sweep" run --url "$url" --trace "$traces/mooncake_sample.jsonl" --trace-format mooncake \
    --time-scale 0.5 --max-in-flight 16 --use-cases none --quiet --out "$work/trace"
grep -q '"trace":true' "$work/trace/run.json" &&
    grep -q '"late_requests":' "$work/trace/cells.jsonl" &&
    [[ $(grep -c '"prompt_tokens":1200' "$work/trace/requests.jsonl") -eq 1 ]] &&
    [[ $(grep -c '"cached_tokens":1024' "$work/trace/requests.jsonl") -eq 1 &&
        $(grep -c '"cached_tokens":512' "$work/trace/requests.jsonl") -eq 1 ]] &&
    grep -q "## Arrivals" "$work/trace/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the trace replay's files do not hold its requests"; }
expect "a BurstGPT trace in simulate" 0 "cell trace/ctx0/out0/c1024: 3/3 ok" -- \
    "$sweep" simulate --trace "$traces/burstgpt_sample.csv" --trace-format burstgpt \
    --time-scale 0.01 --use-cases none --quiet --out "$work/trace-burst"
expect "an Azure trace in simulate" 0 "cell trace/ctx0/out0/c1024: 3/3 ok" -- \
    "$sweep" simulate --trace "$traces/azure_sample.csv" --trace-format azure \
    --use-cases none --quiet --out "$work/trace-azure"
printf 'Timestamp,Request tokens,Response tokens\n2,10,5\n1,10,5\n' >"$work/unsorted.csv"
expect "an unsorted trace" 1 \
    "--trace .*unsorted.csv: trace: line 3, column 1 \\(Timestamp\\): 1.000000 is earlier than line 2" -- \
    "$sweep" simulate --trace "$work/unsorted.csv" --trace-format burstgpt --use-cases none \
    --out "$work/trace-bad"
expect "--trace without --trace-format" 2 "--trace: needs --trace-format" -- \
    "$sweep" simulate --trace "$work/unsorted.csv" --out "$work/trace-bad"
expect "an unknown trace format" 2 '--trace-format: expected mooncake, azure or burstgpt, got "sharegpt"' -- \
    "$sweep" simulate --trace "$work/unsorted.csv" --trace-format sharegpt --out "$work/trace-bad"
expect "--time-scale without --trace" 2 "--time-scale: only with --trace" -- \
    "$sweep" simulate --time-scale 2 --out "$work/trace-bad"
expect "a trace with rates" 2 "--trace: not with --rate/--rates" -- \
    "$sweep" simulate --trace "$work/unsorted.csv" --trace-format burstgpt --rates 1,2 \
    --out "$work/trace-bad"
expect "a time scale of 0" 2 '--time-scale: "0" is not a positive number' -- \
    "$sweep" simulate --trace "$work/unsorted.csv" --trace-format burstgpt --time-scale 0 \
    --out "$work/trace-bad"
[[ ! -e "$work/trace-bad" ]] ||
    { failed=$((failed + 1)); echo "FAILED: a refused trace created its run directory"; }

# A traffic mix over HTTP: two small classes of a use-case file, each request of a mix cell one
# of them (24 requests a cell: 8 of the smaller class); every class holds at the loads tried;
# `report` rebuilds it; and the refusals.
cat >"$work/mix-cases.json" <<'JSON'
{"use_cases": [
  {"name": "chat", "title": "Chat", "context_tokens": 256, "output_tokens": 8,
   "thresholds": [{"metric": "ttft_s", "bound": 30}]},
  {"name": "docs", "title": "Documents", "context_tokens": 2048, "output_tokens": 4,
   "thresholds": [{"metric": "ttft_s", "bound": 30}, {"metric": "e2e_s", "bound": 60}]}
]}
JSON
expect "a traffic mix over HTTP" 0 \
    "cell mix/ctx0/out0/c1: 24/24 ok.*cell mix/ctx0/out0/c4: 24/24 ok.*mix: 4 concurrent requests of the mix keep every class within its thresholds \\(the most tried; more capacity is likely\\)" -- \
    "$sweep" run --url "$url" --use-cases "$work/mix-cases.json" --mix chat:2,docs:1 \
    --max-search-concurrency 4 --warmup 0 --out "$work/mix"
grep -q '"classes":\[{"name":"chat","requests_started":16,' "$work/mix/cells.jsonl" &&
    grep -q '"gives_way_first": ""' "$work/mix/results.json" &&
    grep -q "## Traffic mix" "$work/mix/report.md" &&
    grep -q '"mix":{"classes":' "$work/mix/run.json" ||
    { failed=$((failed + 1)); echo "FAILED: the mix is not in cells.jsonl, results.json, run.json and the report"; }
cp "$work/mix/results.json" "$work/mix-results.json"
expect "report replays the mix" 0 "mix/report.md" -- "$sweep" report "$work/mix"
cmp -s "$work/mix/results.json" "$work/mix-results.json" ||
    { failed=$((failed + 1)); echo "FAILED: report did not rebuild the mix's results.json byte for byte"; }
expect "mix shares that do not sum to 1" 0 "--mix: shares summed to 4; normalized to 1" -- \
    "$sweep" simulate --mix code_completion:3,general_chatbot:1 --max-search-concurrency 2 \
    --quiet --out "$work/mix-sim"
expect "an open-loop mix over HTTP" 0 "cell mix/ctx0/out0/c16/rate8: 24/24 ok" -- \
    "$sweep" run --url "$url" --use-cases "$work/mix-cases.json" --mix chat:2,docs:1 --rates 8 \
    --max-in-flight 16 --requests-per-cell 24 --warmup 0 --quiet --out "$work/mix-open"
grep -q '"rate_per_s":8E0' "$work/mix-open/cells.jsonl" &&
    grep -q '"classes":\[{"name":"chat","requests_started":16,' "$work/mix-open/cells.jsonl" &&
    grep -q "### Documents" "$work/mix-open/report.md" ||
    { failed=$((failed + 1)); echo "FAILED: the open-loop mix cell has no classes"; }
expect "a rate search over a mix in simulate" 0 \
    "cell mix/ctx0/out0/c1024/rate1: .*mix: The mix keeps every class within its thresholds up to" -- \
    "$sweep" simulate --use-cases "$work/mix-cases.json" --mix chat:2,docs:1 --rates auto \
    --max-rate-cells 3 --duration 30s --out "$work/mix-rates"
expect "a mix entry without a share" 2 '--mix: "code_completion" is not NAME:SHARE' -- \
    "$sweep" simulate --mix code_completion --out "$work/mix-bad"
expect "a mix of an unknown use case" 2 '--mix: "coding:1": no use case "coding"' -- \
    "$sweep" simulate --mix code_completion:1,coding:1 --out "$work/mix-bad"
expect "a mix with a negative share" 2 '--mix: "general_chatbot:-1": the share "-1" is not a positive number' -- \
    "$sweep" simulate --mix code_completion:1,general_chatbot:-1 --out "$work/mix-bad"
expect "a mix of conversations" 2 '--mix: class "chatbot_sessions": a session use case cannot be mixed' -- \
    "$sweep" simulate --mix chatbot_sessions:1 --out "$work/mix-bad"
expect "a mix with context lengths" 2 "--mix: not with --contexts" -- \
    "$sweep" simulate --mix code_completion:1 --contexts 1k --out "$work/mix-bad"
printf '{"classes": [{"use_case": "code_completion", "shares": 1}]}' >"$work/mix-bad.json"
expect "a mix file with a misspelt field" 2 \
    '--mix: .*mix-bad.json: \$.classes\[0\].shares: unknown field \(expected use_case, share\)' -- \
    "$sweep" simulate --mix "$work/mix-bad.json" --out "$work/mix-bad"
expect "--resume with --mix" 2 "--mix: cannot be changed on --resume" -- \
    "$sweep" run --resume "$work/mix" --mix code_completion:1
[[ ! -e "$work/mix-bad" ]] ||
    { failed=$((failed + 1)); echo "FAILED: a refused mix created its run directory"; }

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

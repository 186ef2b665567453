#!/usr/bin/env bash
# End-to-end throughput of speech-to-text on loopback, against the local emulator with its deterministic
# engines (`speech-emulator --deterministic`: energy VAD + scripted recognizer, no model), three ways:
#
#   curl   one curl process, `--parallel --parallel-max J`, kept-alive connections: the baseline, i.e. what
#          the emulator itself can serve;
#   cli    the release `speech` CLI: `speech transcribe FILE x N --jobs J --auth key --output json`
#          (speech-ureq, J threads over one client);
#   async  crates/speech-async/examples/bench_recognize.rs: one speech_async::Client on one current-thread
#          tokio runtime, N `recognize_bytes` calls with at most J in flight.
#
# Each way sends N (default 1000) recognitions of the same one-second 16 kHz mono 16-bit PCM WAV (synthetic
# voiced "syllables", generated here with python3) at J = 1, 8 and 32, timed by wall clock (process start
# included). Every recognition must come back `RecognitionStatus: Success` (for curl: HTTP 200 with the
# same body size as a checked Success answer). It prints a table
#
#   way  J  seconds  recognitions/s  ratio-to-curl(same J)
#
# and exits non-zero if any request failed. The ratio is the way's recognitions/s over curl's at the same J.
#
# Run from anywhere (builds in release mode first, niced; the first build takes several minutes):
#   bash scripts/bench.sh
#   BENCH_N=200 BENCH_JOBS="1 8" bash scripts/bench.sh
# Environment:
#   BENCH_N           recognitions per way and J (default 1000)
#   BENCH_JOBS        the J values (default "1 8 32"; the CLI takes at most 64)
#   BENCH_TARGET_DIR  cargo target dir of this script's builds (default
#                     ${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs/bench-target, apart from the main one)
# Needs: cargo, curl, python3, and what the emulator's bundled C libraries build with (cmake, a C/C++
# compiler, make; scripts/setup.sh installs them, and is run here only if one of them is missing).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

N="${BENCH_N:-1000}"
JOBS="${BENCH_JOBS:-1 8 32}"
KEY=benchkey
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs/bench-target}"

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "BENCH_N must be a positive integer (got '$N')"
for j in $JOBS; do
    [[ "$j" =~ ^[1-9][0-9]*$ ]] && [ "$j" -le 64 ] || die "BENCH_JOBS: '$j' is not in 1..=64"
done
for tool in cargo curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/speech-bench.XXXXXX")"
emu_pid=""
cleanup() {
    if [ -n "$emu_pid" ] && kill -0 "$emu_pid" 2>/dev/null; then
        kill "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. Build ------------------------------------------------------------------------------------------------

# The emulator (default features: mp3 through bundled LAME; no `whisper`, so no model) links bundled libopus
# (cmake) and LAME (configure + make). Install the build tools only when one is missing.
if ! command -v cmake >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1 ||
    ! { command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1; }; then
    say "cmake, make or a C++ compiler is missing: running scripts/setup.sh"
    bash scripts/setup.sh
fi

say "building in $CARGO_TARGET_DIR (release, nice -n 19)"
build_started=$(date +%s)
nice -n 19 cargo build --release -p speech-emulator --bin speech-emulator -p speech-cli --bin speech
nice -n 19 cargo build --release -p speech-async --features tokio --example bench_recognize
say "build took $(($(date +%s) - build_started)) s"

EMULATOR="$CARGO_TARGET_DIR/release/speech-emulator"
SPEECH="$CARGO_TARGET_DIR/release/speech"
ASYNC_BENCH="$CARGO_TARGET_DIR/release/examples/bench_recognize"
for bin in "$EMULATOR" "$SPEECH" "$ASYNC_BENCH"; do
    [ -x "$bin" ] || die "the build produced no $bin"
done

# --- 2. The audio --------------------------------------------------------------------------------------------

# One second: 100 ms of silence, then four 170 ms "syllables" (a 140 Hz voice with harmonics, rising and
# falling in loudness) separated by 50 ms pauses, then silence. The emulator's VAD wants frames of RMS >= 320
# in runs of >= 3 x 10 ms, and calls the sound speech (not BabbleTimeout noise) when its zero-crossing rate is
# low or its level varies: a low voiced tone with an envelope is both. It must start before the initial-silence
# timeout (15 s in conversation mode), which it does at 0.1 s.
WAV="$work/speech.wav"
python3 - "$WAV" <<'PY'
import math, struct, sys, wave

rate, samples = 16000, 16000
audio = [0.0] * samples
for k in range(4):
    start = int(rate * (0.10 + k * 0.22))
    length = int(rate * 0.17)
    f0 = 140.0 + 15.0 * k
    for i in range(length):
        t = i / rate
        envelope = math.sin(math.pi * i / length) ** 2
        voice = sum(math.sin(2 * math.pi * f0 * h * t) / h for h in (1, 2, 3, 4))
        audio[start + i] = 9000.0 * envelope * voice / 2.1
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", max(-32768, min(32767, int(s)))) for s in audio))
PY
say "audio: $WAV ($(wc -c <"$WAV") bytes)"

# --- 3. The emulator -----------------------------------------------------------------------------------------

"$EMULATOR" --deterministic --port 0 --key "$KEY" >"$work/emulator.out" 2>"$work/emulator.err" &
emu_pid=$!
# It prints `speech-emulator listening on http://127.0.0.1:PORT (region …, key …)` once it accepts connections.
base_url=""
for _ in $(seq 1 300); do
    base_url="$(sed -n 's/^speech-emulator listening on \(http:[^ ]*\) .*/\1/p' "$work/emulator.out")"
    [ -n "$base_url" ] && break
    kill -0 "$emu_pid" 2>/dev/null || {
        cat "$work/emulator.err" >&2
        die "the emulator exited"
    }
    sleep 0.1
done
[ -n "$base_url" ] || die "the emulator did not say where it listens within 30 s"
say "emulator at $base_url (pid $emu_pid)"

URL="$base_url/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
CONTENT_TYPE="audio/wav; codecs=audio/pcm; samplerate=16000"

# Check once that the audio is recognized, and remember the answer's size: every curl answer must match it.
curl -sS --fail-with-body -o "$work/check.json" -X POST "$URL" \
    -H "Ocp-Apim-Subscription-Key: $KEY" -H "Content-Type: $CONTENT_TYPE" -H "Expect:" \
    --data-binary "@$WAV" || die "the check request failed: $(cat "$work/check.json" 2>/dev/null)"
python3 - "$work/check.json" <<'PY' || die "the check request was not recognized: $(cat "$work/check.json")"
import json, sys
answer = json.load(open(sys.argv[1]))
sys.exit(0 if answer.get("RecognitionStatus") == "Success" else 1)
PY
SUCCESS_SIZE=$(wc -c <"$work/check.json")
say "check: $(cat "$work/check.json")"

# --- 4. The runs ---------------------------------------------------------------------------------------------

# curl's config: N blocks (one transfer each) separated by `next`. `Expect:` turns off 100-continue. Each
# transfer writes `HTTP-status body-size new-connections` (kept alive: at most J connections in all).
{
    for ((i = 0; i < N; i++)); do
        if [ "$i" -gt 0 ]; then echo next; fi
        cat <<EOF
url = "$URL"
header = "Ocp-Apim-Subscription-Key: $KEY"
header = "Content-Type: $CONTENT_TYPE"
header = "Expect:"
data-binary = "@$WAV"
output = "/dev/null"
write-out = "%{http_code} %{size_download} %{num_connects}\\n"
EOF
    done
} >"$work/curl.cfg"

# The CLI gets the same file N times (it transcribes every argument, repeats included); a short relative name
# keeps the command line small.
ln "$WAV" "$work/a.wav" 2>/dev/null || cp "$WAV" "$work/a.wav"
cli_files=()
for ((i = 0; i < N; i++)); do
    cli_files+=(a.wav)
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

failures=()
rows=()
declare -A curl_rate

run_curl() {
    local j=$1 t0 t1 ok
    t0=$(now)
    curl -sS --no-progress-meter --parallel --parallel-max "$j" -K "$work/curl.cfg" >"$work/curl.out" 2>"$work/curl.err" || true
    t1=$(now)
    ok=$(awk -v size="$SUCCESS_SIZE" '$1 == 200 && $2 == size' "$work/curl.out" | wc -l)
    say "  curl opened $(awk '{ n += $3 } END { print n + 0 }' "$work/curl.out") connections"
    report curl "$j" "$t0" "$t1" "$ok" "$work/curl.err"
}

run_cli() {
    local j=$1 t0 t1 ok
    t0=$(now)
    (cd "$work" && env -u SPEECH_TOKEN -u SPEECH_REGION "$SPEECH" --endpoint "$base_url" --key "$KEY" \
        --auth key --output json transcribe "${cli_files[@]}" --jobs "$j" >cli.out 2>cli.err) || true
    t1=$(now)
    ok=$(python3 -c '
import json, sys
ok = 0
for line in open(sys.argv[1]):
    try:
        ok += json.loads(line).get("status") == "Success"
    except ValueError:
        pass
print(ok)' "$work/cli.out")
    report cli "$j" "$t0" "$t1" "$ok" "$work/cli.err"
}

run_async() {
    local j=$1 t0 t1 ok
    t0=$(now)
    "$ASYNC_BENCH" "$base_url" "$KEY" "$WAV" "$N" "$j" >"$work/async.out" 2>"$work/async.err" || true
    t1=$(now)
    ok=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' "$work/async.out")
    say "  $(cat "$work/async.out")"
    report async "$j" "$t0" "$t1" "${ok:-0}" "$work/async.err"
}

# report WAY J T0 T1 OK STDERR_FILE: one table row; a failure is remembered (with the first lines of stderr).
report() {
    local way=$1 j=$2 secs rate ratio
    secs=$(elapsed "$3" "$4")
    rate=$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
    secs=$(awk -v s="$secs" 'BEGIN { printf "%.3f", s }')
    if [ "$way" = curl ]; then
        curl_rate[$j]=$rate
    fi
    ratio=$(awk -v r="$rate" -v c="${curl_rate[$j]:-0}" 'BEGIN { if (c > 0) printf "%.2f", r / c; else printf "-" }')
    rows+=("$(printf '%-6s %3s %9s %15s %22s' "$way" "$j" "$secs" "$rate" "$ratio")")
    say "$(printf '%-6s J=%-3s %s s, %s/s, %s of %s succeeded' "$way" "$j" "$secs" "$rate" "$5" "$N")"
    if [ "$5" -ne "$N" ]; then
        failures+=("$way J=$j: $((N - $5)) of $N failed")
        head -n 5 "$6" | sed 's/^/bench:   | /' >&2
    fi
}

say "N=$N recognitions per run, J in {$JOBS}; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
run_started=$(date +%s)
for j in $JOBS; do
    run_curl "$j"
    run_cli "$j"
    run_async "$j"
done
say "runs took $(($(date +%s) - run_started)) s"

# --- 5. The table --------------------------------------------------------------------------------------------

echo
echo "speech-to-text on loopback, emulator --deterministic, 1 s WAV, N=$N ($(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores)"
printf '%-6s %3s %9s %15s %22s\n' way J seconds recognitions/s "ratio-to-curl(same J)"
printf '%s\n' "${rows[@]}"

if [ "${#failures[@]}" -gt 0 ]; then
    echo
    printf 'FAILED: %s\n' "${failures[@]}"
    exit 1
fi

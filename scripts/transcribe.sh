#!/usr/bin/env bash
# The main job: transcribe recordings of speech with the `speech` CLI.
#
#   bash scripts/transcribe.sh examples/audio/jfk.wav [more files] [speech transcribe options]
#
# With no Azure credentials in the environment (SPEECH_KEY with SPEECH_REGION or SPEECH_ENDPOINT) it runs
# against the CLI's embedded offline emulator (Whisper base; SPEECH_EMULATOR_MODEL=tiny.en for the faster English-only model) and says so on stderr; with them, against Azure.
# Installs only what the main job needs first (scripts/setup.sh --main-job: the build tools, the prebuilt
# CTranslate2 and the model) and builds only the CLI with the offline engine (no async runtimes, HTTP clients or
# Azure identity crates, which only the tests use). The transcript is the only thing written to stdout.
set -euo pipefail

# Paths are given relative to the caller's directory: make them absolute before changing directory.
args=()
for arg in "$@"; do
    if [[ "$arg" != -* && "$arg" != /* && -e "$arg" ]]; then
        arg="$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")"
    fi
    args+=("$arg")
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

bash scripts/setup.sh --main-job >&2
cargo build --package speech-cli --features whisper --bin speech >&2
exec "$CARGO_TARGET_DIR/debug/speech" transcribe "${args[@]}"

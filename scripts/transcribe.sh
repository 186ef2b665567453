#!/usr/bin/env bash
# The main job: transcribe recordings of speech with the `speech` CLI.
#
#   bash scripts/transcribe.sh examples/audio/jfk.wav [more files] [speech transcribe options]
#
# With no Azure credentials in the environment (SPEECH_KEY with SPEECH_REGION or SPEECH_ENDPOINT) it runs
# against the CLI's embedded offline emulator (Whisper base; SPEECH_EMULATOR_MODEL=tiny.en for the faster English-only model) and says so on stderr; with them, against Azure.
# Installs what the offline engines need first (scripts/setup.sh) and builds the CLI with the same features as
# the test command (scripts/env.sh), so CTranslate2 is compiled once per machine. The transcript is the only
# thing written to stdout.
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

bash scripts/setup.sh >&2
cargo build --workspace --features "$SPEECH_FEATURES" --bin speech >&2
exec "$CARGO_TARGET_DIR/debug/speech" transcribe "${args[@]}"

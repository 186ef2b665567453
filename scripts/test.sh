#!/usr/bin/env bash
# Runs every test of the workspace, including the real offline engines. Installs what they need first
# (Debian packages and the pinned Whisper model; see scripts/setup.sh), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/setup.sh
echo "==> cargo test --workspace --features $SPEECH_FEATURES (target dir: $CARGO_TARGET_DIR)"
cargo test --workspace --features "$SPEECH_FEATURES" "$@"

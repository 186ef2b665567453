#!/usr/bin/env bash
# Runs every test of the workspace, including the real offline engines. Installs what they need first
# (Debian packages and the pinned Whisper model; see scripts/setup.sh), so it works on a fresh machine.
#
# With cargo-nextest (the CI machine has it; `cargo install cargo-nextest --locked` elsewhere) the tests run as
# `.config/nextest.toml` schedules them: the long real-engine, real-time and token-lifetime scenarios start first
# and overlap, which takes minutes off the run on a 2-core machine. Without it, `cargo test` runs the same tests
# (each test binary after the other, so longer). Arguments go to the test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/setup.sh
if cargo nextest --version >/dev/null 2>&1; then
  echo "==> cargo nextest run --workspace --features $SPEECH_FEATURES (target dir: $CARGO_TARGET_DIR)"
  cargo nextest run --workspace --features "$SPEECH_FEATURES" --no-fail-fast "$@"
  # nextest does not run documentation tests.
  echo "==> cargo test --workspace --features $SPEECH_FEATURES --doc"
  cargo test --workspace --features "$SPEECH_FEATURES" --doc
else
  echo "==> cargo-nextest is not installed: cargo test runs the test binaries one after another (slower;"
  echo "    cargo install cargo-nextest --locked)"
  echo "==> cargo test --workspace --features $SPEECH_FEATURES (target dir: $CARGO_TARGET_DIR)"
  cargo test --workspace --features "$SPEECH_FEATURES" "$@"
fi

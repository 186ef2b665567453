# Shared settings for the repo's scripts (sourced, not run).
# One cargo target directory, outside the clone, shared by the test command, the main job and CI, so that a
# fresh clone on a machine that has built before (CI runs on one) reuses what was compiled.
: "${SPEECH_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs}"
export SPEECH_CACHE_DIR
: "${CARGO_TARGET_DIR:=$SPEECH_CACHE_DIR/target}"
export CARGO_TARGET_DIR
# The features the test command builds with: the Whisper engine (on the prebuilt CTranslate2), every
# speech-async runtime and transport, the Azure identity bridges. The main job (scripts/transcribe.sh) builds the
# CLI with `whisper` only.
SPEECH_FEATURES="speech-emulator/whisper speech-cli/whisper speech-async/async-std speech-async/smol speech-async/tokio speech-async/reqwest speech-ureq/azure-core speech-async/azure-core speech-cli/azure-identity"

# Shared settings for the repo's scripts (sourced, not run).
# One cargo target directory, outside the clone, shared by the test command, the main job and CI, so that
# CTranslate2 (the emulator's speech-recognition engine, compiled from C++ source) is built once per machine.
: "${SPEECH_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs}"
export SPEECH_CACHE_DIR
: "${CARGO_TARGET_DIR:=$SPEECH_CACHE_DIR/target}"
export CARGO_TARGET_DIR
# The features every build here uses. Keeping them identical between the test command and the main job is what
# lets both reuse one build of CTranslate2.
SPEECH_FEATURES="speech-emulator/whisper speech-cli/whisper speech-async/async-std speech-async/smol speech-async/tokio speech-async/reqwest speech-ureq/azure-core speech-async/azure-core speech-cli/azure-identity"

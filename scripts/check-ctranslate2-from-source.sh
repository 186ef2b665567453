#!/usr/bin/env bash
# Checks that building the Whisper engine with CTranslate2 compiled from source (feature `whisper-from-source`,
# for platforms without the prebuilt library) still works as far as it can be checked cheaply: the feature
# turns on ct2rs' `ruy` mode and not its `system` mode, and CTranslate2's CMake project (the sources ct2rs
# bundles) configures with the options ct2rs' build script passes. Not the full build (about 10 minutes on 2
# cores): run `cargo build -p speech-cli --features whisper-from-source` for that.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

features="$(cargo tree -p speech-cli --features whisper-from-source -e features -i ct2rs --prefix none)"
grep -q '^ct2rs feature "ruy"' <<<"$features" || { echo "whisper-from-source does not enable ct2rs/ruy"; exit 1; }
if grep -q '^ct2rs feature "system"' <<<"$features"; then
    echo "whisper-from-source enables ct2rs/system (the prebuilt library)"
    exit 1
fi

manifest="$(cargo metadata --format-version 1 --features speech-cli/whisper-from-source |
    python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "ct2rs"))')"
source_dir="$(dirname "$manifest")/CTranslate2"
build_dir="$(mktemp -d)"
trap 'rm -rf "$build_dir"' EXIT
if ! cmake -S "$source_dir" -B "$build_dir" -DBUILD_CLI=OFF -DBUILD_SHARED_LIBS=OFF -DWITH_MKL=OFF \
    -DOPENMP_RUNTIME=NONE -DWITH_RUY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
    >"$build_dir/configure.log" 2>&1; then
    cat "$build_dir/configure.log"
    echo "CTranslate2's CMake project ($source_dir) does not configure"
    exit 1
fi
echo "whisper-from-source: ct2rs in ruy mode; CTranslate2 $(basename "$(dirname "$manifest")") configures"

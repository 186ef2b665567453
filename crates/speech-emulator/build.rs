//! Links the Whisper engine's CTranslate2.
//!
//! * Feature `whisper`: the prebuilt library that `scripts/setup.sh` unpacks from PyPI's `ctranslate2` wheel
//!   (4.8.4, the build faster-whisper runs) into `$SPEECH_CTRANSLATE2_DIR`, by default
//!   `${XDG_CACHE_HOME:-$HOME/.cache}/speech-emulator/ctranslate2-4.8.4`. ct2rs' `system` mode links
//!   `-lctranslate2`; this script adds that directory to the search path. The library's SONAME is its absolute
//!   path (set by the setup script), so binaries load it from there without `LD_LIBRARY_PATH` or an rpath.
//! * Feature `whisper-from-source`: ct2rs compiles CTranslate2 itself; nothing to do here.
//!
//! Either one sets `cfg(whisper_engine)`, which the engine's code is compiled under.
//!
//! ct2rs 0.10.3's `system` mode also asks for libraries the wheel's build holds inside `libctranslate2` or does
//! not use (cpu_features, and ruy's when `ruy` is also on) and, even without CUDA, for CUDA's static cuBLAS
//! libraries. Those are satisfied by empty archives: the dynamic-link ones are written here, the static ones
//! (which ct2rs' own compilation needs, before this script runs) are in `ctranslate2-shim/`, found through
//! `CMAKE_LIBRARY_PATH` in the workspace's `.cargo/config.toml` (or the copy `scripts/setup.sh` keeps beside the
//! prebuilt CTranslate2, which `scripts/env.sh` points to: one path for every clone).

use std::env;
use std::path::PathBuf;

/// The library file the wheel ships (its name carries auditwheel's hash).
const LIBRARY: &str = "libctranslate2-42c542ff.so.4.8.4";

/// What ct2rs' `system` mode links by name besides `ctranslate2` (x86-64; ruy's only with the `ruy` feature).
const STAND_INS: &[&str] = &["cpu_features"];
const RUY_STAND_INS: &[&str] = &[
    "cpuinfo",
    "clog",
    "ruy_allocator",
    "ruy_apply_multiplier",
    "ruy_block_map",
    "ruy_blocking_counter",
    "ruy_context",
    "ruy_context_get_ctx",
    "ruy_cpuinfo",
    "ruy_ctx",
    "ruy_denormal",
    "ruy_frontend",
    "ruy_prepacked_cache",
    "ruy_prepare_packed_matrices",
    "ruy_profiler_instrumentation",
    "ruy_system_aligned_alloc",
    "ruy_thread_pool",
    "ruy_trmul",
    "ruy_tune",
    "ruy_wait",
    "ruy_have_built_path_for_avx",
    "ruy_kernel_avx",
    "ruy_pack_avx",
    "ruy_have_built_path_for_avx2_fma",
    "ruy_kernel_avx2_fma",
    "ruy_pack_avx2_fma",
    "ruy_have_built_path_for_avx512",
    "ruy_kernel_avx512",
    "ruy_pack_avx512",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(whisper_engine)");
    println!("cargo::rerun-if-changed=build.rs");
    let prebuilt = env::var_os("CARGO_FEATURE_WHISPER").is_some();
    let from_source = env::var_os("CARGO_FEATURE_WHISPER_FROM_SOURCE").is_some();
    if prebuilt || from_source {
        println!("cargo::rustc-cfg=whisper_engine");
    }
    if prebuilt {
        link_prebuilt(from_source);
    }
}

fn link_prebuilt(with_ruy: bool) {
    println!("cargo::rerun-if-env-changed=SPEECH_CTRANSLATE2_DIR");
    println!("cargo::rerun-if-env-changed=XDG_CACHE_HOME");
    println!("cargo::rerun-if-env-changed=HOME");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os != "linux" || arch != "x86_64" {
        fail(&format!(
            "the prebuilt CTranslate2 exists for x86-64 Linux only, not {arch} {os}: build with the feature \
             `whisper-from-source` instead of `whisper`"
        ));
    }
    let dir = match env::var_os("SPEECH_CTRANSLATE2_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let cache = env::var_os("XDG_CACHE_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
            match cache {
                Some(cache) => cache.join("speech-emulator").join("ctranslate2-4.8.4"),
                None => fail("neither SPEECH_CTRANSLATE2_DIR nor HOME is set"),
            }
        }
    };
    let library = dir.join(LIBRARY);
    println!("cargo::rerun-if-changed={}", library.display());
    if !library.is_file() || !dir.join("libctranslate2.so").exists() {
        fail(&format!(
            "no prebuilt CTranslate2 in {}: run `bash scripts/setup.sh --main-job` from the repository (it \
             downloads PyPI's ctranslate2 4.8.4 wheel, hash-pinned, and unpacks its library there), or point \
             SPEECH_CTRANSLATE2_DIR at a directory made the same way, or build with the feature \
             `whisper-from-source` instead of `whisper`",
            dir.display()
        ));
    }
    println!("cargo::rustc-link-search=native={}", dir.display());

    let out =
        PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default()).join("ctranslate2-stand-ins");
    if let Err(e) = std::fs::create_dir_all(&out) {
        fail(&format!("cannot create {}: {e}", out.display()));
    }
    let names = STAND_INS
        .iter()
        .chain(if with_ruy { RUY_STAND_INS } else { &[] });
    for name in names {
        let path = out.join(format!("lib{name}.a"));
        if let Err(e) = std::fs::write(&path, b"!<arch>\n") {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
    }
    println!("cargo::rustc-link-search=native={}", out.display());
}

fn fail(message: &str) -> ! {
    eprintln!("error: speech-emulator: {message}");
    panic!("speech-emulator: {message}");
}

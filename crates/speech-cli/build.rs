//! `cfg(whisper_engine)`: the embedded emulator has the Whisper engine, whichever way CTranslate2 comes
//! (feature `whisper`, prebuilt, or `whisper-from-source`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(whisper_engine)");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_WHISPER").is_some()
        || std::env::var_os("CARGO_FEATURE_WHISPER_FROM_SOURCE").is_some()
    {
        println!("cargo::rustc-cfg=whisper_engine");
    }
}

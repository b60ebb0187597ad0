//! Puts memory.x where cortex-m-rt's link.x looks for it, and rebuilds when it changes.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../../tests/golden/expected.rs");
    println!("cargo:rerun-if-changed=../../tests/golden/scenario.rs");
}

//! Compiles our `.proto` files (proto/tensorflow/*.proto) with prost, using protox as the
//! parser so no system `protoc` is needed.
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from("proto/tensorflow");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("proto/tensorflow exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    files.sort();
    println!("cargo:rerun-if-changed=proto");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, ["proto"]).expect("proto files compile");
    prost_build::Config::new()
        .btree_map(["."])
        .compile_fds(fds)
        .expect("prost code generation");
}

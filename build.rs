//! Compiles our `.proto` files (proto/tensorflow/*.proto) with prost, using protox as the
//! parser so no system `protoc` is needed, and generates protobuf's JSON mapping for the same
//! messages with pbjson (TensorFlow.js `model.json` files hold a GraphDef in that mapping).
use std::path::PathBuf;

use prost::Message;

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
    let descriptors = fds.encode_to_vec();
    prost_build::Config::new()
        .btree_map(["."])
        .compile_fds(fds)
        .expect("prost code generation");
    pbjson_build::Builder::new()
        .register_descriptors(&descriptors)
        .expect("descriptors register")
        .btree_map(["."])
        // Converters add fields of newer protos (e.g. NodeDef's experimental debug info).
        .ignore_unknown_fields()
        .build(&[".tensorflow"])
        .expect("pbjson code generation");

    // TensorFlow Serving's model config (`wgtf serve --model-config-file`): its messages, and
    // the descriptor set prost-reflect parses the text format with.
    let serving = [PathBuf::from("proto/serving/model_server_config.proto")];
    println!("cargo:rerun-if-changed={}", serving[0].display());
    let fds = protox::compile(&serving, ["proto"]).expect("serving proto compiles");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("serving_descriptors.bin"), fds.encode_to_vec()).expect("descriptor set written");
    prost_build::Config::new().btree_map(["."]).compile_fds(fds).expect("prost code generation (serving)");
}

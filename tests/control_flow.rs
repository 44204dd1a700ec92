//! Control flow: how loops are planned (unrolled at plan time or run with a readback per
//! iteration), what a run costs in submits, bounds on iterations and nesting, and errors on
//! malformed function libraries. The numerical checks against TensorFlow are the `cf_*`
//! fixture cases (tests/fixtures/gen_control.py), run by tests/conformance.rs.
mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use wgtf::graph::{Graph, TensorRef};
use wgtf::kernel::{How, LoopReport};
use wgtf::proto::{self, attr_value::Value, AttrValue, NameAttrList};
use wgtf::{DType, LoadOptions, Tensor};

fn case(name: &str) -> PathBuf {
    common::fixtures_dir().join(name)
}

/// Prepares a graph as loading does: calls inlined, frames converted, what the functions hold
/// that wgtf cannot run reported.
fn prepare_checked(graph: Graph) -> wgtf::Result<Graph> {
    let g = wgtf::lower::pipeline::normalize(graph)?;
    let u = wgtf::lower::pipeline::unsupported_in_functions(&g, wgtf::ops::registry())?;
    if !u.is_empty() {
        return Err(wgtf::Error::Unsupported(u));
    }
    Ok(g)
}

/// Plans a graph (no GPU) and returns its loop reports.
fn plan(graph: Graph, feeds: &[(&str, DType, Vec<usize>)], fetches: &[&str]) -> wgtf::Result<Vec<LoopReport>> {
    let reg = wgtf::ops::registry();
    let g = prepare_checked(graph)?;
    let fetches: Vec<TensorRef> = fetches.iter().map(|f| TensorRef::parse(f).unwrap()).collect();
    let feeds: Vec<(TensorRef, DType, Vec<usize>)> =
        feeds.iter().map(|(n, d, s)| (TensorRef::parse(n).unwrap(), *d, s.clone())).collect();
    let fed: HashSet<TensorRef> = feeds.iter().map(|f| f.0.clone()).collect();
    let order = g.prune(&fetches, &fed)?;
    let folded = wgtf::lower::fold_constants(&g, reg, &order)?;
    let prog = wgtf::lower::compile(&wgtf::lower::CompileRequest { graph: &g, registry: reg, folded: &folded, feeds: &feeds, fetches: &fetches })?;
    Ok(prog.loops)
}

fn load(dir: &str) -> Graph {
    wgtf::import::load_graph(&case(dir).join("model.pb"), &LoadOptions::default()).unwrap()
}

#[test]
fn loops_with_a_shape_trip_count_are_unrolled() {
    // The trip count follows from the batch size: one plan per shape, the loop unrolled.
    for (rows, want) in [(6usize, 6usize), (2, 2)] {
        let r = plan(load("cf_while_loop"), &[("x:0", DType::F32, vec![rows, 4])], &["Identity:0", "Identity_1:0"]).unwrap();
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].how, How::Unrolled(want), "{}", r[0]);
    }
    // TF1 frames become the same While loops.
    let r = plan(load("cf_while_frames"), &[("x:0", DType::F32, vec![5, 4])], &["Identity_1:0"]).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].how, How::Unrolled(5), "{}", r[0]);
    assert!(r[0].node.ends_with("wgtf_while"), "{}", r[0].node);
}

#[test]
fn loops_with_a_data_trip_count_run_with_a_readback_per_iteration() {
    let r = plan(load("cf_data_loop"), &[("x:0", DType::F32, vec![3]), ("t:0", DType::F32, vec![])], &["Identity:0"]).unwrap();
    assert!(matches!(r[0].how, How::Runtime(_)), "{}", r[0]);

    let ctx = common::context();
    let model = ctx.load(case("cf_data_loop").join("model.pb")).unwrap();
    let x = Tensor::read_npy(case("cf_data_loop").join("in0.npy")).unwrap();
    let t = Tensor::read_npy(case("cf_data_loop").join("in1.npy")).unwrap();
    let want = Tensor::read_npy(case("cf_data_loop").join("out0.npy")).unwrap();
    let out = model.run(&[("x:0", &x), ("t:0", &t)], &["Identity:0", "Identity_1:0"]).unwrap();
    assert_eq!(out[0].to_i64_vec().unwrap(), want.to_i64_vec().unwrap());
    let steps = want.to_i64_vec().unwrap()[0] as u64;
    assert!(steps > 1);
    // Iterations are recorded in batches of 1, 2, 4, … 32 with one predicate readback (one
    // submit) after each, until a cond is false (the one after `steps` true ones); plus the
    // final submit.
    let (mut n, mut batch, mut reads) = (0u64, 1u64, 0u64);
    loop {
        n += batch;
        reads += 1;
        if n > steps {
            break;
        }
        batch = (batch * 2).min(32);
    }
    assert_eq!(model.stats().submits, reads + 1, "{steps} iterations: {:?}", model.stats());
    assert!(reads + 1 < steps + 2);

    // Another threshold: same plan, another trip count.
    let t2 = Tensor::from_f32(vec![], vec![1.0e20]).unwrap();
    let out2 = model.run(&[("x:0", &x), ("t:0", &t2)], &["Identity:0", "Identity_1:0"]).unwrap();
    assert_eq!(out2[0].to_i64_vec().unwrap(), vec![64], "maximum_iterations bounds the loop");
    assert_eq!(model.stats().plans_created, 1);
}

#[test]
fn a_loop_that_never_ends_is_stopped() {
    // (Above the 64 iterations of the data loop test, which may plan after this is set.)
    std::env::set_var("WGTF_MAX_LOOP_ITERATIONS", "200");
    let ctx = common::context();
    let path = common::fixtures_dir().join("../control/endless_loop.pb");
    let model = ctx.load(&path).unwrap();
    let x = Tensor::from_f32(vec![], vec![0.0]).unwrap();
    let e = model.run(&[("x:0", &x)], &["Identity:0"]).unwrap_err().to_string();
    assert!(e.contains("more than 200 iterations"), "{e}");
}

fn node(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, Value)>) -> proto::NodeDef {
    proto::NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        attr: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
        ..Default::default()
    }
}

fn func(name: &str) -> Value {
    Value::Func(NameAttrList { name: name.into(), attr: Default::default() })
}

fn f32_const(name: &str, v: f32) -> proto::NodeDef {
    let t = proto::TensorProto { dtype: DType::F32.to_tf(), float_val: vec![v], tensor_shape: Some(Default::default()), ..Default::default() };
    node(name, "Const", &[], vec![("dtype", Value::Type(DType::F32.to_tf())), ("value", Value::Tensor(t))])
}

fn fdef(name: &str, args: &[&str], rets: &[(&str, &str)], nodes: Vec<proto::NodeDef>) -> proto::FunctionDef {
    let arg = |n: &str| proto::op_def::ArgDef { name: n.into(), r#type: DType::F32.to_tf(), ..Default::default() };
    proto::FunctionDef {
        signature: Some(proto::OpDef {
            name: name.into(),
            input_arg: args.iter().map(|a| arg(a)).collect(),
            output_arg: rets.iter().map(|(a, _)| arg(a)).collect(),
            ..Default::default()
        }),
        node_def: nodes,
        ret: rets.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        ..Default::default()
    }
}

fn graph(nodes: Vec<proto::NodeDef>, lib: Vec<proto::FunctionDef>) -> Graph {
    Graph::from_graph_def(proto::GraphDef { node: nodes, library: Some(proto::FunctionDefLibrary { function: lib, gradient: vec![] }), ..Default::default() }, None).unwrap()
}

#[test]
fn malformed_function_libraries_are_errors_naming_the_node() {
    let x = node("x", "Placeholder", &[], vec![("dtype", Value::Type(DType::F32.to_tf()))]);
    // A While whose body is not in the library.
    let cond = fdef("cond", &["a"], &[("r", "less:z:0")], vec![f32_const("zero", 0.0), node("less", "Less", &["a", "zero:output:0"], vec![])]);
    let w = node("w", "While", &["x"], vec![("cond", func("cond")), ("body", func("nope"))]);
    let g = graph(vec![x.clone(), w], vec![cond.clone()]);
    let e = plan(g, &[("x:0", DType::F32, vec![])], &["w:0"]).unwrap_err().to_string();
    assert!(e.contains("'w'") && e.contains("nope"), "{e}");

    // A body that returns the wrong number of values.
    let body = fdef("body", &["a"], &[("r", "a"), ("s", "a")], vec![]);
    let w = node("w", "While", &["x"], vec![("cond", func("cond")), ("body", func("body"))]);
    let g = graph(vec![x.clone(), w], vec![cond.clone(), body]);
    let e = plan(g, &[("x:0", DType::F32, vec![])], &["w:0"]).unwrap_err().to_string();
    assert!(e.contains("'w'") && e.contains("carries 1 values"), "{e}");

    // An unsupported op inside a body is reported at load, with the function's name.
    let body = fdef("body", &["a"], &[("r", "m:y:0")], vec![node("m", "NoSuchOp", &["a"], vec![])]);
    let w = node("w", "While", &["x"], vec![("cond", func("cond")), ("body", func("body"))]);
    let g = graph(vec![x.clone(), w], vec![cond.clone(), body]);
    let e = prepare_checked(g).unwrap_err().to_string();
    assert!(e.contains("NoSuchOp") && e.contains("body/m"), "{e}");

    // Nested calls deeper than the limit (a function calling itself) are an error, not a hang.
    let rec = fdef("rec", &["a"], &[("r", "c:output:0")], vec![node("c", "PartitionedCall", &["a"], vec![("f", func("rec"))])]);
    let call = node("call", "PartitionedCall", &["x"], vec![("f", func("rec"))]);
    let g = graph(vec![x.clone(), call], vec![rec]);
    let e = prepare_checked(g).unwrap_err().to_string();
    assert!(e.contains("nest deeper"), "{e}");

    // A While that calls itself through its body.
    let body = fdef("body", &["a"], &[("r", "w2:output:0")], vec![node("w2", "While", &["a"], vec![("cond", func("cond")), ("body", func("body"))])]);
    let always = fdef("cond", &["a"], &[("r", "t:output:0")], vec![node("t", "Const", &[], vec![("dtype", Value::Type(DType::Bool.to_tf())), ("value", Value::Tensor(proto::TensorProto { dtype: DType::Bool.to_tf(), bool_val: vec![true], tensor_shape: Some(Default::default()), ..Default::default() }))])]);
    let w = node("w", "While", &["x"], vec![("cond", func("cond")), ("body", func("body"))]);
    let g = graph(vec![x, w], vec![always, body]);
    let e = plan(g, &[("x:0", DType::F32, vec![])], &["w:0"]).unwrap_err().to_string();
    assert!(e.contains("nest deeper"), "{e}");
}

#[test]
fn info_shows_loops_with_their_functions_and_counts() {
    let lines = wgtf::lower::report::info_lines(&load("cf_while_loop"), wgtf::ops::registry()).join("\n");
    assert!(lines.contains("While") && lines.contains("while_body") && lines.contains("while_cond"), "{lines}");
    let lines = wgtf::lower::report::info_lines(&load("cf_data_loop"), wgtf::ops::registry()).join("\n");
    assert!(lines.contains("runtime loop"), "{lines}");
}

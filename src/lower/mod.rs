//! Lowering: a graph becomes [`Program`](crate::kernel::Program)s. At load, [`pipeline`]
//! normalises, checks support, folds and fuses; per feed signature, [`compile`] prunes, infers
//! shapes, folds, and lowers each node through its op (control flow through [`control`]).
mod compile;
pub mod control;
mod fold;
pub mod fuse;
pub mod pipeline;
mod planner;
pub mod report;

pub use compile::{compile, compile_for, compile_valued, compile_with, CompileRequest, Syncs};
pub use fold::{fold_constants, Folded};

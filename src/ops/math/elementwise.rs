//! The elementwise math ops whose whole definition is a kernel code and host functions: one
//! row each (candle's unary-op list is the model). Their shared forms — inference, folding,
//! lowering — are `unary.rs`, `binary.rs`, `compare.rs` and `classify.rs`; the kernel codes are
//! the enums of `kernel/codes.rs`. An op needing more (attributes, other inputs) has its own
//! file.
use crate::kernel::codes::{BinaryOp, ClassifyOp, CompareOp, UnaryOp};
use crate::ops::math::binary::Binary;
use crate::ops::math::classify::Classify;
use crate::ops::math::compare::Compare;
use crate::ops::math::unary::{no_params, Unary};
use crate::ops::Registry;

/// A unary op on floats only.
const fn float(code: UnaryOp, float: fn(f64, [f32; 2]) -> f64) -> Unary {
    Unary::float(code, float)
}

/// A unary op on floats and integers.
const fn int(code: UnaryOp, float: fn(f64, [f32; 2]) -> f64, int: fn(i64) -> i64) -> Unary {
    Unary { code, float, int: Some(int), params: no_params }
}

/// A binary op on floats and integers.
const fn binary(code: BinaryOp, float: fn(f64, f64) -> f64, int: fn(i64, i64) -> i64) -> Binary {
    Binary::new(code, float, int)
}

/// A binary op on floats only.
const fn binary_float(code: BinaryOp, float: fn(f64, f64) -> f64) -> Binary {
    Binary { code, float, int: None }
}

/// Ops registered under two names, and used by other ops.
pub const ADD: Binary = binary(BinaryOp::Add, |a, b| a + b, |a, b| a.wrapping_add(b));
const DIV: Binary = binary(BinaryOp::Div, |a, b| a / b, |a, b| if b == 0 { 0 } else { a.wrapping_div(b) });
const TRUNCATE_MOD: Binary = binary(BinaryOp::TruncateMod, |a, b| a % b, |a, b| if b == 0 { 0 } else { a.wrapping_rem(b) });
const RECIPROCAL: Unary = float(UnaryOp::Reciprocal, |x, _| 1.0 / x);

/// y = f(x).
pub const UNARY: &[(&str, Unary)] = &[
    ("Abs", int(UnaryOp::Abs, |x, _| x.abs(), |x| x.wrapping_abs())),
    ("Neg", int(UnaryOp::Neg, |x, _| -x, |x| x.wrapping_neg())),
    ("Exp", float(UnaryOp::Exp, |x, _| x.exp())),
    ("Log", float(UnaryOp::Log, |x, _| x.ln())),
    ("Sqrt", float(UnaryOp::Sqrt, |x, _| x.sqrt())),
    ("Square", int(UnaryOp::Square, |x, _| x * x, |x| x.wrapping_mul(x))),
    ("Reciprocal", RECIPROCAL),
    ("Inv", RECIPROCAL),
    ("Sin", float(UnaryOp::Sin, |x, _| x.sin())),
    ("Cos", float(UnaryOp::Cos, |x, _| x.cos())),
    ("Tan", float(UnaryOp::Tan, |x, _| x.tan())),
    ("Asin", float(UnaryOp::Asin, |x, _| x.asin())),
    ("Acos", float(UnaryOp::Acos, |x, _| x.acos())),
    ("Atan", float(UnaryOp::Atan, |x, _| x.atan())),
    ("Sinh", float(UnaryOp::Sinh, |x, _| x.sinh())),
    ("Cosh", float(UnaryOp::Cosh, |x, _| x.cosh())),
    ("Asinh", float(UnaryOp::Asinh, |x, _| x.asinh())),
    ("Acosh", float(UnaryOp::Acosh, |x, _| x.acosh())),
    ("Atanh", float(UnaryOp::Atanh, |x, _| x.atanh())),
    ("Floor", float(UnaryOp::Floor, |x, _| x.floor())),
    ("Ceil", float(UnaryOp::Ceil, |x, _| x.ceil())),
    ("Round", int(UnaryOp::Round, |x, _| x.round_ties_even(), |x| x)),
    ("Sign", int(UnaryOp::Sign, |x, _| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { x }, |x| x.signum())),
    ("Erf", float(UnaryOp::Erf, |x, _| super::erf(x))),
    ("Erfc", float(UnaryOp::Erfc, |x, _| 1.0 - super::erf(x))),
    ("Expm1", float(UnaryOp::Expm1, |x, _| x.exp_m1())),
    ("Log1p", float(UnaryOp::Log1p, |x, _| x.ln_1p())),
    ("Rsqrt", float(UnaryOp::Rsqrt, |x, _| 1.0 / x.sqrt())),
    ("LogicalNot", int(UnaryOp::LogicalNot, |x, _| (x == 0.0) as u8 as f64, |x| (x == 0) as i64)),
];

/// c = f(a, b) with NumPy broadcasting.
pub const BINARY: &[(&str, Binary)] = &[
    ("Add", ADD),
    ("AddV2", ADD),
    ("Sub", binary(BinaryOp::Sub, |a, b| a - b, |a, b| a.wrapping_sub(b))),
    ("Mul", binary(BinaryOp::Mul, |a, b| a * b, |a, b| a.wrapping_mul(b))),
    ("RealDiv", DIV),
    ("Div", DIV),
    ("Maximum", binary(BinaryOp::Maximum, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }, |a, b| a.max(b))),
    ("Minimum", binary(BinaryOp::Minimum, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }, |a, b| a.min(b))),
    ("Pow", binary(BinaryOp::Pow, |a, b| a.powf(b), |a, b| if b < 0 { 0 } else { a.wrapping_pow(b.min(u32::MAX as i64) as u32) })),
    ("SquaredDifference", binary(BinaryOp::SquaredDifference, |a, b| (a - b) * (a - b), |a, b| (a - b).wrapping_mul(a - b))),
    ("FloorDiv", binary(BinaryOp::FloorDiv, |a, b| (a / b).floor(), floor_div)),
    ("FloorMod", binary(BinaryOp::FloorMod, |a, b| a - b * (a / b).floor(), |a, b| if b == 0 { 0 } else { let r = a % b; if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r } })),
    ("TruncateMod", TRUNCATE_MOD),
    ("Mod", TRUNCATE_MOD),
    ("DivNoNan", binary(BinaryOp::DivNoNan, |a, b| if b == 0.0 { 0.0 } else { a / b }, |a, b| if b == 0 { 0 } else { a.wrapping_div(b) })),
    ("TruncateDiv", binary(BinaryOp::TruncateDiv, |a, b| (a / b).trunc(), |a, b| if b == 0 { 0 } else { a.wrapping_div(b) })),
    ("Atan2", binary_float(BinaryOp::Atan2, |a, b| a.atan2(b))),
    ("MulNoNan", binary_float(BinaryOp::MulNoNan, |a, b| if b == 0.0 { 0.0 } else { a * b })),
    ("LogicalAnd", binary(BinaryOp::LogicalAnd, |a, b| ((a != 0.0) && (b != 0.0)) as u8 as f64, |a, b| ((a != 0) && (b != 0)) as i64)),
    ("LogicalOr", binary(BinaryOp::LogicalOr, |a, b| ((a != 0.0) || (b != 0.0)) as u8 as f64, |a, b| ((a != 0) || (b != 0)) as i64)),
];

/// Integer floor division (0 for a zero divisor).
fn floor_div(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) { q - 1 } else { q }
}

/// (a OP b) as bool, with NumPy broadcasting.
pub const COMPARE: &[(&str, Compare)] = &[
    ("Equal", Compare { code: CompareOp::Equal, f: |a, b| a == b }),
    ("NotEqual", Compare { code: CompareOp::NotEqual, f: |a, b| a != b }),
    ("Less", Compare { code: CompareOp::Less, f: |a, b| a < b }),
    ("LessEqual", Compare { code: CompareOp::LessEqual, f: |a, b| a <= b }),
    ("Greater", Compare { code: CompareOp::Greater, f: |a, b| a > b }),
    ("GreaterEqual", Compare { code: CompareOp::GreaterEqual, f: |a, b| a >= b }),
];

/// Float classes, as bool.
pub const CLASSIFY: &[(&str, Classify)] = &[
    ("IsNan", Classify { code: ClassifyOp::IsNan, f: f64::is_nan }),
    ("IsInf", Classify { code: ClassifyOp::IsInf, f: f64::is_infinite }),
    ("IsFinite", Classify { code: ClassifyOp::IsFinite, f: f64::is_finite }),
];

/// Registers every row under `family`.
pub fn register(r: &mut Registry, family: &'static str) {
    for &(name, op) in UNARY {
        op.register(r, family, name);
    }
    for &(name, op) in BINARY {
        r.add(family, name, op);
    }
    for &(name, op) in COMPARE {
        r.add(family, name, op);
    }
    for &(name, op) in CLASSIFY {
        r.add(family, name, op);
    }
}

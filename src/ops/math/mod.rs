//! Elementwise math: unary functions, binary arithmetic with broadcasting, comparisons, logic.
pub mod binary;
pub mod compare;
pub mod unary;

pub mod abs;
pub mod acos;
pub mod acosh;
pub mod add;
pub mod add_n;
pub mod asin;
pub mod asinh;
pub mod atan;
pub mod atan2;
pub mod atanh;
pub mod ceil;
pub mod cos;
pub mod cosh;
pub mod div_no_nan;
pub mod equal;
pub mod erf;
pub mod erfc;
pub mod exp;
pub mod expm1;
pub mod floor;
pub mod floor_div;
pub mod floor_mod;
pub mod greater;
pub mod greater_equal;
pub mod less;
pub mod less_equal;
pub mod log;
pub mod log1p;
pub mod logical;
pub mod maximum;
pub mod minimum;
pub mod mul;
pub mod mul_no_nan;
pub mod neg;
pub mod not_equal;
pub mod pow;
pub mod real_div;
pub mod reciprocal;
pub mod round;
pub mod rsqrt;
pub mod sign;
pub mod sin;
pub mod sinh;
pub mod sqrt;
pub mod square;
pub mod squared_difference;
pub mod sub;
pub mod tan;
pub mod truncate_div;
pub mod truncate_mod;
pub mod select;
pub mod clip_by_value;
pub mod classify;
pub mod is_nan;
pub mod is_inf;
pub mod is_finite;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add("math", "Abs", abs::OP);
    r.add("math", "Neg", neg::OP);
    r.add("math", "Exp", exp::OP);
    r.add("math", "Log", log::OP);
    r.add("math", "Sqrt", sqrt::OP);
    r.add("math", "Square", square::OP);
    r.add("math", "Reciprocal", reciprocal::OP);
    r.add("math", "Sin", sin::OP);
    r.add("math", "Cos", cos::OP);
    r.add("math", "Tan", tan::OP);
    r.add("math", "Asin", asin::OP);
    r.add("math", "Acos", acos::OP);
    r.add("math", "Atan", atan::OP);
    r.add("math", "Sinh", sinh::OP);
    r.add("math", "Cosh", cosh::OP);
    r.add("math", "Asinh", asinh::OP);
    r.add("math", "Acosh", acosh::OP);
    r.add("math", "Atanh", atanh::OP);
    r.add("math", "Floor", floor::OP);
    r.add("math", "Ceil", ceil::OP);
    r.add("math", "Round", round::OP);
    r.add("math", "Sign", sign::OP);
    r.add("math", "Erf", erf::OP);
    r.add("math", "Erfc", erfc::OP);
    r.add("math", "Expm1", expm1::OP);
    r.add("math", "Log1p", log1p::OP);
    r.add("math", "Rsqrt", rsqrt::OP);
    r.add("math", "Add", add::OP);
    r.add("math", "Sub", sub::OP);
    r.add("math", "Mul", mul::OP);
    r.add("math", "RealDiv", real_div::OP);
    r.add("math", "Maximum", maximum::OP);
    r.add("math", "Minimum", minimum::OP);
    r.add("math", "Pow", pow::OP);
    r.add("math", "SquaredDifference", squared_difference::OP);
    r.add("math", "FloorDiv", floor_div::OP);
    r.add("math", "FloorMod", floor_mod::OP);
    r.add("math", "TruncateMod", truncate_mod::OP);
    r.add("math", "DivNoNan", div_no_nan::OP);
    r.add("math", "TruncateDiv", truncate_div::OP);
    r.add("math", "Atan2", atan2::OP);
    r.add("math", "MulNoNan", mul_no_nan::OP);
    r.add("math", "AddV2", add::OP);
    r.add("math", "Div", real_div::OP);
    r.add("math", "Mod", truncate_mod::OP);
    r.add("math", "Inv", reciprocal::OP);
    r.add("math", "Equal", equal::OP);
    r.add("math", "NotEqual", not_equal::OP);
    r.add("math", "Less", less::OP);
    r.add("math", "LessEqual", less_equal::OP);
    r.add("math", "Greater", greater::OP);
    r.add("math", "GreaterEqual", greater_equal::OP);
    r.add("math", "LogicalAnd", logical::AND);
    r.add("math", "LogicalOr", logical::OR);
    r.add("math", "LogicalNot", logical::NOT);
    r.add("math", "AddN", add_n::AddN);
    r.add("math", "Select", select::Select { v2: false });
    r.add("math", "SelectV2", select::Select { v2: true });
    r.add("math", "ClipByValue", clip_by_value::ClipByValue);
    r.add("math", "IsNan", is_nan::OP);
    r.add("math", "IsInf", is_inf::OP);
    r.add("math", "IsFinite", is_finite::OP);
}

/// The error function (for folding), accurate to about 1e-7.
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.5 * a);
    let r = t * (-a * a - 1.26551223
        + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
        .exp();
    if x >= 0.0 { 1.0 - r } else { r - 1.0 }
}

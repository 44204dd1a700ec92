//! Elementwise math: unary functions, binary arithmetic with broadcasting, comparisons, logic.
pub mod binary;
pub mod compare;
pub mod elementwise;
pub mod unary;

pub mod add_n;
pub mod select;
pub mod clip_by_value;
pub mod classify;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    elementwise::register(r, "math");
    r.add("math", "AddN", add_n::AddN);
    r.add("math", "Select", select::Select { v2: false });
    r.add("math", "SelectV2", select::Select { v2: true });
    r.add("math", "ClipByValue", clip_by_value::ClipByValue);
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

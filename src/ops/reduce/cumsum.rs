//! Cumsum: running sums along an axis, with exclusive and reverse (see scan.rs).
use crate::ops::reduce::scan::Scan;

pub const OP: Scan = Scan { prod: false, exclusive: false, reverse: false };

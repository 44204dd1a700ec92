//! Cumprod: running products along an axis, with exclusive and reverse (see scan.rs).
use crate::ops::reduce::scan::Scan;

pub const OP: Scan = Scan { prod: true, exclusive: false, reverse: false };

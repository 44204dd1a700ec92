//! Reductions.
pub mod reduce;
pub mod arg;
pub mod arg_max;
pub mod arg_min;
pub mod scan;
pub mod cumsum;
pub mod cumprod;
pub mod top_k;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add_built("reduce", "Sum", |n| reduce::SUM.build(n));
    r.add_built("reduce", "Mean", |n| reduce::MEAN.build(n));
    r.add_built("reduce", "Max", |n| reduce::MAX.build(n));
    r.add_built("reduce", "Min", |n| reduce::MIN.build(n));
    r.add_built("reduce", "Prod", |n| reduce::PROD.build(n));
    r.add_built("reduce", "All", |n| reduce::ALL.build(n));
    r.add_built("reduce", "Any", |n| reduce::ANY.build(n));
    r.add_built("reduce", "EuclideanNorm", |n| reduce::EUCLIDEAN_NORM.build(n));
    r.add_built("reduce", "ArgMax", |n| arg_max::OP.build(n));
    r.add_built("reduce", "ArgMin", |n| arg_min::OP.build(n));
    r.add_built("reduce", "Cumsum", |n| cumsum::OP.build(n));
    r.add_built("reduce", "Cumprod", |n| cumprod::OP.build(n));
    r.add_built("reduce", "TopKV2", |n| top_k::TopK::build(n, true));
    r.add_built("reduce", "TopK", |n| top_k::TopK::build(n, false));
}

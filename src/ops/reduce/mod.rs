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
    r.add("reduce", "Sum", reduce::SUM);
    r.add("reduce", "Mean", reduce::MEAN);
    r.add("reduce", "Max", reduce::MAX);
    r.add("reduce", "Min", reduce::MIN);
    r.add("reduce", "Prod", reduce::PROD);
    r.add("reduce", "All", reduce::ALL);
    r.add("reduce", "Any", reduce::ANY);
    r.add("reduce", "EuclideanNorm", reduce::EUCLIDEAN_NORM);
    r.add("reduce", "ArgMax", arg_max::OP);
    r.add("reduce", "ArgMin", arg_min::OP);
    r.add("reduce", "Cumsum", cumsum::OP);
    r.add("reduce", "Cumprod", cumprod::OP);
    r.add("reduce", "TopKV2", top_k::TopK { v2: true });
    r.add("reduce", "TopK", top_k::TopK { v2: false });
}

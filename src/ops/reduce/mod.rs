//! Reductions.
pub mod reduce;

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
}

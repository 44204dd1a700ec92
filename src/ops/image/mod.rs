//! Image ops: resizing, crops, non-max suppression.
pub mod crop_and_resize;
pub mod nms;
pub mod resize;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add_built("image", "ResizeBilinear", |n| resize::Resize::build(n, false));
    r.add_built("image", "ResizeNearestNeighbor", |n| resize::Resize::build(n, true));
    r.add_built("image", "CropAndResize", crop_and_resize::CropAndResize::build);
    r.add_built("image", "NonMaxSuppression", |n| nms::Nms::build(n, 1));
    r.add_built("image", "NonMaxSuppressionV2", |n| nms::Nms::build(n, 2));
    r.add_built("image", "NonMaxSuppressionV3", |n| nms::Nms::build(n, 3));
    r.add_built("image", "NonMaxSuppressionV4", |n| nms::Nms::build(n, 4));
    r.add_built("image", "NonMaxSuppressionV5", |n| nms::Nms::build(n, 5));
}

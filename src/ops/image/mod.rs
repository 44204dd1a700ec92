//! Image ops: resizing, crops, non-max suppression.
pub mod crop_and_resize;
pub mod nms;
pub mod resize;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add("image", "ResizeBilinear", resize::Resize { nearest: false });
    r.add("image", "ResizeNearestNeighbor", resize::Resize { nearest: true });
    r.add("image", "CropAndResize", crop_and_resize::CropAndResize);
    r.add("image", "NonMaxSuppression", nms::Nms { version: 1 });
    r.add("image", "NonMaxSuppressionV2", nms::Nms { version: 2 });
    r.add("image", "NonMaxSuppressionV3", nms::Nms { version: 3 });
    r.add("image", "NonMaxSuppressionV4", nms::Nms { version: 4 });
    r.add("image", "NonMaxSuppressionV5", nms::Nms { version: 5 });
}

//! Sources, views and data movement: Const, Placeholder, Identity, Reshape, Transpose, Concat,
//! Pack, Pad, StridedSlice, Shape, Cast.
pub mod cast;
pub mod concat;
pub mod identity;
pub mod pack;
pub mod pad;
pub mod reshape;
pub mod shape;
pub mod source;
pub mod strided_slice;
pub mod transpose;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add("array", "Const", source::Const);
    r.add("array", "Placeholder", source::Placeholder);
    r.add("array", "PlaceholderWithDefault", source::PlaceholderWithDefault);
    r.add("array", "Identity", identity::Identity { all: false });
    r.add("array", "IdentityN", identity::Identity { all: true });
    r.add("array", "StopGradient", identity::Identity { all: false });
    r.add("array", "PreventGradient", identity::Identity { all: false });
    r.add("array", "Snapshot", identity::Identity { all: false });
    r.add("array", "EnsureShape", identity::Identity { all: false });
    r.add("array", "CheckNumerics", identity::Identity { all: false });
    r.add("array", "NoOp", identity::NoOp);
    r.add("array", "Reshape", reshape::View(reshape::Kind::Reshape));
    r.add("array", "Squeeze", reshape::View(reshape::Kind::Squeeze));
    r.add("array", "ExpandDims", reshape::View(reshape::Kind::ExpandDims));
    r.add("array", "Transpose", transpose::Transpose);
    r.add("array", "ConcatV2", concat::Concat { axis_first: false });
    r.add("array", "Concat", concat::Concat { axis_first: true });
    r.add("array", "Pack", pack::Pack);
    r.add("array", "Pad", pad::Pad { mirror: false });
    r.add("array", "PadV2", pad::Pad { mirror: false });
    r.add("array", "MirrorPad", pad::Pad { mirror: true });
    r.add("array", "StridedSlice", strided_slice::StridedSlice { slice: false });
    r.add("array", "Slice", strided_slice::StridedSlice { slice: true });
    r.add("array", "Shape", shape::ShapeOf(shape::Kind::Shape));
    r.add("array", "ShapeN", shape::ShapeOf(shape::Kind::ShapeN));
    r.add("array", "Size", shape::ShapeOf(shape::Kind::Size));
    r.add("array", "Rank", shape::ShapeOf(shape::Kind::Rank));
    r.add("array", "Cast", cast::Cast);
}

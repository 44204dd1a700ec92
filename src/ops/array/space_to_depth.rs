//! SpaceToDepth: block_size × block_size spatial tiles moved into channels (see
//! depth_to_space.rs, which holds the shared view).
use crate::ops::array::depth_to_space::DepthSpace;

pub const OP: DepthSpace = DepthSpace { to_depth: true };

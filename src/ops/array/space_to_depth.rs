//! SpaceToDepth: block_size × block_size spatial tiles moved into channels (see
//! depth_to_space.rs, which holds the shared view and the op, built with `to_depth`).

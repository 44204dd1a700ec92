//! Matrix products.
pub mod band_part;
pub mod batch_matmul;
pub mod einsum;
pub mod fused_matmul;
pub mod gemm;
pub mod matmul;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add_built("linalg", "MatMul", matmul::MatMul::build);
    r.add_built("linalg", "BatchMatMul", batch_matmul::BatchMatMul::build);
    r.add_built("linalg", "BatchMatMulV2", batch_matmul::BatchMatMul::build);
    r.add_built("linalg", "BatchMatMulV3", batch_matmul::BatchMatMul::build);
    r.add_built("linalg", "Einsum", einsum::Einsum::build);
    r.add("linalg", "MatrixBandPart", band_part::MatrixBandPart);
    r.add_built("linalg", "_FusedMatMul", fused_matmul::FusedMatMul::build);
}

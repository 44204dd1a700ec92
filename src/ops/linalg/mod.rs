//! Matrix products.
pub mod batch_matmul;
pub mod gemm;
pub mod matmul;

use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    r.add("linalg", "MatMul", matmul::MatMul);
    r.add("linalg", "BatchMatMul", batch_matmul::BatchMatMul);
    r.add("linalg", "BatchMatMulV2", batch_matmul::BatchMatMul);
    r.add("linalg", "BatchMatMulV3", batch_matmul::BatchMatMul);
}

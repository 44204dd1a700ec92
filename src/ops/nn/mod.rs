//! Neural-network ops: activations, convolutions, pooling, normalisation, softmax.

pub mod activation;
pub mod bias_add;
pub mod conv2d;
pub mod conv2d_transpose;
pub mod conv3d;
pub mod conv3d_transpose;
pub mod depthwise;
pub mod fused;
pub mod fused_batch_norm;
pub mod fused_conv2d;
pub mod fused_depthwise;
pub mod layout;
pub mod lrn;
pub mod pool;
pub mod pool3d;
pub mod softmax;
pub mod window;

use crate::kernel::codes::PoolMode;
use crate::ops::Registry;

pub fn register(r: &mut Registry) {
    activation::register(r, "nn");
    r.add_built("nn", "Conv2D", conv2d::Conv2D::build);
    r.add_built("nn", "DepthwiseConv2dNative", depthwise::Depthwise::build);
    r.add_built("nn", "MaxPool", |n| pool::Pool::build(n, PoolMode::Max));
    r.add_built("nn", "AvgPool", |n| pool::Pool::build(n, PoolMode::Avg));
    r.add_built("nn", "FusedBatchNorm", fused_batch_norm::FusedBatchNorm::build);
    r.add_built("nn", "FusedBatchNormV2", fused_batch_norm::FusedBatchNorm::build);
    r.add_built("nn", "FusedBatchNormV3", fused_batch_norm::FusedBatchNorm::build);
    r.add("nn", "Softmax", softmax::Softmax { log: false });
    r.add("nn", "LogSoftmax", softmax::Softmax { log: true });
    r.add_built("nn", "BiasAdd", bias_add::BiasAdd::build);
    r.add_built("nn", "BiasAddV1", bias_add::BiasAdd::build);
    r.add_built("nn", "Conv2DBackpropInput", |n| conv2d_transpose::Conv2DBackpropInput::build(n, true));
    r.add_built("nn", "Conv2DBackpropInputV2", |n| conv2d_transpose::Conv2DBackpropInput::build(n, false));
    r.add_built("nn", "Conv3DBackpropInput", |n| conv3d_transpose::Conv3DBackpropInput::build(n, false));
    r.add_built("nn", "Conv3DBackpropInputV2", |n| conv3d_transpose::Conv3DBackpropInput::build(n, true));
    r.add_built("nn", "Conv3D", conv3d::Conv3D::build);
    r.add_built("nn", "MaxPool3D", |n| pool3d::Pool3D::build(n, PoolMode::Max));
    r.add_built("nn", "AvgPool3D", |n| pool3d::Pool3D::build(n, PoolMode::Avg));
    r.add_built("nn", "LRN", lrn::Lrn::build);
    r.add_built("nn", "_FusedConv2D", fused_conv2d::FusedConv2D::build);
    r.add_built("nn", "_FusedDepthwiseConv2dNative", fused_depthwise::FusedDepthwise::build);
    r.add_built("nn", "FusedDepthwiseConv2dNative", fused_depthwise::FusedDepthwise::build);
}

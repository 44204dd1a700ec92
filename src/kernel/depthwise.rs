//! The depthwise kernel a target computes channel-multiplier-1 depthwise convolutions with
//! (plain data; the runtime chooses it per adapter: `runtime/tune.rs`).

use crate::kernel::codes::DepthwiseCols;

/// How `nn/depthwise_vec4.wgsl` splits a depthwise convolution of multiplier 1 and channels in
/// fours between invocations: each computes 4 channels (vec4 loads) of [`DepthwiseChoice::cols`]
/// consecutive output columns. Every choice gives the same results up to float rounding (each
/// output sums its taps in the same order). Other depthwise convolutions use
/// `nn/depthwise.wgsl` whatever the choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DepthwiseChoice {
    /// 4 channels × 4 output columns per invocation: each filter tap is loaded once for 4
    /// columns and 3-wide taps share input columns (CPU adapters, where invocations cost).
    #[default]
    Cols4,
    /// 4 channels × 1 output column per invocation: 4 times as many invocations, each with one
    /// accumulator (GPUs with many lanes, where registers and occupancy count).
    Cols1,
}

impl DepthwiseChoice {
    /// Every choice, in the order the autotune times them.
    pub const ALL: [DepthwiseChoice; 2] = [DepthwiseChoice::Cols4, DepthwiseChoice::Cols1];

    /// The name `WGTF_DEPTHWISE`, the cache and `wgtf devices` use.
    pub fn name(self) -> &'static str {
        match self {
            DepthwiseChoice::Cols4 => "cols4",
            DepthwiseChoice::Cols1 => "cols1",
        }
    }

    /// The choice of a name (`cols4`, `cols1`; case-insensitive).
    pub fn parse(s: &str) -> Option<DepthwiseChoice> {
        DepthwiseChoice::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The shader's `COLS` override: output columns per invocation.
    pub fn cols(self) -> DepthwiseCols {
        match self {
            DepthwiseChoice::Cols4 => DepthwiseCols::Block,
            DepthwiseChoice::Cols1 => DepthwiseCols::Single,
        }
    }
}

impl std::fmt::Display for DepthwiseChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

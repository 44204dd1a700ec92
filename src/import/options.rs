//! How a model is loaded.
use super::RestoreOptions;

/// Options for loading a model.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Import every node under this name scope (`prefix/node`), like `import_graph_def(name=…)`.
    pub prefix: Option<String>,
    /// SavedModel: the signature whose keys may name feeds and fetches (default
    /// `serving_default`, when there is one).
    pub signature: Option<String>,
    /// SavedModel: the tags of the meta graph to load (default `serve`, or the only one).
    pub tags: Vec<String>,
    /// Checkpoints: which variables to restore, from where, and values given for them.
    pub restore: RestoreOptions,
    /// How float tensors are held on the GPU (default f32).
    pub precision: Precision,
}

/// How float tensors are held on the GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// 32-bit floats, as TensorFlow computes them.
    #[default]
    F32,
    /// Weights and activations stored as 16-bit floats where the ops have f16 kernels (matrix
    /// products, convolutions, elementwise ops, pooling, reductions, softmax), computed and
    /// accumulated in f32: half the memory and bandwidth, about three decimal digits. Needs the
    /// adapter's `shader-f16`. Integer tensors are untouched.
    F16,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "fp32" | "float32" => Ok(Precision::F32),
            "f16" | "fp16" | "float16" | "half" => Ok(Precision::F16),
            _ => Err(format!("unknown precision '{s}' (f32 or f16)")),
        }
    }
}

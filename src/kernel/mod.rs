//! Kernels as plain data: a [`Program`] lists tensors, kernels (WGSL variant, workgroup counts,
//! meta block, bindings), feeds, fetches, steps and sync points; [`Lower`] is what an op uses to
//! emit them; the memory plan and the word codec turn it into buffers. Nothing here touches
//! wgpu, so lowering is testable without a GPU.
pub mod codes;
mod depthwise;
mod gemm;
pub mod memory;
pub mod meta;
mod shader;
pub mod steps;
pub mod words;

use std::sync::Arc;

pub use shader::{spread_groups, grid, Meta, ShaderVariant, ELEMENT_ALIAS, FLOAT_ALIAS, LOOP_BUDGET, MAX_GROUPS_PER_DIM, MAX_LOOP_ITERATIONS, MAX_RANK, META_BYTES};
pub use crate::shaders::Shader;
pub use depthwise::DepthwiseChoice;
pub use gemm::GemmChoice;
pub use steps::{How, LoopReport, LoopStep, Step};

use crate::error::Result;
use crate::graph::{Node, TensorRef};
use crate::tensor::{num_elements, DType, Tensor};

/// What lowering may assume about the adapter. Plain data: lowering stays testable without a
/// GPU, and only kernel choices depend on it, never results (beyond float rounding).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// The GEMM kernel of matrix products and convolutions ([`GemmChoice`]), chosen per
    /// adapter by the runtime (`runtime/tune.rs`: a rule, an autotune, or `WGTF_GEMM`).
    pub gemm: GemmChoice,
    /// How depthwise convolutions of multiplier 1 and channels in fours split between
    /// invocations ([`DepthwiseChoice`]), chosen per adapter like [`Target::gemm`]
    /// (`WGTF_DEPTHWISE`).
    pub depthwise: DepthwiseChoice,
    /// int64 tensors are held as 64-bit integers (`i64` in WGSL; wgpu's `SHADER_INT64`) and
    /// computed exactly. Without it they are narrowed to 32 bits, and a constant or feed
    /// outside the int32 range is an error.
    pub int64: bool,
    /// The largest storage binding in bytes (0: unlimited). Kernels that can split a tensor
    /// larger than this into windows do (matrix products by K).
    pub max_binding: u64,
    /// The adapter has subgroup operations: workgroup-wide reductions (reductions, softmax) use
    /// them (`common/group_subgroup.wgsl`) instead of a shared-memory tree.
    pub subgroups: bool,
    /// Kernels are chosen so that each row of a batch is computed the same way whatever the
    /// number of rows: the results of a batch equal, bit for bit, those of its rows run one by
    /// one (dynamic batching in `wgtf serve` relies on it). Without it, matrix products of at
    /// most 4 rows on CPU adapters split K across lanes, which sums in another order.
    pub batch_invariant: bool,
    /// Float tensors are stored as f16 where the ops reading and writing them have f16 kernels
    /// (`--precision f16`; needs the adapter's `shader-f16`): constants and feeds are uploaded
    /// as f16, kernels compute and accumulate in f32, and the planner converts at the edges of
    /// ops without f16 kernels (see [`Storage::F16`]).
    pub f16: bool,
}

impl Target {
    /// `v` with its workgroup-wide reductions in subgroup form where the target has subgroups
    /// (f32 and i32 values only: 64-bit subgroup operations are an extra device feature).
    pub fn group_reduce(&self, v: ShaderVariant, ty: Storage) -> ShaderVariant {
        if self.subgroups && ty != Storage::I64 {
            v.swap("common/group_tree.wgsl", "common/group_subgroup.wgsl")
        } else {
            v
        }
    }
}

/// The smallest buffer and binding of a tensor (one `vec4<f32>`).
pub const MIN_BINDING_BYTES: u64 = 16;

/// Index of a tensor in a [`Program`].
pub type TensorId = usize;

/// How a tensor's elements are held in a GPU buffer: one 32-bit word per element (floats
/// widened to f32; bool, 8/16/32-bit integers, and int64 where narrowed, as i32), one 64-bit
/// integer (int64 on adapters with `SHADER_INT64`), or one f16 (float tensors under
/// `--precision f16`, between ops with f16 kernels: shaders declaring `alias F = f32;` get
/// `F = f16`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    F32,
    I32,
    I64,
    F16,
}

impl Storage {
    /// The 32-bit storage of a dtype (int64 narrowed); `None` for dtypes that cannot live on
    /// the GPU (strings, complex numbers).
    pub fn of(dtype: DType) -> Option<Storage> {
        if dtype.is_float() {
            Some(Storage::F32)
        } else if dtype.is_int() || dtype == DType::Bool {
            Some(Storage::I32)
        } else {
            None
        }
    }
    /// The storage of a dtype for an adapter: int64 is 64-bit where the target has exact int64
    /// (uint32 and uint64 stay 32-bit words, as before).
    pub fn on(dtype: DType, target: &Target) -> Option<Storage> {
        match dtype {
            DType::I64 if target.int64 => Some(Storage::I64),
            _ => Storage::of(dtype),
        }
    }
    /// How constants and feeds of a dtype are uploaded: as [`Storage::on`], but floats are f16
    /// under `--precision f16` (halving the bytes uploaded and held).
    pub fn stored(dtype: DType, target: &Target) -> Option<Storage> {
        match Storage::on(dtype, target) {
            Some(Storage::F32) if target.f16 => Some(Storage::F16),
            s => s,
        }
    }
    /// The WGSL scalar type.
    pub fn wgsl(self) -> &'static str {
        match self {
            Storage::F32 => "f32",
            Storage::I32 => "i32",
            Storage::I64 => "i64",
            Storage::F16 => "f16",
        }
    }
    /// Bytes per element.
    pub fn bytes(self) -> u64 {
        match self {
            Storage::I64 => 8,
            Storage::F16 => 2,
            _ => 4,
        }
    }
    /// Holds floats (f32 or f16).
    pub fn is_float(self) -> bool {
        matches!(self, Storage::F32 | Storage::F16)
    }
}

/// Where a tensor's buffer comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Uploaded from the caller's feed at each run (index into `Program::feeds`).
    Feed(usize),
    /// A constant uploaded once when the model was loaded.
    Const(TensorRef),
    /// A constant computed while planning, uploaded once when the plan is built.
    PlanConst(Arc<Tensor>),
    /// Written by a kernel of the program.
    Activation,
    /// The same buffer as another tensor, seen with another shape (no copy).
    Alias(TensorId),
    /// A contiguous part of another tensor's buffer starting `offset` bytes into it (a multiple
    /// of 256, WebGPU's largest storage offset alignment): how kernels bind slices of tensors
    /// larger than one storage binding may be.
    Window { of: TensorId, offset: u64 },
}

/// A tensor of the program.
#[derive(Clone, Debug)]
pub struct ProgTensor {
    pub name: String,
    pub dtype: DType,
    /// How its elements are held (follows from the dtype and the target).
    pub storage: Storage,
    pub shape: Vec<usize>,
    pub source: Source,
}

impl ProgTensor {
    pub fn elements(&self) -> usize {
        num_elements(&self.shape).unwrap_or(usize::MAX)
    }
    /// Bytes of its buffer: at least 16, as WebGPU bindings cannot be empty and kernels may
    /// read any tensor as `array<vec4<f32>>` (whose smallest binding is 16 bytes).
    pub fn bytes(&self) -> u64 {
        // Rounded up to whole words: buffer copies and mapping work in 4-byte units (f16).
        (self.elements() as u64).saturating_mul(self.storage.bytes()).saturating_add(3).max(MIN_BINDING_BYTES) & !3
    }
}

/// A kernel's use of a tensor: read-only or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    In(TensorId),
    Out(TensorId),
}

impl Binding {
    pub fn id(self) -> TensorId {
        match self {
            Binding::In(t) | Binding::Out(t) => t,
        }
    }
}

/// One dispatch: binding 0 is the meta block, bindings 1.. are the tensors in order.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub variant: ShaderVariant,
    pub groups: [u32; 3],
    pub meta: Meta,
    pub bindings: Vec<Binding>,
    /// The node it computes (for errors and profiles).
    pub node: String,
    pub op: String,
}

/// What a run returns for one fetch.
#[derive(Clone, Debug)]
pub enum Fetch {
    /// Read back from the GPU.
    Device(TensorId),
    /// Known at plan time (a constant, or folded).
    Host(Arc<Tensor>),
}

/// The lowered form of a graph for one set of feed shapes and fetches.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The adapter traits the kernels were chosen for.
    pub target: Target,
    pub tensors: Vec<ProgTensor>,
    pub kernels: Vec<Kernel>,
    pub feeds: Vec<(TensorRef, TensorId)>,
    pub fetches: Vec<Fetch>,
    /// Runtime loops split the kernels into steps (see [`steps`]); empty: one pass.
    pub steps: Vec<Step>,
    /// Loops and conditionals, and how each was planned.
    pub loops: Vec<LoopReport>,
    /// Tensors whose leading dim is data-dependent (e.g. NonMaxSuppression's selected indices):
    /// (tensor, its name, an i32 scalar tensor holding the length). The buffer holds the upper
    /// bound its shape says; a fetch is cut to the length; no kernel may read it until a sync
    /// point has made its length known (see [`SyncPoint`]).
    pub lengths: Vec<(TensorId, String, TensorId)>,
    /// The sync points met before this program's own kernels, whose lengths were given when
    /// planning (`CompileRequest::lengths`): kernels before the last one's `kernel` ran in the
    /// plans of those earlier points (see [`Program::resume`]).
    pub syncs: Vec<SyncPoint>,
    /// Where this program stops: a node reads tensors of data-dependent length that planning
    /// has no lengths for. A run records the kernels so far, reads the lengths back, and goes on
    /// with the plan made for them.
    pub pause: Option<SyncPoint>,
}

/// A node that needs what only the GPU knows yet: the valid length of a tensor of data-dependent
/// length (NonMaxSuppression's, Where's), or the value of a small tensor computed on the GPU that
/// planning must know (a shape, a range limit, a count). The run reads them back there (one
/// submit and wait), and the rest is planned with them (a plan per values read, cached).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncPoint {
    pub node: String,
    pub op: String,
    /// Kernels and tensors of the program before this point (the same in every plan that
    /// reaches it: planning is deterministic).
    pub kernel: usize,
    pub tensors: usize,
    pub reads: Vec<SyncRead>,
    /// Where planning pauses here: the tensors the plans after the point read (their buffers
    /// must outlive the program's other kernels); `None`: any of them may be.
    pub live: Option<Vec<TensorId>>,
}

/// One thing a sync point reads back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncRead {
    /// The valid length of a data-dependent tensor: its count tensor (an i32 scalar).
    Length { tensor: TensorId, count: TensorId },
    /// The value of a small tensor computed on the GPU.
    Value { tensor: TensorId },
}

impl SyncRead {
    /// The tensor whose bytes are read back.
    pub fn source(self) -> TensorId {
        match self {
            SyncRead::Length { count, .. } => count,
            SyncRead::Value { tensor } => tensor,
        }
    }
}

impl std::fmt::Display for SyncPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lengths = self.reads.iter().filter(|r| matches!(r, SyncRead::Length { .. })).count();
        let values = self.reads.len() - lengths;
        let mut what = Vec::new();
        if lengths > 0 {
            what.push(format!("the length{} of {lengths} tensor{} of data-dependent length", if lengths == 1 { "" } else { "s" }, if lengths == 1 { "" } else { "s" }));
        }
        if values > 0 {
            what.push(format!("{values} value{} computed on the GPU that planning needs", if values == 1 { "" } else { "s" }));
        }
        write!(f, "sync before node '{}' ({}) after {} kernels: it needs {}; they are read back and the rest is planned for them (plans cached per values read)",
            self.node, self.op, self.kernel, what.join(" and "))
    }
}

impl Program {
    /// The first kernel this program runs itself: those before ran in the plans of earlier sync
    /// points, and the tensors they made are copied from there.
    pub fn resume(&self) -> (usize, usize) {
        self.syncs.last().map_or((0, 0), |s| (s.kernel, s.tensors))
    }
    /// The length tensor of `id` when its leading dim is data-dependent (see `lengths`).
    pub fn length_of(&self, id: TensorId) -> Option<TensorId> {
        let root = self.root(id);
        self.lengths
            .iter()
            .find(|(t, name, c)| *t == root && self.tensors.get(*t).is_some_and(|x| &x.name == name) && *c < self.tensors.len())
            .map(|(_, _, c)| *c)
    }
    /// The storage of a dtype in this program (I32 for dtypes that cannot live on the GPU;
    /// callers check those with [`Storage::of`] first).
    pub fn storage_of(&self, dtype: DType) -> Storage {
        Storage::on(dtype, &self.target).unwrap_or(Storage::I32)
    }
    /// Follows aliases and windows to the tensor that owns the buffer.
    pub fn root(&self, id: TensorId) -> TensorId {
        self.locate(id).0
    }
    /// Bytes from the start of the root's buffer region to `id`'s (windows add their offsets).
    pub fn window_offset(&self, id: TensorId) -> u64 {
        self.locate(id).1
    }
    /// (the tensor owning `id`'s buffer, `id`'s byte offset from the start of that tensor).
    fn locate(&self, mut id: TensorId) -> (TensorId, u64) {
        let mut off = 0;
        loop {
            match self.tensors[id].source {
                Source::Alias(of) => id = of,
                Source::Window { of, offset } => {
                    off += offset;
                    id = of;
                }
                _ => return (id, off),
            }
        }
    }
}

/// An input or output of a node while lowering: its program tensor and what is known of it.
#[derive(Clone, Debug)]
pub struct Operand {
    pub id: TensorId,
    pub dtype: DType,
    /// How the tensor's elements are held (see [`Storage`]).
    pub storage: Storage,
    pub shape: Vec<usize>,
    /// The value, when known at plan time.
    pub value: Option<Arc<Tensor>>,
}

impl Operand {
    pub fn elements(&self) -> usize {
        num_elements(&self.shape).unwrap_or(usize::MAX)
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    /// The storage class; every operand that reaches lowering has one.
    pub fn storage(&self) -> Storage {
        self.storage
    }
}

/// What an op's `lower` uses to emit kernels for one node.
pub struct Lower<'a> {
    prog: &'a mut Program,
    node: &'a Node,
    /// How the op being lowered holds float tensors: f16 for ops with f16 kernels under
    /// `--precision f16`, f32 otherwise.
    floats: Storage,
}

impl<'a> Lower<'a> {
    pub(crate) fn new(prog: &'a mut Program, node: &'a Node) -> Self {
        Lower { prog, node, floats: Storage::F32 }
    }
    /// Lowers with float tensors held as `floats` (f16: the op's shaders declaring
    /// `alias F = f32;` are compiled with `F = f16`).
    pub(crate) fn with_floats(mut self, floats: Storage) -> Self {
        self.floats = floats;
        self
    }
    pub fn node(&self) -> &Node {
        self.node
    }
    /// The adapter traits kernels may be chosen by.
    pub fn target(&self) -> &Target {
        &self.prog.target
    }
    /// The storage of a dtype in the program being lowered (floats: as the op holds them).
    pub fn storage_of(&self, dtype: DType) -> Storage {
        match self.prog.storage_of(dtype) {
            Storage::F32 => self.floats,
            s => s,
        }
    }
    /// Emits a dispatch. Kernels with no work are dropped. Under f16 storage, shaders that
    /// declare `alias F = f32;` (their float storage type) are compiled with `F = f16`.
    pub fn kernel(&mut self, mut variant: ShaderVariant, groups: [u32; 3], meta: Meta, bindings: Vec<Binding>) {
        if groups.contains(&0) {
            return;
        }
        if self.floats == Storage::F16 && variant.shader.float_alias && !variant.types.iter().any(|(n, _)| *n == "F") {
            variant = variant.ty("F", "f16");
        }
        // Kernels moving elements of any type (`alias E = u32;`) move f16 tensors as f16.
        if variant.shader.element_alias
            && !variant.types.iter().any(|(n, _)| *n == "E")
            && bindings.iter().any(|b| self.prog.tensors[b.id()].storage == Storage::F16)
        {
            variant = variant.ty("E", "f16");
        }
        self.prog.kernels.push(Kernel {
            variant,
            groups,
            meta,
            bindings,
            node: self.node.name.clone(),
            op: self.node.op.clone(),
        });
    }
    /// Makes `out` a view of `of` (same buffer, its own shape).
    pub fn alias(&mut self, out: &Operand, of: &Operand) {
        let root = if self.prog.window_offset(of.id) == 0 { self.prog.root(of.id) } else { of.id };
        self.prog.tensors[out.id].source = Source::Alias(root);
    }
    /// A window of `of`: `shape`'s elements starting at element `start` (whose byte offset must
    /// be a multiple of 256), bound without binding all of `of`.
    pub fn window(&mut self, of: &Operand, start: usize, shape: Vec<usize>) -> Operand {
        let offset = start as u64 * of.storage.bytes();
        debug_assert!(offset % 256 == 0, "window offsets are multiples of 256 bytes");
        self.prog.tensors.push(ProgTensor {
            name: format!("{}/window{}", self.prog.tensors[of.id].name, self.prog.tensors.len()),
            dtype: of.dtype,
            storage: of.storage,
            shape: shape.clone(),
            source: Source::Window { of: of.id, offset },
        });
        Operand { id: self.prog.tensors.len() - 1, dtype: of.dtype, storage: of.storage, shape, value: None }
    }
    /// A scratch tensor for multi-pass kernels.
    pub fn temp(&mut self, dtype: DType, shape: Vec<usize>) -> TensorId {
        self.prog.tensors.push(ProgTensor {
            name: format!("{}/tmp{}", self.node.name, self.prog.tensors.len()),
            dtype,
            storage: self.storage_of(dtype),
            shape,
            source: Source::Activation,
        });
        self.prog.tensors.len() - 1
    }
    /// A scratch tensor held as `storage` (e.g. f32 partial sums of an f16 reduction).
    pub fn temp_as(&mut self, dtype: DType, shape: Vec<usize>, storage: Storage) -> TensorId {
        let id = self.temp(dtype, shape);
        self.prog.tensors[id].storage = storage;
        id
    }
    /// How tensor `id` holds its elements.
    pub fn storage_of_tensor(&self, id: TensorId) -> Storage {
        self.prog.tensors[id].storage
    }
    /// A constant computed while planning (e.g. a folded batch-norm scale), uploaded once.
    pub fn constant(&mut self, t: Tensor) -> TensorId {
        self.prog.tensors.push(ProgTensor {
            name: format!("{}/const{}", self.node.name, self.prog.tensors.len()),
            dtype: t.dtype(),
            storage: self.storage_of(t.dtype()),
            shape: t.shape().to_vec(),
            source: Source::PlanConst(Arc::new(t)),
        });
        self.prog.tensors.len() - 1
    }
    /// Declares that only the first `count[0]` rows of `out` are valid (a data-dependent
    /// length; `count` is an i32 scalar written by a kernel): fetches are cut to it, and kernels
    /// that read `out` are refused when the plan is built.
    pub fn dynamic_length(&mut self, out: &Operand, count: TensorId) {
        let name = self.prog.tensors[out.id].name.clone();
        self.prog.lengths.push((out.id, name, count));
    }
    /// An error about the node being lowered.
    pub fn err(&self, msg: impl Into<String>) -> crate::Error {
        self.node.err(msg)
    }
}

/// Result of lowering one node.
pub type LowerResult = Result<()>;

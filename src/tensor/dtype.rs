//! Element types: TensorFlow's `DataType` codes, sizes, names, and how values are held on the
//! host.
use crate::proto;

/// TensorFlow element types that wgtf knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    F32,
    F64,
    F16,
    BF16,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
    String,
    Resource,
    Variant,
}

impl DType {
    /// From TensorFlow's `DataType` enum value (reference types map to their base type).
    pub fn from_tf(v: i32) -> Option<DType> {
        let v = if v > 100 { v - 100 } else { v };
        use proto::DataType as D;
        Some(match D::try_from(v).ok()? {
            D::DtFloat => DType::F32,
            D::DtDouble => DType::F64,
            D::DtHalf => DType::F16,
            D::DtBfloat16 => DType::BF16,
            D::DtInt8 => DType::I8,
            D::DtInt16 => DType::I16,
            D::DtInt32 => DType::I32,
            D::DtInt64 => DType::I64,
            D::DtUint8 => DType::U8,
            D::DtUint16 => DType::U16,
            D::DtUint32 => DType::U32,
            D::DtUint64 => DType::U64,
            D::DtBool => DType::Bool,
            D::DtString => DType::String,
            D::DtResource => DType::Resource,
            D::DtVariant => DType::Variant,
            _ => return None,
        })
    }

    /// TensorFlow's `DataType` enum value.
    pub fn to_tf(self) -> i32 {
        use proto::DataType as D;
        (match self {
            DType::F32 => D::DtFloat,
            DType::F64 => D::DtDouble,
            DType::F16 => D::DtHalf,
            DType::BF16 => D::DtBfloat16,
            DType::I8 => D::DtInt8,
            DType::I16 => D::DtInt16,
            DType::I32 => D::DtInt32,
            DType::I64 => D::DtInt64,
            DType::U8 => D::DtUint8,
            DType::U16 => D::DtUint16,
            DType::U32 => D::DtUint32,
            DType::U64 => D::DtUint64,
            DType::Bool => D::DtBool,
            DType::String => D::DtString,
            DType::Resource => D::DtResource,
            DType::Variant => D::DtVariant,
        }) as i32
    }

    /// Size of one element in TensorFlow's little-endian encoding.
    pub fn size_of(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::U64 => 8,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F16 | DType::BF16 | DType::I16 | DType::U16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
            DType::String | DType::Resource | DType::Variant => 0,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }
    pub fn is_int(self) -> bool {
        matches!(
            self,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U8 | DType::U16 | DType::U32 | DType::U64
        )
    }
    /// Types that can live in a GPU buffer (as 32-bit words).
    pub fn is_numeric(self) -> bool {
        self.is_float() || self.is_int() || self == DType::Bool
    }

    /// The storage class of values of this type on the host.
    pub fn host_class(self) -> HostClass {
        match self {
            DType::F32 | DType::F16 | DType::BF16 => HostClass::F32,
            DType::F64 => HostClass::F64,
            DType::I8 | DType::I16 | DType::I32 | DType::U8 | DType::U16 => HostClass::I32,
            DType::I64 | DType::U32 | DType::U64 => HostClass::I64,
            DType::Bool => HostClass::Bool,
            DType::String | DType::Resource | DType::Variant => HostClass::Str,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::Bool => "bool",
            DType::String => "string",
            DType::Resource => "resource",
            DType::Variant => "variant",
        }
    }
}

impl DType {
    /// The dtype of a name as [`DType::name`] writes it (`"float32"`, `"int64"`, …).
    pub fn from_name(s: &str) -> Option<DType> {
        use DType::*;
        [F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool, String, Resource, Variant].into_iter().find(|d| d.name() == s)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How values of a dtype are held on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostClass {
    F32,
    F64,
    I32,
    I64,
    Bool,
    Str,
}

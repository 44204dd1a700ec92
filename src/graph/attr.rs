//! Typed attribute getters. A missing or mistyped attribute is an error naming the node.
use std::sync::Arc;

use super::{decode_shape, decode_tensor, Node};
use crate::error::Result;
use crate::proto::attr_value::Value;
use crate::proto::{self, AttrValue};
use crate::tensor::{DType, Tensor};

/// A shape attribute as a node declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrShape {
    /// The node has no such attribute.
    Absent,
    /// The attribute is there, but the rank is unknown.
    UnknownRank,
    /// The dims, `None` where a dim is unknown.
    Dims(Vec<Option<usize>>),
}

impl AttrShape {
    /// The dims, when the attribute is there with a known rank.
    pub fn dims(self) -> Option<Vec<Option<usize>>> {
        match self {
            AttrShape::Dims(d) => Some(d),
            AttrShape::Absent | AttrShape::UnknownRank => None,
        }
    }
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&AttrValue> {
        self.attrs.get(name)
    }
    fn value(&self, name: &str) -> Result<Option<&Value>> {
        Ok(self.attrs.get(name).and_then(|a| a.value.as_ref()))
    }
    fn missing(&self, name: &str, what: &str) -> crate::Error {
        self.err(format!("attribute '{name}' is missing or is not {what}"))
    }

    pub fn attr_opt_int(&self, name: &str) -> Result<Option<i64>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::I(i)) => Ok(Some(*i)),
            Some(_) => Err(self.missing(name, "an int")),
        }
    }
    pub fn attr_int(&self, name: &str) -> Result<i64> {
        self.attr_opt_int(name)?.ok_or_else(|| self.missing(name, "an int"))
    }

    pub fn attr_opt_float(&self, name: &str) -> Result<Option<f32>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::F(f)) => Ok(Some(*f)),
            Some(_) => Err(self.missing(name, "a float")),
        }
    }
    pub fn attr_float(&self, name: &str) -> Result<f32> {
        self.attr_opt_float(name)?.ok_or_else(|| self.missing(name, "a float"))
    }

    pub fn attr_opt_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::B(b)) => Ok(Some(*b)),
            Some(_) => Err(self.missing(name, "a bool")),
        }
    }
    /// A bool attribute, `default` when absent.
    pub fn attr_bool_or(&self, name: &str, default: bool) -> Result<bool> {
        Ok(self.attr_opt_bool(name)?.unwrap_or(default))
    }

    pub fn attr_opt_string(&self, name: &str) -> Result<Option<String>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::S(s)) => Ok(Some(String::from_utf8_lossy(s).into_owned())),
            Some(_) => Err(self.missing(name, "a string")),
        }
    }
    pub fn attr_string(&self, name: &str) -> Result<String> {
        self.attr_opt_string(name)?.ok_or_else(|| self.missing(name, "a string"))
    }
    /// A string attribute, `default` when absent.
    pub fn attr_string_or(&self, name: &str, default: &str) -> Result<String> {
        Ok(self.attr_opt_string(name)?.unwrap_or_else(|| default.to_string()))
    }

    pub fn attr_opt_dtype(&self, name: &str) -> Result<Option<DType>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::Type(t)) => DType::from_tf(*t)
                .map(Some)
                .ok_or_else(|| self.err(format!("attribute '{name}': unsupported data type {t}"))),
            Some(_) => Err(self.missing(name, "a type")),
        }
    }
    pub fn attr_dtype(&self, name: &str) -> Result<DType> {
        self.attr_opt_dtype(name)?.ok_or_else(|| self.missing(name, "a type"))
    }

    /// A shape attribute: absent, of unknown rank, or dims (`None` for unknown dims).
    pub fn attr_opt_shape(&self, name: &str) -> Result<AttrShape> {
        match self.value(name)? {
            None => Ok(AttrShape::Absent),
            Some(Value::Shape(s)) => match decode_shape(s).map_err(|e| self.err(format!("attribute '{name}': {e}")))? {
                None => Ok(AttrShape::UnknownRank),
                Some(dims) => Ok(AttrShape::Dims(dims)),
            },
            Some(_) => Err(self.missing(name, "a shape")),
        }
    }

    pub fn attr_tensor(&self, name: &str) -> Result<Arc<Tensor>> {
        match self.value(name)? {
            Some(Value::Tensor(t)) => {
                decode_tensor(t).map(Arc::new).map_err(|e| self.err(format!("attribute '{name}': {e}")))
            }
            _ => Err(self.missing(name, "a tensor")),
        }
    }

    fn list(&self, name: &str) -> Result<Option<&proto::attr_value::ListValue>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l)),
            Some(_) => Err(self.missing(name, "a list")),
        }
    }
    pub fn attr_opt_ints(&self, name: &str) -> Result<Option<Vec<i64>>> {
        Ok(self.list(name)?.map(|l| l.i.clone()))
    }
    pub fn attr_ints(&self, name: &str) -> Result<Vec<i64>> {
        self.attr_opt_ints(name)?.ok_or_else(|| self.missing(name, "a list of ints"))
    }
    pub fn attr_opt_floats(&self, name: &str) -> Result<Option<Vec<f32>>> {
        Ok(self.list(name)?.map(|l| l.f.clone()))
    }
    pub fn attr_opt_strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        Ok(self.list(name)?.map(|l| l.s.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect()))
    }
    pub fn attr_opt_dtypes(&self, name: &str) -> Result<Option<Vec<DType>>> {
        let Some(l) = self.list(name)? else { return Ok(None) };
        l.r#type
            .iter()
            .map(|&t| DType::from_tf(t).ok_or_else(|| self.err(format!("attribute '{name}': unsupported data type {t}"))))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
    /// A function attribute (`func`): its name.
    pub fn attr_opt_func(&self, name: &str) -> Result<Option<&proto::NameAttrList>> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::Func(f)) => Ok(Some(f)),
            Some(_) => Err(self.missing(name, "a function")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;

    fn node_with(attrs: Vec<(&str, Value)>) -> Node {
        Node {
            name: "n".into(),
            op: "Op".into(),
            inputs: vec![],
            controls: vec![],
            attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
            device: String::new(),
        }
    }

    #[test]
    fn typed_getters_return_errors_not_panics() {
        let n = node_with(vec![("i", Value::I(3)), ("f", Value::F(0.5)), ("s", Value::S(b"SAME".to_vec()))]);
        assert_eq!(n.attr_int("i").unwrap(), 3);
        assert_eq!(n.attr_float("f").unwrap(), 0.5);
        assert_eq!(n.attr_string("s").unwrap(), "SAME");
        let e = n.attr_int("f").unwrap_err().to_string();
        assert!(e.contains("'n'") && e.contains("Op") && e.contains("'f'"), "{e}");
        assert!(n.attr_int("nope").is_err());
        assert_eq!(n.attr_opt_int("nope").unwrap(), None);
        assert!(n.attr_ints("i").is_err());
        assert!(n.attr_dtype("i").is_err());
        assert!(n.attr_bool_or("b", true).unwrap());
    }
}

//! Sliding-window geometry shared by convolutions and pooling: TensorFlow's SAME, VALID and
//! EXPLICIT padding, strides and dilations, NHWC or NCHW attributes.
use crate::error::Result;
use crate::graph::Node;

/// Output size and padding of one spatial dim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dim {
    pub out: usize,
    pub pad_before: usize,
}

/// Computes one spatial dim. `explicit` holds (before, after) for EXPLICIT padding.
pub fn dim(node: &Node, padding: &str, input: usize, k: usize, stride: usize, dilation: usize, explicit: (usize, usize)) -> Result<Dim> {
    if stride == 0 || dilation == 0 || k == 0 {
        return Err(node.err("strides, dilations and window sizes must be positive"));
    }
    let eff = (k - 1) * dilation + 1;
    match padding {
        "SAME" => {
            let out = input.div_ceil(stride);
            let total = ((out.saturating_sub(1)) * stride + eff).saturating_sub(input);
            Ok(Dim { out, pad_before: total / 2 })
        }
        "VALID" => {
            if input < eff {
                return Ok(Dim { out: 0, pad_before: 0 });
            }
            Ok(Dim { out: (input - eff) / stride + 1, pad_before: 0 })
        }
        "EXPLICIT" => {
            let padded = input + explicit.0 + explicit.1;
            if padded < eff {
                return Ok(Dim { out: 0, pad_before: explicit.0 });
            }
            Ok(Dim { out: (padded - eff) / stride + 1, pad_before: explicit.0 })
        }
        other => Err(node.err(format!("unsupported padding '{other}'"))),
    }
}

/// A padding mode; EXPLICIT with the (before, after) paddings of H and W.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    Same,
    Valid,
    Explicit((usize, usize), (usize, usize)),
}

/// The attributes of a 2-D windowed op (convolution, pool), decoded once when the model is
/// loaded: data format, padding, strides, dilations and (pools) ksize as (h, w), 1 where absent.
#[derive(Clone, Copy, Debug)]
pub struct Window2D {
    pub nchw: bool,
    pub padding: Padding,
    pub strides: (usize, usize),
    pub dilations: (usize, usize),
    pub ksize: (usize, usize),
}

impl Window2D {
    pub fn decode(node: &Node) -> Result<Window2D> {
        let nchw = is_nchw(node)?;
        let padding = match node.attr_string("padding")?.as_str() {
            "SAME" => Padding::Same,
            "VALID" => Padding::Valid,
            "EXPLICIT" => {
                let (h, w) = explicit_hw(node)?;
                Padding::Explicit(h, w)
            }
            other => return Err(node.err(format!("unsupported padding '{other}'"))),
        };
        Ok(Window2D { nchw, padding, strides: hw(node, "strides", 1)?, dilations: hw(node, "dilations", 1)?, ksize: hw(node, "ksize", 1)? })
    }

    /// One spatial dim: `d` 0 for H, 1 for W; `explicit`: whether EXPLICIT padding's
    /// paddings apply (pools take none).
    pub fn dim(&self, node: &Node, d: usize, input: usize, k: usize, stride: usize, dilation: usize, explicit: bool) -> Result<Dim> {
        let (mode, pad) = match self.padding {
            Padding::Same => ("SAME", (0, 0)),
            Padding::Valid => ("VALID", (0, 0)),
            Padding::Explicit(h, w) => ("EXPLICIT", if !explicit { (0, 0) } else if d == 0 { h } else { w }),
        };
        dim(node, mode, input, k, stride, dilation, pad)
    }

    /// NHWC dims of a 4-D input shape in the op's data format.
    pub fn nhwc(&self, node: &Node, s: &[usize]) -> Result<[usize; 4]> {
        if s.len() != 4 {
            return Err(node.err(format!("expects a 4-D input, got shape {s:?}")));
        }
        Ok(if self.nchw { [s[0], s[2], s[3], s[1]] } else { [s[0], s[1], s[2], s[3]] })
    }

    /// An output shape [n, h, w, c] in the op's data format.
    pub fn shape(&self, [n, h, w, c]: [usize; 4]) -> Vec<usize> {
        if self.nchw { vec![n, c, h, w] } else { vec![n, h, w, c] }
    }
}

/// A 4-D attribute list (strides, dilations, ksize) as (h, w) for the node's data format.
pub fn hw(node: &Node, name: &str, default: i64) -> Result<(usize, usize)> {
    let v = node.attr_opt_ints(name)?.unwrap_or_else(|| vec![default; 4]);
    if v.len() != 4 || v.iter().any(|&x| x <= 0) {
        let shown = if v.len() <= 8 { format!("{v:?}") } else { format!("{} values", v.len()) };
        return Err(node.err(format!("attribute '{name}' must be 4 positive ints, got {shown}")));
    }
    let nchw = is_nchw(node)?;
    let (h, w) = if nchw { (v[2], v[3]) } else { (v[1], v[2]) };
    let (b, c) = if nchw { (v[0], v[1]) } else { (v[0], v[3]) };
    if b != 1 || c != 1 {
        return Err(node.err(format!("attribute '{name}' must be 1 on the batch and channel dims, got {v:?}")));
    }
    Ok((h as usize, w as usize))
}

/// Whether `data_format` is NCHW.
pub fn is_nchw(node: &Node) -> Result<bool> {
    match node.attr_string_or("data_format", "NHWC")?.as_str() {
        "NHWC" | "NDHWC" => Ok(false),
        "NCHW" | "NCDHW" => Ok(true),
        other => Err(node.err(format!("unsupported data_format '{other}'"))),
    }
}

/// The explicit (before, after) paddings of H and W (EXPLICIT padding), else zeros.
pub fn explicit_hw(node: &Node) -> Result<((usize, usize), (usize, usize))> {
    let p = node.attr_opt_ints("explicit_paddings")?.unwrap_or_default();
    if p.is_empty() {
        return Ok(((0, 0), (0, 0)));
    }
    if p.len() != 8 || p.iter().any(|&x| x < 0) {
        return Err(node.err(format!("explicit_paddings must be 8 non-negative ints, got {p:?}")));
    }
    let (h, w) = if is_nchw(node)? { (2, 3) } else { (1, 2) };
    Ok(((p[2 * h] as usize, p[2 * h + 1] as usize), (p[2 * w] as usize, p[2 * w + 1] as usize)))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn n() -> Node {
        Node { name: "c".into(), op: "Conv2D".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() }
    }
    #[test]
    fn same_and_valid() {
        // TF: 15 wide, k 3, s 2, SAME -> 8, pad total 2 -> before 1.
        assert_eq!(dim(&n(), "SAME", 15, 3, 2, 1, (0, 0)).unwrap(), Dim { out: 8, pad_before: 1 });
        // even kernel 4, s 2 on 15: out 8, total = 7*2+4-15 = 3, before 1 (extra goes after).
        assert_eq!(dim(&n(), "SAME", 15, 4, 2, 1, (0, 0)).unwrap(), Dim { out: 8, pad_before: 1 });
        assert_eq!(dim(&n(), "VALID", 11, 5, 2, 1, (0, 0)).unwrap(), Dim { out: 4, pad_before: 0 });
        assert_eq!(dim(&n(), "SAME", 9, 3, 1, 2, (0, 0)).unwrap(), Dim { out: 9, pad_before: 2 });
        assert_eq!(dim(&n(), "EXPLICIT", 5, 3, 1, 1, (2, 1)).unwrap(), Dim { out: 6, pad_before: 2 });
    }
}

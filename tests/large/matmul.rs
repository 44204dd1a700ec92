//! Matrix products over a long K: every kernel loops over K
use super::*;
use super::reduce::check_close;


/// A[b]·B[b] on the host, A [batch, m, k] (or [batch, k, m] with `ta`), B [batch, k, n].
fn matmul_host(a: &[f32], b: &[f32], batch: usize, m: usize, k: usize, n: usize, ta: bool) -> (Vec<f64>, Vec<f64>) {
    let (mut c, mut mag) = (vec![0f64; batch * m * n], vec![0f64; batch * m * n]);
    for z in 0..batch {
        for i in 0..m {
            for q in 0..k {
                let av = a[z * m * k + if ta { q * m + i } else { i * k + q }] as f64;
                for j in 0..n {
                    let p = av * b[z * k * n + q * n + j] as f64;
                    c[(z * m + i) * n + j] += p;
                    mag[(z * m + i) * n + j] += p.abs();
                }
            }
        }
    }
    (c, mag)
}

pub(super) fn check_matmul(ctx: &Context, batch: usize, m: usize, k: usize, n: usize, ta: bool) {
    let mut r = Rng((m * 31 + k * 7 + n) as u64);
    let (a, b) = (r.vec(batch * m * k), r.vec(batch * k * n));
    let a_shape = if ta { vec![batch, k, m] } else { vec![batch, m, k] };
    let (ta_t, tb_t) = (Tensor::from_f32(a_shape, a.clone()).unwrap(), Tensor::from_f32(vec![batch, k, n], b.clone()).unwrap());
    let attrs = vec![("T", ty(F32)), ("adj_x", bool_attr(ta)), ("adj_y", bool_attr(false))];
    let g = vec![placeholder("x", F32, &[-1, -1, -1]), placeholder("w", F32, &[-1, -1, -1]), node("y", "BatchMatMulV2", &["x", "w"], attrs)];
    let y = f32s(&run_with(ctx, g, &[("x", &ta_t), ("w", &tb_t)], &["y"])[0]);
    let (want, mag) = matmul_host(&a, &b, batch, m, k, n, ta);
    check_close(&format!("[{batch}, {m}, {k}]·[{batch}, {k}, {n}] (A transposed: {ta})"), &y, &want, &mag);
}

#[test]
fn matrix_products_over_a_long_k() {
    let ctx = common::context();
    // Rows of A not multiples of 4 floats: a step per k.
    check_matmul(&ctx, 1, 16, 70_001, 16, false);
    // A few rows: lanes split K, 8 k per step.
    check_matmul(&ctx, 1, 3, 600_001, 4, false);
    // Transposed A, batched.
    check_matmul(&ctx, 2, 9, 70_000, 8, true);
    // The tiled kernel of adapters without subgroups.
    let tiled = context_without(wgpu::Features::SUBGROUP);
    check_matmul(&tiled, 1, 8, 70_001, 8, false);
    check_matmul(&tiled, 2, 65, 66_000, 12, false);
}

/// NHWC · HWIO, stride 1, VALID, on the host.
pub(super) fn conv_host(x: &[f32], [n, h, w, c]: [usize; 4], f: &[f32], [kh, kw, oc]: [usize; 3]) -> (Vec<f64>, Vec<f64>) {
    let (oh, ow) = (h - kh + 1, w - kw + 1);
    let (mut y, mut mag) = (vec![0f64; n * oh * ow * oc], vec![0f64; n * oh * ow * oc]);
    for img in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ky in 0..kh {
                    for kx in 0..kw {
                        for ch in 0..c {
                            let xv = x[((img * h + oy + ky) * w + ox + kx) * c + ch] as f64;
                            for o in 0..oc {
                                let p = xv * f[((ky * kw + kx) * c + ch) * oc + o] as f64;
                                y[((img * oh + oy) * ow + ox) * oc + o] += p;
                                mag[((img * oh + oy) * ow + ox) * oc + o] += p.abs();
                            }
                        }
                    }
                }
            }
        }
    }
    (y, mag)
}

#[test]
fn convolutions_over_a_long_k() {
    // 5×5 taps of 2999 channels: K = 74,975 (a step per channel without vec4 loads).
    let (shape, fs) = ([1usize, 9, 9, 2999], [5usize, 5, 8]);
    let mut r = Rng(61);
    let (x, f) = (r.vec(shape.iter().product()), r.vec(fs[0] * fs[1] * shape[3] * fs[2]));
    let (want, mag) = conv_host(&x, shape, &f, fs);
    let xt = Tensor::from_f32(shape.to_vec(), x).unwrap();
    let ft = Tensor::from_f32(vec![fs[0], fs[1], shape[3], fs[2]], f).unwrap();
    let valid = attr(wgtf::proto::attr_value::Value::S(b"VALID".to_vec()));
    let g = vec![
        placeholder("x", F32, &[-1, -1, -1, -1]),
        placeholder("w", F32, &[-1, -1, -1, -1]),
        node("y", "Conv2D", &["x", "w"], vec![("T", ty(F32)), ("strides", ints(&[1, 1, 1, 1])), ("padding", valid)]),
    ];
    let tiled = context_without(wgpu::Features::SUBGROUP);
    for ctx in [common::context(), tiled] {
        let y = f32s(&run_with(&ctx, g.clone(), &[("x", &xt), ("w", &ft)], &["y"])[0]);
        check_close("Conv2D 5×5×2999", &y, &want, &mag);
    }
}

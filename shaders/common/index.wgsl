// Index arithmetic shared by kernels that walk shapes given in their meta block: included with
// `//#include common/index.wgsl`. Divisions by a shape's dims use multipliers made on the host
// (`Meta::divisors`): CPU adapters turn `/` and `%` by a runtime value into one scalar division
// per SIMD lane, while a multiply-high and shifts stay vectorised.

// Entry d of an 8-entry meta array is `cfg.field[d >> 2u][d & 3u]`: index it in place (a
// helper taking the array by value copies it on CPU adapters, for every call).

// The high 32 bits of the 64-bit product a * b.
fn mulhi(a: u32, b: u32) -> u32 {
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let t = a_hi * b_lo + ((a_lo * b_lo) >> 16u);
    let w1 = (t & 0xffffu) + a_lo * b_hi;
    return a_hi * b_hi + (t >> 16u) + (w1 >> 16u);
}

// n / d for any u32 n, from d's multiplier `m` and shifts `s` (bits 0-7: first, 8-15: second)
// (Granlund and Montgomery, "Division by invariant integers using multiplication", fig. 4.1).
fn div_magic(n: u32, m: u32, s: u32) -> u32 {
    let t = mulhi(m, n);
    return (t + ((n - t) >> (s & 0xffu))) >> (s >> 8u);
}

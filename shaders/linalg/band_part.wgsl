// MatrixBandPart: y = x inside the band (m - n <= lower unless lower < 0, n - m <= upper unless
// upper < 0) of each innermost [rows, cols] matrix, else 0.
alias T = f32;

//#include gen/meta/band_part.wgsl

@group(0) @binding(0) var<uniform> cfg: BandPartMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

//#include common/each.wgsl

fn each(i: u32) {
    let col = i32(i % cfg.cols);
    let row = i32((i / cfg.cols) % cfg.rows);
    let inside = (cfg.lower < 0 || row - col <= cfg.lower) && (cfg.upper < 0 || col - row <= cfg.upper);
    y[i] = select(T(0), x[i], inside);
}

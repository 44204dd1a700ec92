// What the browser test runs (web/test.sh): the bundled models, a CNN, a TF.js graph model with
// the converter's fused ops, models with control flow (loops unrolled and decided on the GPU),
// data-dependent lengths (sync points), a published model, and a multi-model page.
export const CASES = [
  { name: "bundled_digits", model: "/models/digits/model.pb", feeds: { "x:0": "/models/digits/test_x.npy" },
    fetches: { "probs:0": "/models/digits/test_probs.npy" }, rtol: 1e-4, atol: 1e-5 },
  { name: "bundled_edges", model: "/models/edges/model.pb", feeds: { "image:0": "/models/edges/ref_in.npy" },
    fetches: { "output:0": "/models/edges/ref_out.npy" }, rtol: 1e-4, atol: 1e-4 },
  { name: "bundled_selfie", model: "/models/selfie/model.json", images: { "input_1:0": "/models/samples/astronaut.png" },
    fetches: { "activation_10:0": "/models/selfie/ref_out.npy" }, rtol: 0, atol: 1e-3 },
  { fixture: "small_cnn" },
  { fixture: "tfjs_fused_ops_json" },
  { fixture: "real_facemesh" },
  { fixture: "cf_gru_while" },
  { fixture: "cf_data_loop" },
  { fixture: "tfjs_dynamic_lengths" },
];

// Two copies of one architecture with different weights in one context, runs interleaved.
export const MULTI = ["tfjs_model_json", "tfjs_model_json_quantized_uint8"];

// Fixture cases that cannot pass in browsers, with why. Each must still fail.
export const PENDING = {
  int64_data: "int64 values beyond the int32 range: browsers' WebGPU has no 64-bit integers (SHADER_INT64), so int64 narrows to int32, and such a value is an error",
  int64_ops: "int64 values beyond the int32 range (see int64_data)",
};

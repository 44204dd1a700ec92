// The package's entry point: wasm-bindgen's module (`wgtf.js`) with the types of index.d.ts.
//   import init, { Context } from "./pkg/index.js";
//   await init();
//   const ctx = await Context.create();
export { default, Context, Model } from "./wgtf.js";

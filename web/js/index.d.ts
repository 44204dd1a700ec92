// Types of wgtf's JavaScript API (the module wasm-bindgen generates is typed loosely).

/** Element types of tensors, as TensorFlow names them. */
export type DType =
  | "float32" | "float64" | "float16" | "bfloat16"
  | "int8" | "int16" | "int32" | "int64"
  | "uint8" | "uint16" | "uint32" | "uint64" | "bool";

/** A tensor fed to a model. `data` sets the type (Float32Array: float32, Int32Array: int32,
 * BigInt64Array: int64, Uint8Array: uint8, or bool with `dtype: "bool"`); `dtype` may ask for
 * another (the values are converted). `shape` defaults to `[data.length]`. */
export interface TensorIn {
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  shape?: number[];
  dtype?: DType;
}

/** A tensor a run returns. bool comes as a Uint8Array of 0 and 1. */
export interface TensorOut {
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  shape: number[];
  dtype: DType;
}

/** A placeholder of a model: unknown dims are -1, an unknown rank is null. */
export interface InputInfo {
  name: string;
  dtype: DType | undefined;
  shape: number[] | null;
}

/** Loads the WebAssembly module (fetches wgtf_bg.wasm beside wgtf.js unless given). */
export default function init(module?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<unknown>;

/** A WebGPU device shared by any number of models. */
export class Context {
  private constructor();
  /** Requests a WebGPU adapter and device. Rejects where the page has no WebGPU. */
  static create(): Promise<Context>;
  /** The adapter's name and backend. */
  readonly adapter: string;
  /** Bytes of GPU buffers alive in this context (all its models). */
  readonly memoryBytes: number;
  /** A TF.js graph model: fetches `url` (model.json) and the weight shards beside it.
   * `precision` "f16" holds weights and activations as f16 (needs the adapter's shader-f16). */
  loadGraphModel(url: string, precision?: "f32" | "f16"): Promise<Model>;
  /** A frozen GraphDef (.pb) from its bytes. */
  loadGraphDef(bytes: Uint8Array, precision?: "f32" | "f16"): Model;
  free(): void;
}

/** A loaded model; its weights live on the GPU until dispose(). */
export class Model {
  private constructor();
  /** Runs: feeds by tensor name ("x:0", or a signature key); resolves to every fetch. Errors
   * reject with the text the wgtf CLI prints (node, op, reason). */
  run(feeds: Record<string, TensorIn>, fetches: string[]): Promise<Record<string, TensorOut>>;
  readonly inputs: InputInfo[];
  readonly outputs: string[];
  /** Frees the model's GPU memory. */
  dispose(): void;
  free(): void;
}

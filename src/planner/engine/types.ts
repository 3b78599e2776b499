import type { NetworkKey } from '../../model/network';

export type ExecutionProvider = 'webgpu' | 'cuda' | 'cpu';

/** A tensor crossing the thread boundary. Floats are always fp32 here; fp16 networks are converted in the worker. */
export type TensorData =
  | { dtype: 'float32'; dims: readonly number[]; data: Float32Array }
  | { dtype: 'int64'; dims: readonly number[]; data: BigInt64Array };

/**
 * A feed is data, a tensor an earlier run left in the worker under a name (no copy across threads), or standard
 * normal noise the worker draws itself (reproducible from seed and stream; keeps the main thread free).
 */
export type Feed =
  TensorData | { ref: string } | { normal: { seed: number; stream: number; dims: readonly number[] } };

export interface RunRequest {
  network: NetworkKey;
  feeds: Record<string, Feed>;
  /** Outputs to keep in the worker under a reference name, e.g. `{ x_next: 'x' }`. */
  keep?: Record<string, string>;
  /** Outputs to copy back to the caller. */
  fetch?: readonly string[];
}

export interface RunResult {
  outputs: Record<string, TensorData>;
  /** Time inside session.run, ms. */
  runMs: number;
}

export interface NetworkLoadReport {
  network: NetworkKey;
  provider: ExecutionProvider;
  /** Providers tried before this one, with the reason each failed. */
  fallbacks: { provider: ExecutionProvider; error: string }[];
  loadMs: number;
}

export interface EngineLoadOptions {
  modelDir: string;
  providers: readonly ExecutionProvider[];
  networks: readonly NetworkKey[];
  /** Threads of ONNX Runtime's CPU kernels; 0 or absent = ORT's default (one per core). */
  intraOpThreads?: number;
}

/** Where the networks run. The worker-thread engine is the product; everything above talks to this interface. */
export interface InferenceEngine {
  load(options: EngineLoadOptions): Promise<NetworkLoadReport[]>;
  run(request: RunRequest): Promise<RunResult>;
  /** Hands a tensor to the worker once, to be fed by reference (`{ ref }`) to later runs until released. */
  store(ref: string, data: TensorData): Promise<void>;
  /** Copies a tensor kept in the worker back to the caller. */
  fetch(ref: string): Promise<TensorData>;
  /** Drops tensors kept in the worker. */
  release(refs: readonly string[]): Promise<void>;
  /** Resident memory of the engine's process/thread, bytes. */
  memory(): Promise<{ rssBytes: number; heapBytes: number; externalBytes: number }>;
  close(): Promise<void>;
}

export class InferenceError extends Error {
  constructor(
    readonly network: string,
    message: string,
  ) {
    super(`${network}: ${message}`);
    this.name = 'InferenceError';
  }
}

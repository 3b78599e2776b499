import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../model/onnx/dtype';
import type { ModelManifest, NetworkEntry } from '../../model/manifest';
import type { NetworkKey } from '../../model/network';
import { standardNormal } from '../noise';
import {
  type ExecutionProvider,
  type Feed,
  InferenceError,
  type NetworkLoadReport,
  type RunRequest,
  type RunResult,
  type TensorData,
} from './types';

interface LoadedNetwork {
  session: ort.InferenceSession;
  entry: NetworkEntry;
  provider: ExecutionProvider;
}

/**
 * The ONNX Runtime sessions of a model directory and the tensors kept between runs. Lives in the inference
 * worker; runs are serialised by the caller (one queue), which also keeps WebGPU sessions from running at once.
 */
export class SessionSet {
  readonly #networks = new Map<NetworkKey, LoadedNetwork>();
  readonly #kept = new Map<string, ort.Tensor>();
  /** Tensors the caller handed over once to be fed many times (converted to each input's type at use). */
  readonly #stored = new Map<string, TensorData>();

  async load(
    dir: string,
    manifest: ModelManifest,
    providers: readonly ExecutionProvider[],
    keys: readonly NetworkKey[],
    intraOpThreads = 0,
  ): Promise<NetworkLoadReport[]> {
    const reports: NetworkLoadReport[] = [];
    for (const key of keys) {
      const entry = manifest.networks[key];
      if (!entry) throw new InferenceError(key, `the model directory ${dir} has no such network`);
      const started = performance.now();
      const fallbacks: { provider: ExecutionProvider; error: string }[] = [];
      let loaded: LoadedNetwork | undefined;
      for (const provider of providers) {
        try {
          const session = await ort.InferenceSession.create(join(dir, entry.file), {
            executionProviders: [provider],
            graphOptimizationLevel: 'all',
            // Warnings about shape ops placed on the CPU are expected for every WebGPU session.
            logSeverityLevel: 3,
            ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
          });
          loaded = { session, entry, provider };
          break;
        } catch (err) {
          // onnxruntime-node throws (rather than falling back) when a provider cannot start, e.g. CUDA libraries absent.
          fallbacks.push({ provider, error: firstLine((err as Error).message) });
        }
      }
      if (!loaded) {
        throw new InferenceError(
          key,
          `no execution provider could start it: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`,
        );
      }
      this.#networks.set(key, loaded);
      reports.push({
        network: key,
        provider: loaded.provider,
        fallbacks,
        loadMs: performance.now() - started,
      });
    }
    return reports;
  }

  async run(req: RunRequest): Promise<RunResult> {
    const net = this.#networks.get(req.network);
    if (!net) throw new InferenceError(req.network, 'not loaded');
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of net.entry.inputs) {
      const feed = req.feeds[spec.name];
      if (!feed) throw new InferenceError(req.network, `missing input ${spec.name}`);
      feeds[spec.name] = this.#tensorFor(req.network, spec.name, spec.dtype, feed);
    }
    for (const name of Object.keys(req.feeds)) {
      if (!net.entry.inputs.some((i) => i.name === name))
        throw new InferenceError(req.network, `unknown input ${name}`);
    }
    const started = performance.now();
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await net.session.run(feeds);
    } catch (err) {
      throw new InferenceError(req.network, `run failed: ${firstLine((err as Error).message)}`);
    }
    const runMs = performance.now() - started;
    for (const [output, ref] of Object.entries(req.keep ?? {})) {
      const t = results[output];
      if (!t) throw new InferenceError(req.network, `no output ${output} to keep`);
      this.#kept.set(ref, t as ort.Tensor);
    }
    const outputs: Record<string, TensorData> = {};
    for (const name of req.fetch ?? []) {
      const t = results[name] as ort.Tensor | undefined;
      if (!t) throw new InferenceError(req.network, `no output ${name}`);
      outputs[name] = toTensorData(t);
    }
    return { outputs, runMs };
  }

  fetchKept(ref: string): TensorData {
    const t = this.#kept.get(ref);
    if (!t) throw new InferenceError('engine', `no kept tensor ${ref}`);
    return toTensorData(t);
  }

  store(ref: string, data: TensorData): void {
    this.#stored.set(ref, data);
  }

  release(refs: readonly string[]): void {
    for (const r of refs) {
      this.#kept.delete(r);
      this.#stored.delete(r);
    }
  }

  async close(): Promise<void> {
    this.#kept.clear();
    this.#stored.clear();
    for (const n of this.#networks.values()) await n.session.release();
    this.#networks.clear();
  }

  #tensorFor(network: NetworkKey, name: string, dtype: string, feed: Feed): ort.Tensor {
    if ('ref' in feed) {
      const kept = this.#kept.get(feed.ref);
      if (kept) return kept;
      const stored = this.#stored.get(feed.ref);
      if (!stored) {
        throw new InferenceError(network, `input ${name} refers to ${feed.ref}, which no earlier run kept`);
      }
      feed = stored;
    }
    if ('normal' in feed) {
      const n = feed.normal.dims.reduce((a, b) => a * b, 1);
      feed = {
        dtype: 'float32',
        dims: feed.normal.dims,
        data: standardNormal(n, feed.normal.seed, feed.normal.stream),
      };
    }
    if (dtype === 'int64') {
      if (feed.dtype !== 'int64')
        throw new InferenceError(network, `input ${name} must be int64, got ${feed.dtype}`);
      return new ort.Tensor('int64', feed.data, feed.dims);
    }
    if (feed.dtype !== 'float32')
      throw new InferenceError(network, `input ${name} must be float, got ${feed.dtype}`);
    if (dtype === 'float16') {
      const bits = new Uint16Array(feed.data.length);
      for (let i = 0; i < bits.length; i++) bits[i] = float32ToFloat16Bits(feed.data[i]!);
      return new ort.Tensor('float16', bits, feed.dims);
    }
    return new ort.Tensor('float32', feed.data, feed.dims);
  }
}

function toTensorData(t: ort.Tensor): TensorData {
  switch (t.type) {
    case 'float32':
      return { dtype: 'float32', dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
    case 'float16':
      return {
        dtype: 'float32',
        dims: [...t.dims],
        data: Float32Array.from(t.data as Uint16Array, float16BitsToFloat32),
      };
    case 'int64':
      return { dtype: 'int64', dims: [...t.dims], data: BigInt64Array.from(t.data as BigInt64Array) };
    default:
      throw new InferenceError('engine', `unsupported output type ${t.type}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}

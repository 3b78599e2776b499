import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { WorkerRequest, WorkerResponse } from './worker';
import {
  type EngineLoadOptions,
  type InferenceEngine,
  InferenceError,
  type NetworkLoadReport,
  type RunRequest,
  type RunResult,
  type TensorData,
} from './types';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; what: string };

/** Distributes the union over WorkerRequest so each variant keeps its own fields once `id` is removed. */
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/**
 * Main-thread handle on the inference worker. If the worker dies, every pending and later call fails with an
 * error that says so (the planner turns that into a safe "no plan").
 */
export class WorkerInferenceEngine implements InferenceEngine {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | undefined;

  constructor() {
    this.#worker = spawnWorker();
    this.#worker.on('message', (msg: WorkerResponse) => {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (msg.ok) p.resolve(msg.value);
      else {
        const err = new InferenceError(p.what, msg.error.replace(/^[a-z_]+: /, ''));
        err.name = msg.name;
        p.reject(err);
      }
    });
    const fail = (err: Error) => {
      this.#dead = err;
      for (const p of this.#pending.values())
        p.reject(new InferenceError(p.what, `inference worker died: ${err.message}`));
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => {
      if (!this.#dead) fail(new Error(`exited with code ${code}`));
    });
    // An idle worker must not keep the process alive; a call in flight must (see #call).
    this.#worker.unref();
  }

  load(options: EngineLoadOptions): Promise<NetworkLoadReport[]> {
    return this.#call({ kind: 'load', options }, 'load') as Promise<NetworkLoadReport[]>;
  }

  run(request: RunRequest): Promise<RunResult> {
    // Feeds are copied, not transferred, so callers may keep using their buffers.
    return this.#call({ kind: 'run', request }, request.network) as Promise<RunResult>;
  }

  async store(ref: string, data: TensorData): Promise<void> {
    await this.#call({ kind: 'store', ref, data }, 'store');
  }

  fetch(ref: string): Promise<TensorData> {
    return this.#call({ kind: 'fetch', ref }, 'fetch') as Promise<TensorData>;
  }

  async release(refs: readonly string[]): Promise<void> {
    await this.#call({ kind: 'release', refs: [...refs] }, 'release');
  }

  memory(): Promise<{ rssBytes: number; heapBytes: number; externalBytes: number }> {
    return this.#call({ kind: 'memory' }, 'memory') as Promise<{
      rssBytes: number;
      heapBytes: number;
      externalBytes: number;
    }>;
  }

  async close(): Promise<void> {
    if (!this.#dead) {
      try {
        await this.#call({ kind: 'close' }, 'close');
      } catch {
        // Closing a dead worker is fine.
      }
    }
    await this.#worker.terminate();
    this.#dead ??= new Error('closed');
  }

  #call(body: RequestBody, what: string, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.#dead)
      return Promise.reject(
        new InferenceError(what, `inference worker is not running (${this.#dead.message})`),
      );
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, what });
      this.#worker.ref();
      this.#worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }
}

/** Starts worker.js from dist/, or worker.ts through ts-node when running from sources (tests, ts-node CLI). */
function spawnWorker(): Worker {
  if (__filename.endsWith('.ts')) {
    const entry = join(__dirname, 'worker.ts');
    return new Worker(
      `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(entry)});`,
      { eval: true },
    );
  }
  return new Worker(join(__dirname, 'worker.js'));
}

export type { TensorData };

import { parentPort } from 'node:worker_threads';
import { readManifest } from '../../model/manifest';
import { SessionSet } from './sessions';
import type { EngineLoadOptions, RunRequest, TensorData } from './types';

/**
 * The inference thread. ONNX Runtime's `run` blocks the thread it runs on for the whole inference, so all
 * networks live here and the main thread stays free for ROS callbacks and the control loop. Requests are handled
 * one at a time in arrival order.
 */

export type WorkerRequest =
  | { id: number; kind: 'load'; options: EngineLoadOptions }
  | { id: number; kind: 'run'; request: RunRequest }
  | { id: number; kind: 'release'; refs: string[] }
  | { id: number; kind: 'fetch'; ref: string }
  | { id: number; kind: 'store'; ref: string; data: TensorData }
  | { id: number; kind: 'memory' }
  | { id: number; kind: 'close' };

export type WorkerResponse =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; name: string };

const port = parentPort;
if (!port) throw new Error('the inference worker must run in a worker thread');

const sessions = new SessionSet();
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: WorkerRequest) => {
  queue = queue.then(() => handle(msg));
});

async function handle(msg: WorkerRequest): Promise<void> {
  try {
    const value = await dispatch(msg);
    const transfer =
      msg.kind === 'run'
        ? transferables((value as { outputs: Record<string, TensorData> }).outputs)
        : msg.kind === 'fetch'
          ? [(value as TensorData).data.buffer as ArrayBuffer]
          : [];
    port!.postMessage({ id: msg.id, ok: true, value } satisfies WorkerResponse, transfer);
  } catch (err) {
    const e = err as Error;
    port!.postMessage({ id: msg.id, ok: false, error: e.message, name: e.name } satisfies WorkerResponse);
  }
}

async function dispatch(msg: WorkerRequest): Promise<unknown> {
  switch (msg.kind) {
    case 'load': {
      const manifest = readManifest(msg.options.modelDir);
      return sessions.load(
        msg.options.modelDir,
        manifest,
        msg.options.providers,
        msg.options.networks,
        msg.options.intraOpThreads,
      );
    }
    case 'run':
      return sessions.run(msg.request);
    case 'fetch':
      return sessions.fetchKept(msg.ref);
    case 'store':
      sessions.store(msg.ref, msg.data);
      return null;
    case 'release':
      sessions.release(msg.refs);
      return null;
    case 'memory': {
      const m = process.memoryUsage();
      return { rssBytes: m.rss, heapBytes: m.heapUsed, externalBytes: m.external + m.arrayBuffers };
    }
    case 'close':
      await sessions.close();
      return null;
  }
}

function transferables(outputs: Record<string, TensorData>): ArrayBuffer[] {
  return Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer);
}

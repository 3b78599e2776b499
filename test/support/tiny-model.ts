import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModelDirectory } from '../../src/model/build';
import { TINY } from '../../src/model/presets';
import { Planner } from '../../src/planner/planner';

const built = new Map<string, Promise<string>>();

/**
 * A tiny-preset model directory built once per test process (0.5 s). `unfused` attention is what the WebGPU tests
 * use: onnxruntime 1.30's fused WebGPU attention is wrong on Mesa's lavapipe for ≥ 32 queries.
 */
export function tinyModelDir(attention: 'fused' | 'unfused' = 'fused', seed = 0): Promise<string> {
  const key = `${attention}-${seed}`;
  let dir = built.get(key);
  if (!dir) {
    const root = mkdtempSync(join(tmpdir(), 'svnav-tiny-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    const out = join(root, 'model');
    dir = buildModelDirectory({ preset: TINY, outDir: out, floatType: 'float32', seed, attention }).then(
      () => out,
    );
    built.set(key, dir);
  }
  return dir;
}

/** A deterministic model-resolution frame ([3, 32, 32] in [-1, 1]) that changes with `i`. */
export function syntheticFrame(i: number, height = 32, width = 32): { stampNs: bigint; data: Float32Array } {
  const data = new Float32Array(3 * height * width);
  for (let j = 0; j < data.length; j++) data[j] = Math.sin(j * 0.013 + i * 0.7) * 0.8;
  return { stampNs: BigInt(i + 1) * 250_000_000n, data };
}

/** A planner on the shared tiny model, CPU, as the node and replay tests use it. */
export async function loadTinyPlanner(): Promise<Planner> {
  const { planner } = await Planner.load({
    modelDir: await tinyModelDir(),
    providers: ['cpu'],
    seed: 0,
    actionSource: 'learned',
  });
  return planner;
}

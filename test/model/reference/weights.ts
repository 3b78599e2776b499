import type { GraphBuilder } from '../../../src/model/onnx/graph';
import { Rng } from '../../../src/model/onnx/rng';
import { seededValues } from '../../../src/model/weights/seeded';

/**
 * Test weights for a graph, checkpoint layout, by parameter name: the seeded values, with every constant-initialised
 * parameter (biases, LayerNorm affines) moved off its constant by N(0, 0.1²) so that a misplaced bias or norm
 * cannot hide behind zeros and ones.
 */
export function testWeights(g: GraphBuilder, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of g.parameters) {
    const v = seededValues(p, seed);
    if (p.init.kind === 'constant') {
      const rng = Rng.forParameter(seed + 7919, p.name);
      for (let i = 0; i < v.length; i++) v[i]! += 0.1 * rng.normal();
    }
    out.set(p.name, v);
  }
  return out;
}

/** A deterministic N(0, std²) array for test inputs. */
export function randomArray(n: number, seed: number, std = 1): Float32Array {
  return new Rng(seed, 1).fillNormal(new Float32Array(n), std);
}

import type { Parameter } from '../onnx/graph';
import { Rng } from '../onnx/rng';

/** The deterministic initial values of a parameter (zeros/ones/normal/uniform/a fixed table, as the network declares). */
export function seededValues(p: Parameter, seed: number): Float32Array {
  const n = p.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (p.init.kind) {
    case 'constant':
      if (p.init.value !== 0) out.fill(p.init.value);
      return out;
    case 'normal':
      return Rng.forParameter(seed, p.name).fillNormal(out, p.init.std, p.init.mean ?? 0);
    case 'uniform':
      return Rng.forParameter(seed, p.name).fillUniform(out, p.init.low, p.init.high);
    case 'table': {
      const values = p.init.values();
      if (values.length !== n)
        throw new Error(`${p.name}: table has ${values.length} values, shape needs ${n}`);
      out.set(values);
      return out;
    }
  }
}

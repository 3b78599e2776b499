import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float16BitsToFloat32 } from '../../../src/model/onnx/dtype';
import { GraphBuilder, normal } from '../../../src/model/onnx/graph';
import * as op from '../../../src/model/onnx/ops';
import { type ParameterSource, modelBytes, writeModel } from '../../../src/model/onnx/serialize';
import { seededValues } from '../../../src/model/weights/seeded';
import { maxAbsDiff, runModel } from '../ort';

/** An embedding table (as_is) and a Linear weight (transpose2d): both layouts the writer handles. */
function net(floatType: 'float32' | 'float16') {
  const g = new GraphBuilder('pieces', { floatType });
  const ids = g.input('ids', 'int64', [2]);
  const table = g.param('token_embedding.weight', [37, 5], normal(1));
  g.output(op.linear(g, op.gather(g, table, ids), 'proj', 5, 3, { bias: false }), 'y');
  return g;
}

/** Splits a tensor into uneven consecutive pieces (sizes 1, 2, 3, …). */
function uneven(data: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0, n = 1; at < data.length; at += n, n++) out.push(data.subarray(at, at + n));
  return out;
}

describe('writing ONNX initializers in pieces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pieces-'));

  for (const floatType of ['float32', 'float16'] as const) {
    it(`writes ${floatType} models byte-identical whether values come whole or in pieces`, async () => {
      const g = net(floatType);
      const whole: ParameterSource = (p) => seededValues(p, 3);
      const pieced: ParameterSource = (p) => ({ pieces: uneven(seededValues(p, 3)) });
      const a = writeModel(g, join(dir, `whole-${floatType}.onnx`), whole, { externalData: true });
      const b = writeModel(g, join(dir, `pieced-${floatType}.onnx`), pieced, { externalData: true });
      assert.equal(a.dataSha256, b.dataSha256);
      assert.deepEqual(readFileSync(a.dataPath!), readFileSync(b.dataPath!));
      assert.deepEqual(modelBytes(g, whole), modelBytes(g, pieced));
      // Two tensors: the second starts at the 4096-byte alignment; bytes count the data without padding.
      const per = floatType === 'float16' ? 2 : 4;
      assert.equal(statSync(a.dataPath!).size, 4096 + 15 * per);
      assert.equal(a.bytes - statSync(a.modelPath).size, (185 + 15) * per);

      const emb = seededValues(g.parameters[0]!, 3);
      const w = seededValues(g.parameters[1]!, 3);
      const expected = [6, 30].flatMap((id) =>
        [0, 1, 2].map((o) => [0, 1, 2, 3, 4].reduce((s, i) => s + emb[id * 5 + i]! * w[o * 5 + i]!, 0)),
      );
      const out = await runOnFile(b.modelPath, floatType);
      assert.ok(maxAbsDiff(out, expected) < (floatType === 'float16' ? 2e-2 : 1e-5));
    });
  }

  it('refuses a finite weight that would become Inf in fp16, naming it', () => {
    const g = net('float16');
    const big: ParameterSource = (p) => {
      const v = seededValues(p, 1);
      if (p.name === 'proj.weight') v[4] = 70000;
      return v;
    };
    assert.throws(
      () => modelBytes(g, big),
      /pieces: proj\.weight: value 70000 at element \d+ overflows float16 \(max 65504\); build this model in fp32/,
    );
    assert.doesNotThrow(() => modelBytes(net('float32'), big));
  });

  it('refuses pieces that do not add up to the parameter, naming it', () => {
    const g = net('float32');
    const short: ParameterSource = (p) => ({ pieces: [seededValues(p, 1).subarray(1)] });
    assert.throws(
      () => writeModel(g, join(dir, 'short.onnx'), short, { externalData: true }),
      /pieces: values for token_embedding\.weight have 184 elements, expected 185/,
    );
    const long: ParameterSource = (p) => ({ pieces: [seededValues(p, 1), new Float32Array(1)] });
    assert.throws(
      () => modelBytes(g, long),
      /values for token_embedding\.weight have 186 elements, expected 185/,
    );
  });
});

async function runOnFile(path: string, floatType: 'float32' | 'float16'): Promise<number[]> {
  const out = await runModel(path, { ids: { data: BigInt64Array.from([6n, 30n]), dims: [2] } });
  const y = out.y!.data as unknown as Float32Array | Uint16Array;
  return floatType === 'float16' ? Array.from(y as Uint16Array, float16BitsToFloat32) : Array.from(y);
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkDefinition } from '../../../src/model/network';
import { GraphBuilder, normal } from '../../../src/model/onnx/graph';
import * as op from '../../../src/model/onnx/ops';
import { modelBytes, type ParameterPieces } from '../../../src/model/onnx/serialize';
import {
  checkpointWeightsFromSources,
  unclaimedTensors,
  WeightMismatchError,
} from '../../../src/model/weights/resolve';
import { writeSafetensors } from '../../../src/model/weights/safetensors';
import { seededValues } from '../../../src/model/weights/seeded';
import { openTensorFile } from '../../../src/model/weights/tensor-source';
import { maxAbsDiff, runModel } from '../ort';
import { pthBytes, stateDictPickle } from './pth-writer';

/** y = Gather(table, ids) · Wᵀ: an embedding (as_is) and a Linear weight (transpose2d), with release-style names. */
function net(): NetworkDefinition {
  const g = new GraphBuilder('emb', { floatType: 'float32' });
  const ids = g.input('ids', 'int64', [3]);
  const table = g.param('token_embedding.weight', [10, 4], normal(1));
  const y = op.linear(g, op.gather(g, table, ids), 'proj', 4, 2, { bias: false });
  g.output(y, 'y');
  return { key: 'text_encoder', graph: g, description: 'test', isNewParameter: (n) => n === 'extra' };
}

describe('weights from checkpoint sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resolve-'));
  const def = net();
  const table = Float32Array.from({ length: 40 }, (_, i) => (i % 7) - 3 + i / 64);
  const proj = Float32Array.from({ length: 8 }, (_, i) => (i - 4) / 8);

  /** The two tensors under `vgm.` in a .pth (bf16-exact values) plus one tensor nothing uses. */
  function writePth(): string {
    const pickle = stateDictPickle([
      {
        name: 'vgm.token_embedding.weight',
        storageClass: 'FloatStorage',
        key: '0',
        numel: 40,
        shape: [10, 4],
      },
      { name: 'vgm.proj.weight', storageClass: 'FloatStorage', key: '1', numel: 8, shape: [2, 4] },
      { name: 'vgm.stray', storageClass: 'FloatStorage', key: '1', numel: 8, shape: [8] },
    ]);
    const path = join(dir, 'ck.pth');
    writeFileSync(
      path,
      pthBytes(pickle, { '0': new Uint8Array(table.buffer), '1': new Uint8Array(proj.buffer) }),
    );
    return path;
  }

  it('loads by prefixed name, transposes Linear weights on the way into ONNX, and hashes the file', async () => {
    const path = writePth();
    const source = openTensorFile(path);
    const w = checkpointWeightsFromSources(def, [{ source, prefix: 'vgm.' }], 0, { pieceElements: 16 });
    assert.deepEqual(w.provenance, {
      kind: 'loaded',
      files: [{ path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') }],
      seededParameters: [],
      seed: 0,
    });
    const embParam = def.graph.parameters.find((p) => p.name === 'token_embedding.weight')!;
    // 40 elements in pieces of at most 16, in order.
    const pieces = [...(w.pieces(embParam) as ParameterPieces).pieces];
    assert.deepEqual(
      pieces.map((p) => p.length),
      [16, 16, 8],
    );
    assert.deepEqual(w.values(embParam), table);
    const ids = BigInt64Array.from([3n, 0n, 9n]);
    const out = await runModel(modelBytes(def.graph, w.pieces), { ids: { data: ids, dims: [3] } });
    const expected: number[] = [];
    for (const id of [3, 0, 9])
      for (let o = 0; o < 2; o++) {
        let s = 0;
        for (let i = 0; i < 4; i++) s += table[id * 4 + i]! * proj[o * 4 + i]!;
        expected.push(s);
      }
    assert.ok(maxAbsDiff(out.y!.data, expected) < 1e-6);
    assert.deepEqual(unclaimedTensors([{ source, prefix: 'vgm.' }], [def]), [{ path, names: ['vgm.stray'] }]);
    source.close();
  });

  it('lists every missing and mis-shaped tensor with both shapes', () => {
    const path = join(dir, 'bad.safetensors');
    writeSafetensors(path, { 'vgm.proj.weight': { shape: [4, 2], data: new Float32Array(8) } });
    const source = openTensorFile(path);
    assert.throws(
      () => checkpointWeightsFromSources(def, [{ source, prefix: 'vgm.' }], 0),
      (e: Error) => {
        assert.ok(e instanceof WeightMismatchError);
        assert.deepEqual(e.missing, ['vgm.token_embedding.weight']);
        assert.deepEqual(e.misshaped, [{ name: 'vgm.proj.weight', expected: [2, 4], actual: [4, 2] }]);
        assert.match(
          e.message,
          /weights for text_encoder do not match.*\n.*missing 1: vgm\.token_embedding\.weight\n.*vgm\.proj\.weight expected \[2, 4\] got \[4, 2\]/,
        );
        return true;
      },
    );
    source.close();
  });

  it('keeps seeded values for parameters the network marks as new', () => {
    const g = new GraphBuilder('n', { floatType: 'float32' });
    const x = g.input('x', 'float32', [1, 4]);
    const extra = g.param('extra', [4], normal(1));
    g.output(
      op.linear(g, g.node('Add', [x, extra], { shape: [1, 4] })[0]!, 'proj', 4, 2, { bias: false }),
      'y',
    );
    const d: NetworkDefinition = {
      key: 'text_encoder',
      graph: g,
      description: '',
      isNewParameter: (n) => n === 'extra',
    };
    const path = join(dir, 'part.safetensors');
    writeSafetensors(path, { 'proj.weight': { shape: [2, 4], data: proj } });
    const source = openTensorFile(path);
    const w = checkpointWeightsFromSources(d, [{ source, prefix: '' }], 5);
    assert.equal(w.provenance.kind === 'loaded' && w.provenance.seededParameters.join(), 'extra');
    const p = g.parameters.find((q) => q.name === 'extra')!;
    assert.deepEqual(w.values(p), seededValues(p, 5));
    source.close();
  });
});

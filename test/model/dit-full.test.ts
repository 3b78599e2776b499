import { strict as assert } from 'node:assert';
import { buildDitStep, isDitHistoryParameter } from '../../src/model/networks/dit_step';
import { FULL } from '../../src/model/presets';

/** Graph-only checks of the paper-size DiT (no weights, no ORT): sizes against Wan2.1-T2V-1.3B and SYSTEM.md §6. */
describe('dit_step (full preset, graph only)', () => {
  const def = buildDitStep(FULL, { floatType: 'float16' });
  const count = (filter: (name: string) => boolean) =>
    def.graph.parameters
      .filter((p) => filter(p.name))
      .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const wan = (name: string) => !isDitHistoryParameter(name);

  it('has Wan2.1-T2V-1.3B sizes: ≈46.44 M per block and ≈1.42 B in all', () => {
    const perBlock = count((n) => n.startsWith('blocks.7.') && wan(n));
    const total = count(wan);
    console.log(
      `      Wan part: ${(perBlock / 1e6).toFixed(3)} M per block, ${(total / 1e9).toFixed(4)} B in all`,
    );
    assert.ok(Math.abs(perBlock / 46.44e6 - 1) < 0.02, `per block ${perBlock}`);
    assert.ok(Math.abs(total / 1.42e9 - 1) < 0.02, `total ${total}`);
    assert.equal(
      count((n) => n.startsWith('blocks.') && wan(n)),
      30 * perBlock,
    );
  });

  it('adds a history cross-attention of one attention + affine norm per block, plus the history embedder', () => {
    const perBlock = count((n) => n.startsWith('blocks.7.') && !wan(n));
    const embedder = count((n) => n.startsWith('history_embedder.'));
    const { dim } = FULL.dit;
    console.log(
      `      history: ${(perBlock / 1e6).toFixed(3)} M per block, embedder ${(embedder / 1e6).toFixed(3)} M, ` +
        `${(count((n) => !wan(n)) / 1e6).toFixed(1)} M in all`,
    );
    assert.equal(perBlock, 4 * (dim * dim + dim) + 2 * dim + 2 * dim);
    assert.equal(embedder, FULL.history.videoformer.hidden * dim + dim + dim * dim + dim);
    assert.equal(
      count((n) => !wan(n)),
      30 * perBlock + embedder,
    );
  });

  it('costs ≈8.3 TMAC per conditional forward at 256×448 (SYSTEM.md §6)', () => {
    const tmac = def.graph.macs / 1e12;
    console.log(`      ${tmac.toFixed(3)} TMAC per forward (text batch 1), ${def.graph.nodes.length} nodes`);
    // §6 counts 5.7 linears + 1.5 self-attention + 1.1 cross-attention; this graph also counts the text and
    // history key/value projections (≈0.43 TMAC) and the norms.
    assert.ok(tmac > 8.0 && tmac < 9.2, `${tmac} TMAC`);
  });

  it('runs 9 chunks of 448 tokens against 512 text and 2560 history tokens', () => {
    assert.deepEqual(def.metadata?.chunkOffsets, [0, 1, 2, 5, 8, 11, 14, 17, 20]);
    assert.equal(def.metadata?.sequenceTokens, 4032);
    const input = (name: string) => def.graph.inputs.find((t) => t.name === name)?.shape;
    assert.deepEqual(input('x'), [1, 16, 8, 32, 56]);
    assert.deepEqual(input('text'), ['text_batch', 512, 4096]);
    assert.deepEqual(input('history'), [1, 2560, 512]);
  });
});

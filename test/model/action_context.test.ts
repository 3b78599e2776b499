import { strict as assert } from 'node:assert';
import { buildActionContext } from '../../src/model/networks/action_context';
import { modelBytes } from '../../src/model/onnx/serialize';
import { OFFICIAL, latentGrid, TINY } from '../../src/model/presets';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import { actionContextRef } from './reference/action';
import { randomArray, testWeights } from './reference/weights';

process.env.XDG_RUNTIME_DIR ??= '/tmp';

/** fp32 ORT CPU and WebGPU (lavapipe) vs the reference (observed < 1e-6 both). */
const TOLERANCE = 2e-5;

describe('action_context', () => {
  const def = buildActionContext(TINY, { floatType: 'float32' });
  const weights = testWeights(def.graph, 5);
  const bytes = modelBytes(def.graph, (p) => weights.get(p.name)!);
  const { height: h, width: w } = latentGrid(TINY);
  const { textLen, textDim } = TINY.dit;
  const { chunks } = TINY.action;
  const inputs = (seed: number) => ({
    latents: randomArray(16 * chunks * h * w, seed),
    text: randomArray(textLen * textDim, seed + 100),
  });
  const feeds = (x: { latents: Float32Array; text: Float32Array }) => ({
    future_latents: { data: x.latents, dims: [1, 16, chunks, h, w] },
    text: { data: x.text, dims: [1, textLen, textDim] },
  });

  it('official preset: 640 video tokens of width 256 and text tokens of width 256 (graph only)', () => {
    const g = buildActionContext(OFFICIAL, { floatType: 'float32' }).graph;
    const counts = g.parameterCountsBy(1);
    console.log(
      `      action_context (official): ${(g.parameterCount / 1e6).toFixed(2)} M params ` +
        `(Video-Former ${(counts.videoformer! / 1e6).toFixed(2)} M, text projection ${(counts.text_embedding! / 1e6).toFixed(2)} M), ` +
        `${(g.macs / 1e9).toFixed(1)} GMAC per plan`,
    );
    assert.deepEqual(
      g.outputs.map((t) => [t.name, t.shape.join(',')]),
      [
        ['video_tokens', '1,640,256'],
        ['text_tokens', '1,512,256'],
      ],
    );
    assert.equal(counts.text_embedding, 4096 * 256 + 256);
    assert.equal(counts.chunk_embedding, 2 * 256);
    assert.deepEqual(
      g.inputs.map((t) => [t.name, t.shape.join(',')]),
      [
        ['future_latents', '1,16,2,32,32'],
        ['text', '1,512,4096'],
      ],
    );
  });

  it('tiny: ORT CPU equals the plain reference', async () => {
    const x = inputs(1);
    const out = await runModel(bytes, feeds(x));
    const ref = actionContextRef(TINY, weights, x.latents, x.text);
    assert.deepEqual(out.video_tokens!.dims, [
      1,
      TINY.action.videoformer.queries,
      TINY.action.videoformer.hidden,
    ]);
    assert.deepEqual(out.text_tokens!.dims, [1, textLen, TINY.action.videoformer.hidden]);
    const dv = maxAbsDiff(out.video_tokens!.data, ref.video.data);
    const dt = maxAbsDiff(out.text_tokens!.data, ref.text.data);
    console.log(
      `      action_context tiny CPU vs reference: video ${dv.toExponential(2)}, text ${dt.toExponential(2)}`,
    );
    assert.ok(dv < TOLERANCE && dt < TOLERANCE, `max abs diff video ${dv}, text ${dt}`);
  });

  it('each future chunk it reads reaches the video tokens; the text does not', async () => {
    const x = inputs(2);
    const base = (await runModel(bytes, feeds(x))).video_tokens!.data;
    const plane = h * w;
    for (const chunk of [0, chunks - 1]) {
      const latents = x.latents.slice();
      for (let i = 0; i < plane; i++) latents[chunk * plane + i] += 1; // channel 0 of one chunk
      const moved = maxAbsDiff(base, (await runModel(bytes, feeds({ ...x, latents }))).video_tokens!.data);
      assert.ok(moved > 1e-5, `chunk ${chunk} moved the video tokens by ${moved}`);
    }
    const otherText = (await runModel(bytes, feeds({ ...x, text: randomArray(textLen * textDim, 9) })))
      .video_tokens!.data;
    assert.equal(maxAbsDiff(base, otherText), 0);
  });

  it('rejects future latents of the wrong resolution, naming the input', async () => {
    const x = inputs(3);
    await assert.rejects(
      runModel(bytes, {
        ...feeds(x),
        future_latents: {
          data: new Float32Array(16 * chunks * h * (w + 2)),
          dims: [1, 16, chunks, h, w + 2],
        },
      }),
      /future_latents/,
    );
  });

  it('tiny: WebGPU equals the reference', async function () {
    if (!(await webgpuAvailable())) this.skip(); // no WebGPU adapter (Mesa lavapipe) on this machine
    const x = inputs(4);
    const out = await runModel(bytes, feeds(x), 'webgpu');
    const ref = actionContextRef(TINY, weights, x.latents, x.text);
    const d = Math.max(
      maxAbsDiff(out.video_tokens!.data, ref.video.data),
      maxAbsDiff(out.text_tokens!.data, ref.text.data),
    );
    console.log(`      action_context tiny WebGPU vs reference: max abs diff ${d.toExponential(2)}`);
    assert.ok(d < TOLERANCE, `max abs diff ${d}`);
  });
});

import { strict as assert } from 'node:assert';
import type { ModelManifest } from '../../src/model/manifest';
import { NETWORK_KEYS } from '../../src/model/network';
import { WorkerInferenceEngine } from '../../src/planner/engine/worker-engine';
import { decodeLatents } from '../../src/planner/stages/decode';
import { Observation } from '../../src/planner/stages/observation';
import { padText } from '../../src/planner/stages/text';
import { denoise, historyFeatures, imagineFuture } from '../../src/planner/stages/video';
import { f32, readFixture, relativeError } from '../official-fixtures';
import { officialTinyModel } from '../support/official-checkpoint';

const TOLERANCE = 1e-4;
const report = (what: string, rel: number) => {
  if (process.env.SVNAV_REPORT_ERRORS) console.log(`      ${what}: rel ${rel.toExponential(2)}`);
  assert.ok(rel <= TOLERANCE, `${what}: relative error ${rel} > ${TOLERANCE}`);
};

/** [L, D] text → the formers' [1, L, D] input. */
function trimmedText(text: Float32Array, dim: number) {
  return { dtype: 'float32' as const, dims: [1, text.length / dim, dim], data: text };
}

describe('the release end to end on the official-tiny checkpoint (fp32, CPU)', function () {
  this.timeout(120_000);
  const e2e = readFixture('e2e.safetensors');
  const text = f32(readFixture('svn_inputs.safetensors'), 'text_embedding');
  let engine: WorkerInferenceEngine;
  let manifest: ModelManifest;

  before(async () => {
    const model = await officialTinyModel();
    manifest = model.manifest;
    engine = new WorkerInferenceEngine();
    await engine.load({
      modelDir: model.dir,
      providers: ['cpu'],
      networks: NETWORK_KEYS,
      intraOpThreads: 1,
    });
    const dim = manifest.text.dit_dim;
    await engine.store('text/dit', padText(text, text.length / dim, dim, manifest.text.dit_text_len));
  });
  after(() => engine?.close());

  it('records the checkpoint files with their hashes and marks the video generator trained, the action head not', () => {
    assert.deepEqual(manifest.sources.map((s) => s.file).sort(), [
      'Wan2.1_VAE.pth',
      'google/umt5-xxl/tokenizer.json',
      'models_t5_umt5-xxl-enc-bf16.pth',
      'svn_ckpt/config.json',
      'svn_ckpt/diffusion_pytorch_model.safetensors',
    ]);
    assert.ok(manifest.sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256)));
    assert.deepEqual(manifest.trained, { video_generator: true, action_head: false });
    assert.deepEqual(manifest.resolution, { height: 32, width: 32 });
    assert.equal(manifest.history.max_chunks, 16);
  });

  it('encodes the reference and the history from the sampled frames as the release does', async () => {
    const frames = e2e.get('sampled_frames_u8')!.data as Uint8Array;
    const observation = new Observation(manifest, engine);
    // The release drops the oldest frame (17 → 16, a multiple of 4); the episode starts at the next one.
    for (let i = 1; i < 17; i++) await observation.addFrame(modelFrame(frames, i, 32));
    const snapshot = (await observation.snapshot())!;
    assert.equal(snapshot.historyChunks, 2);
    report('reference latent', relativeError(snapshot.reference, f32(e2e, 'reference_latent')));
    report('history latent', relativeError(snapshot.history, f32(e2e, 'history_latent')));
    await observation.reset();
  });

  it('reproduces the 4-step loop step by step (our DiT + our UniPC, chained)', async () => {
    const loop = readFixture('loop.safetensors');
    const latent = f32(loop, 'video_latent');
    await engine.store('loop/history', {
      dtype: 'float32',
      dims: [1, ...loop.get('history_features')!.shape.slice(1)],
      data: f32(loop, 'history_features'),
    });
    const errors: number[] = [];
    const final = await denoise(engine, manifest, {
      latent: Float32Array.from(latent),
      reference: referenceOf(latent, 16, 10, 2),
      ditTextRef: 'text/dit',
      historyRef: 'loop/history',
      onStep: (k, input, velocity, trace) => {
        errors.push(relativeError(input, f32(loop, `step${k}.model_input`)));
        errors.push(relativeError(velocity, f32(loop, `step${k}.velocity`)));
        errors.push(relativeError(trace.x0, f32(loop, `step${k}.x0_pred`)));
        errors.push(relativeError(trace.corrected, f32(loop, `step${k}.sample_after_corrector`)));
        errors.push(relativeError(trace.next, f32(loop, `step${k}.prev_sample`)));
      },
    });
    await engine.release(['loop/history']);
    assert.equal(errors.length, 20);
    report('every per-step tensor of the loop', Math.max(...errors));
    report('final latent', relativeError(final, f32(loop, 'final')));
  });

  it('reproduces the pipeline: history features, denoised latents and the 37-frame uint8 video', async () => {
    const history = f32(e2e, 'history_latent');
    await historyFeatures(
      engine,
      manifest,
      { history, historyChunks: 2, trimmedText: trimmedText(text, 4096) },
      'e2e/h',
    );
    const features = await engine.fetch('e2e/h');
    await engine.release(['e2e/h']);
    report('history features', relativeError(features.data as Float32Array, f32(e2e, 'history_features')));

    const video = await imagineFuture(engine, manifest, {
      reference: f32(e2e, 'reference_latent'),
      history,
      historyChunks: 2,
      ditTextRef: 'text/dit',
      trimmedText: trimmedText(text, 4096),
      noise: f32(e2e, 'future_noise'),
    });
    report('denoised latents', relativeError(video.latents, f32(e2e, 'denoised')));

    const decoded = await decodeLatents(engine, manifest, video.latents, 10);
    assert.equal(decoded.frames.length, 37);
    const official = e2e.get('video_u8')!.data as Uint8Array;
    let differ = 0;
    let worst = 0;
    decoded.frames.forEach((f, i) => {
      for (let j = 0; j < f.length; j++) {
        const d = Math.abs(f[j]! - official[i * f.length + j]!);
        if (d) differ++;
        worst = Math.max(worst, d);
      }
    });
    if (process.env.SVNAV_REPORT_ERRORS)
      console.log(`      video_u8: ${differ} of ${official.length} bytes differ, by ≤ ${worst}`);
    // uint8 truncation turns a 1e-6 difference at an integer boundary into one step.
    assert.ok(worst <= 1 && differ <= official.length * 1e-3, `${differ} bytes differ, by up to ${worst}`);
  });
});

/** Frame i of [T, S, S, 3] uint8 → the VAE's [3, S, S] in [−1, 1] (x/127.5 − 1). */
function modelFrame(frames: Uint8Array, i: number, size: number) {
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) data[c * plane + p] = frames[(i * plane + p) * 3 + c]! / 127.5 - 1;
  }
  return { stampNs: BigInt(i) * 250_000_000n, data };
}

/** Frames 0..r−1 of every channel of [C, T, plane]. */
function referenceOf(x: Float32Array, channels: number, frames: number, r: number): Float32Array {
  const plane = x.length / (channels * frames);
  const out = new Float32Array(channels * r * plane);
  for (let c = 0; c < channels; c++)
    out.set(x.subarray(c * frames * plane, (c * frames + r) * plane), c * r * plane);
  return out;
}

import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import { silu } from '../../onnx/ops';
import type { VaeConfig } from '../../presets';
import { downsample, middleBlock, residualBlock, upsample } from './blocks';
import { causalConv3d, rmsNormChannels } from './layers';
import type { Temporal } from './temporal';

/**
 * The release's `Encoder3d` and `Decoder3d` (OFFICIAL.md §7) on frames-first activations [F, C, H, W]. Parameter
 * names follow `Wan2.1_VAE.pth`: `conv1`, the flat `downsamples.N` / `upsamples.N` lists (residual blocks and
 * resamplers numbered together), `middle.{0,1,2}`, `head.{0,2}`.
 */

/** Channel widths of the encoder stages: dim·[1, m0, m1, …]. */
export function encoderDims(vae: VaeConfig): number[] {
  return [1, ...vae.dimMult].map((m) => vae.dim * m);
}

/** Channel widths of the decoder stages: dim·[m_last, m_last, …, m0] (the release's mirrored order). */
export function decoderDims(vae: VaeConfig): number[] {
  const mult = vae.dimMult;
  return [mult[mult.length - 1]!, ...[...mult].reverse()].map((m) => vae.dim * m);
}

/**
 * `Encoder3d` with z_dim = 2·zDim outputs (μ and log σ²). `frameDim(k)` names the frame dim after the k-th
 * temporal halving (a number in clip mode).
 */
export function encoder3d(
  g: GraphBuilder,
  t: Temporal,
  x: Tensor,
  vae: VaeConfig,
  frameDim: (halvings: number, before: Dim) => Dim,
): Tensor {
  return g.scope('encoder', () => {
    const dims = encoderDims(vae);
    let y = causalConv3d(g, t, x, 'conv1', 3, dims[0]!);
    let halvings = 0;
    g.scope('downsamples', () => {
      let index = 0;
      for (let i = 0; i + 1 < dims.length; i++) {
        let inDim = dims[i]!;
        const outDim = dims[i + 1]!;
        for (let r = 0; r < vae.numResBlocks; r++) {
          y = g.scope(index++, () => residualBlock(g, t, y, inDim, outDim));
          inDim = outDim;
        }
        if (i + 2 < dims.length) {
          const temporal = vae.temporalDownsample[i]!;
          const frames = temporal ? frameDim(++halvings, y.shape[0]!) : y.shape[0]!;
          y = g.scope(index++, () => downsample(g, t, y, outDim, temporal, frames));
        }
      }
    });
    const top = dims[dims.length - 1]!;
    y = middleBlock(g, t, y, top);
    y = silu(g, rmsNormChannels(g, y, 'head.0', top));
    return causalConv3d(g, t, y, 'head.2', top, 2 * vae.zDim);
  });
}

/**
 * `Decoder3d`: zDim channels in, RGB out (not clamped here). The i-th stage after the first takes half the width
 * the previous upsampler left; `frameDim(k)` names the frame dim after the k-th temporal doubling.
 */
export function decoder3d(
  g: GraphBuilder,
  t: Temporal,
  x: Tensor,
  vae: VaeConfig,
  frameDim: (doublings: number, before: Dim) => Dim,
): Tensor {
  return g.scope('decoder', () => {
    const dims = decoderDims(vae);
    const upsampleInTime = [...vae.temporalDownsample].reverse();
    let y = causalConv3d(g, t, x, 'conv1', vae.zDim, dims[0]!);
    y = middleBlock(g, t, y, dims[0]!);
    let doublings = 0;
    g.scope('upsamples', () => {
      let index = 0;
      for (let i = 0; i + 1 < dims.length; i++) {
        // The release halves the input width of stages 1–3 (each follows an upsampler that halved it).
        let inDim = i > 0 ? dims[i]! / 2 : dims[i]!;
        const outDim = dims[i + 1]!;
        for (let r = 0; r <= vae.numResBlocks; r++) {
          y = g.scope(index++, () => residualBlock(g, t, y, inDim, outDim));
          inDim = outDim;
        }
        if (i + 2 < dims.length) {
          const temporal = upsampleInTime[i]!;
          const frames = temporal ? frameDim(++doublings, y.shape[0]!) : y.shape[0]!;
          y = g.scope(index++, () => upsample(g, t, y, outDim, temporal, frames));
        }
      }
    });
    const last = dims[dims.length - 1]!;
    y = silu(g, rmsNormChannels(g, y, 'head.0', last));
    return causalConv3d(g, t, y, 'head.2', last, 3);
  });
}

/**
 * The frames the geometric source reads, taken from the VAE decoder's output. The release decodes the 10
 * latents [reference 1, reference 2, future 1..8] as one causal clip: latent 0 → frame 0, each later latent →
 * 4 frames (OFFICIAL.md §2). The last reference frame is frame 4 and the first two future chunks are frames
 * 5..12, so decoding the first 4 latents (13 frames) is enough: later latents cannot change earlier frames.
 */
import { GeometricInputError, PLAN_FRAMES, type ImageFrame } from './estimate';

/** Index of the last reference frame in the decoded clip; the plan's frames are this one and the next 8. */
export const LAST_REFERENCE_FRAME = 4;
/** Latents to decode for a plan: 2 reference + 2 future chunks → 1 + 3 × 4 = 13 frames. */
export const LATENTS_FOR_PLAN = 4;

/**
 * Frames 4..12 of a decoded clip, planar float32 [3, T, H, W] (batch 1) in [−1, 1], as interleaved RGB bytes
 * the way the release writes its video: ((x + 1) · 127.5) clamped to [0, 255] and truncated. A non-finite
 * value is an error: it means the network failed, and a picture made of it would be read as motion.
 */
export function planFramesFromClip(
  clip: Float32Array,
  frames: number,
  height: number,
  width: number,
): ImageFrame[] {
  const plane = height * width;
  if (clip.length !== 3 * frames * plane) {
    throw new GeometricInputError(
      `decoded clip holds ${clip.length} values, expected 3 × ${frames} × ${height} × ${width} = ${3 * frames * plane}`,
    );
  }
  if (frames < LAST_REFERENCE_FRAME + PLAN_FRAMES) {
    throw new GeometricInputError(
      `decoded clip has ${frames} frames; the plan reads frames ${LAST_REFERENCE_FRAME}..${LAST_REFERENCE_FRAME + PLAN_FRAMES - 1} (decode ${LATENTS_FOR_PLAN} latents)`,
    );
  }
  const out: ImageFrame[] = [];
  for (let t = LAST_REFERENCE_FRAME; t < LAST_REFERENCE_FRAME + PLAN_FRAMES; t++) {
    const rgb = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const base = (c * frames + t) * plane;
      for (let i = 0; i < plane; i++) {
        const x = clip[base + i]!;
        if (!Number.isFinite(x)) {
          throw new GeometricInputError(
            `decoded frame ${t} has a non-finite value ${x} in channel ${c} at pixel ${i}`,
          );
        }
        rgb[i * 3 + c] = Math.min(255, Math.max(0, Math.trunc((x + 1) * 127.5)));
      }
    }
    out.push({ rgb, width, height });
  }
  return out;
}

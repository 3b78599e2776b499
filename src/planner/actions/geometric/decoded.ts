/**
 * The frames the geometric source reads, taken from the VAE decoder's output. The release decodes the 10
 * latents [reference 1, reference 2, future 1..8] as one causal clip: latent 0 → frame 0, each later latent →
 * 4 frames (OFFICIAL.md §2). The last reference frame is frame 4 and the first two future chunks are frames
 * 5..12, so decoding the first 4 latents (13 frames) is enough: later latents cannot change earlier frames.
 */

/** Index of the last reference frame in the decoded clip; the plan's frames are this one and the next 8. */
export const LAST_REFERENCE_FRAME = 4;
/** Latents to decode for a plan: 2 reference + 2 future chunks → 1 + 3 × 4 = 13 frames. */
export const LATENTS_FOR_PLAN = 4;

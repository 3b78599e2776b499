import type { ModelManifest } from '../../model/manifest';
import type { InferenceEngine } from '../engine/types';
import { allFinite } from '../noise';
import { encodeClip, type ModelFrame, stackFrames, stackLatents, VaeStream } from '../vae-stream';

/** What one plan sees of the episode: the clean reference latents and the history latents before them. */
export interface ObservationSnapshot {
  /** [C, referenceChunks, h, w]: the last 8 frames encoded as their own clip. */
  reference: Float32Array;
  /** [C, N, h, w]: the N chunks before the reference, as the episode-long history clip encoded them. */
  history: Float32Array;
  historyChunks: number;
  /** History chunks that no longer fit the Q-Former's frame table and were left out (oldest first). */
  droppedChunks: number;
  /** Stamp of the newest frame of the reference. */
  newestStampNs: bigint;
}

/**
 * The episode's frames as the release's pipeline sees them, without re-encoding the history at every plan.
 *
 * The release re-encodes the whole history clip ([dup f0, f0 … f_{4N−1}]) at every call. Its VAE is causal, so the
 * latent of chunk j depends only on frames up to chunk j: streaming the episode-long clip once, chunk by chunk,
 * gives the same latents as any re-encode of a history that starts at the episode's first frame. Chunks are
 * aligned to the episode's first frame and a plan uses complete chunks only (the release instead drops the
 * `count % 4` oldest frames, moving every chunk boundary as frames arrive; at a chunk boundary the two agree).
 * When the history outgrows the Q-Former's `max_frames` table, the newest `max_chunks` latents are used as the
 * episode clip encoded them (a re-encode starting at the window's first frame would differ slightly near that
 * frame, through the VAE's causal receptive field); the release has no such bound and would fail there.
 */
export class Observation {
  readonly #manifest: ModelManifest;
  readonly #history: VaeStream;
  readonly #reference: VaeStream;
  /** Latents of every complete chunk of the episode (newest last), bounded. */
  #chunks: Float32Array[] = [];
  #dropped = 0;
  /** Frames of the chunk being filled, then of the last `referenceChunks` complete chunks. */
  #pending: ModelFrame[] = [];
  #recent: ModelFrame[] = [];

  constructor(manifest: ModelManifest, engine: InferenceEngine) {
    this.#manifest = manifest;
    this.#history = new VaeStream(manifest, engine, 'vae_encoder', 'history');
    this.#reference = new VaeStream(manifest, engine, 'vae_encoder', 'reference');
  }

  /** Complete chunks of the episode so far (history + reference candidates, before any bound). */
  get chunks(): number {
    return this.#chunks.length + this.#dropped;
  }

  /** Chunks a plan needs: the reference plus at least one history chunk. */
  get chunksNeeded(): number {
    return this.#manifest.reference_chunks + 1;
  }

  /** Adds one frame at the model rate; returns true when it completed a chunk (its history latent is encoded). */
  async addFrame(frame: ModelFrame): Promise<boolean> {
    const { height, width } = this.#manifest.resolution;
    const chunkFrames = this.#manifest.chunk_frames;
    if (frame.data.length !== 3 * height * width) {
      throw new RangeError(
        `frame at ${frame.stampNs} ns has ${frame.data.length} values, the encoder needs 3×${height}×${width}`,
      );
    }
    if (!allFinite(frame.data)) throw new RangeError(`frame at ${frame.stampNs} ns holds non-finite values`);
    if (!this.#history.started) await this.#history.next(stackFrames([frame], height, width)); // the duplicate f0
    this.#pending.push(frame);
    if (this.#pending.length < chunkFrames) return false;
    const frames = this.#pending.splice(0, chunkFrames);
    const latent = (await this.#history.next(stackFrames(frames, height, width))).data as Float32Array;
    if (!allFinite(latent)) {
      throw new RangeError(
        `the VAE encoder produced non-finite values for the chunk ending at ${frames[chunkFrames - 1]!.stampNs} ns`,
      );
    }
    this.#chunks.push(latent);
    this.#recent = [...this.#recent, ...frames].slice(-this.#manifest.reference_chunks * chunkFrames);
    const keep = this.#manifest.history.max_chunks + this.#manifest.reference_chunks;
    if (this.#chunks.length > keep) {
      this.#dropped += this.#chunks.length - keep;
      this.#chunks = this.#chunks.slice(-keep);
    }
    return true;
  }

  /** The reference (encoded now as its own clip) and the history, or undefined before there are enough chunks. */
  async snapshot(): Promise<ObservationSnapshot | undefined> {
    const m = this.#manifest;
    if (this.#chunks.length < this.chunksNeeded) return undefined;
    const history = this.#chunks.slice(0, this.#chunks.length - m.reference_chunks);
    const reference = await encodeClip(this.#reference, this.#recent, m.chunk_frames, m.resolution);
    return {
      reference,
      history: stackLatents(history, m.latent.channels),
      historyChunks: history.length,
      droppedChunks: this.#dropped,
      newestStampNs: this.#recent[this.#recent.length - 1]!.stampNs,
    };
  }

  /** A new episode: no frames, fresh caches. */
  async reset(): Promise<void> {
    await this.#history.reset();
    await this.#reference.reset();
    this.#chunks = [];
    this.#dropped = 0;
    this.#pending = [];
    this.#recent = [];
  }
}

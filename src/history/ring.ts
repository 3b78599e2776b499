import type { TimeNs } from '../messages/time';

/** One chunk latent of the compressed observation history: [channels, height, width], normalised. */
export interface ChunkLatent {
  /** Stamp of the last camera frame of the chunk. */
  stampNs: TimeNs;
  data: Float32Array;
}

/**
 * The compressed observation history: a bounded ring of chunk latents (one per second of video, 48× smaller than
 * the frames). The oldest chunk falls out when the ring is full, so memory is fixed by the capacity.
 */
export class HistoryRing {
  readonly #slots: (ChunkLatent | undefined)[];
  #next = 0;
  #size = 0;

  constructor(
    readonly capacity: number,
    readonly chunkShape: readonly [number, number, number],
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`history capacity must be ≥ 1, got ${capacity}`);
    this.#slots = new Array<ChunkLatent | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get chunkElements(): number {
    return this.chunkShape[0] * this.chunkShape[1] * this.chunkShape[2];
  }

  /** Bytes held at full capacity (fp32). */
  get capacityBytes(): number {
    return this.capacity * this.chunkElements * 4;
  }

  push(chunk: ChunkLatent): void {
    if (chunk.data.length !== this.chunkElements) {
      throw new RangeError(
        `chunk latent has ${chunk.data.length} values, the history holds [${this.chunkShape.join(', ')}]`,
      );
    }
    const newest = this.newest();
    if (newest && chunk.stampNs <= newest.stampNs) {
      throw new RangeError(
        `chunk stamp ${chunk.stampNs} ns is not after the newest chunk's ${newest.stampNs} ns`,
      );
    }
    this.#slots[this.#next] = { stampNs: chunk.stampNs, data: Float32Array.from(chunk.data) };
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  newest(): ChunkLatent | undefined {
    if (this.#size === 0) return undefined;
    return this.#slots[(this.#next - 1 + this.capacity) % this.capacity];
  }

  /** Chunks oldest first. */
  chunks(): ChunkLatent[] {
    const out: ChunkLatent[] = [];
    for (let i = 0; i < this.#size; i++) {
      out.push(this.#slots[(this.#next - this.#size + i + this.capacity) % this.capacity]!);
    }
    return out;
  }

  /**
   * The history as the compressor's inputs: latents [1, C, N, H, W] oldest first (channel-major, as a video
   * latent) and the age of each chunk in chunks (0 = newest).
   */
  stack(): { latents: Float32Array; dims: [1, number, number, number, number]; ages: Float32Array } {
    const [c, h, w] = this.chunkShape;
    const chunks = this.chunks();
    const n = chunks.length;
    const latents = new Float32Array(c * n * h * w);
    const plane = h * w;
    chunks.forEach((chunk, t) => {
      for (let ch = 0; ch < c; ch++) {
        latents.set(chunk.data.subarray(ch * plane, (ch + 1) * plane), (ch * n + t) * plane);
      }
    });
    const ages = Float32Array.from(chunks, (_, t) => n - 1 - t);
    return { latents, dims: [1, c, n, h, w], ages };
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#next = 0;
    this.#size = 0;
  }
}

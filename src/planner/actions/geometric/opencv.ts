/**
 * OpenCV's WebAssembly build (@techstark/opencv-js, Apache-2.0, one self-contained file: no network, no native
 * code). It is loaded once per process on first use (≈0.7 s on a 2-core machine) and kept.
 *
 * Only the few functions the motion estimator calls are typed here, as the build exposes them; the package's
 * own typings describe the C++ overloads rather than what the Embind build accepts.
 */
import { createRequire } from 'node:module';

/** An OpenCV matrix; `delete()` frees its WebAssembly memory (there is no garbage collection for it). */
export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  readonly data32F: Float32Array;
  readonly data64F: Float64Array;
  empty(): boolean;
  delete(): void;
}

export interface CvSize {
  width: number;
  height: number;
}

/** The subset of the cv namespace the estimator uses. */
export interface OpenCv {
  Mat: { new (): CvMat; new (rows: number, cols: number, type: number): CvMat };
  Size: new (width: number, height: number) => CvSize;
  TermCriteria: new (type: number, maxCount: number, epsilon: number) => object;
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): CvMat;
  cvtColor(src: CvMat, dst: CvMat, code: number): void;
  goodFeaturesToTrack(
    image: CvMat,
    corners: CvMat,
    maxCorners: number,
    qualityLevel: number,
    minDistance: number,
    mask: CvMat,
    blockSize: number,
  ): void;
  calcOpticalFlowPyrLK(
    prev: CvMat,
    next: CvMat,
    prevPts: CvMat,
    nextPts: CvMat,
    status: CvMat,
    err: CvMat,
    winSize: CvSize,
    maxLevel: number,
    criteria: object,
  ): void;
  findHomography(src: CvMat, dst: CvMat, method: number, threshold: number, mask: CvMat): CvMat;
  CV_8UC1: number;
  CV_8UC3: number;
  CV_32FC2: number;
  COLOR_RGB2GRAY: number;
  RANSAC: number;
  TERM_CRITERIA_EPS: number;
  TERM_CRITERIA_COUNT: number;
}

export class OpenCvLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OpenCvLoadError';
  }
}

/**
 * The loaded runtime, boxed: the Emscripten module is itself a thenable whose `then` hands back the module, so
 * resolving a promise with it directly would never settle.
 */
export interface OpenCvRuntime {
  readonly cv: OpenCv;
}

let loading: Promise<OpenCvRuntime> | undefined;

/** The OpenCV runtime, initialised once; later calls return the same instance. */
export function loadOpenCv(): Promise<OpenCvRuntime> {
  loading ??= initialise().catch((err: unknown) => {
    loading = undefined; // a later call may try again
    throw err instanceof OpenCvLoadError
      ? err
      : new OpenCvLoadError(`cannot load @techstark/opencv-js: ${(err as Error).message}`, { cause: err });
  });
  return loading;
}

async function initialise(): Promise<OpenCvRuntime> {
  // A plain require: through a dynamic import() the ESM wrapper of this 10 MB CommonJS file took minutes.
  const module = createRequire(__filename)('@techstark/opencv-js') as Partial<OpenCv> & {
    onRuntimeInitialized?: () => void;
  };
  if (typeof module.Mat === 'function') return { cv: module as OpenCv };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new OpenCvLoadError('@techstark/opencv-js did not initialise within 30 s')),
      30_000,
    );
    module.onRuntimeInitialized = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  if (typeof module.Mat !== 'function')
    throw new OpenCvLoadError('@techstark/opencv-js has no Mat after start-up');
  return { cv: module as OpenCv };
}

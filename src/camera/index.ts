export { compressForRelay } from './compress';
export type { RelayJpeg, RelayJpegOptions } from './compress';
export { CameraContract, describeCover } from './contract';
export type {
  CameraContractOptions,
  CameraContractReport,
  CameraMessageType,
  CameraObservation,
} from './contract';
export {
  decodeCameraMessage,
  decodeCompressedImage,
  decodeImage,
  packedPixels,
  RAW_ENCODINGS,
  rawImageProblem,
} from './decode';
export type { DecodeOptions } from './decode';
export { CameraFrameError, DEFAULT_MODEL_RESOLUTION, toModelInput } from './frame';
export type { FrameSource, ModelResolution, RgbFrame } from './frame';
export { baseToOptical, cameraMountFromConfig } from './mount';
export type { CameraMount, MountGeometry, OpticalPoint } from './mount';
export { FrameSampler, MODEL_FRAME_PERIOD_NS } from './sampler';
export type { FrameGap, FrameSamplerOptions, RejectedFrame, SampledFrame, SamplerEvent } from './sampler';
export { FrameThrottle } from './throttle';

export { Replay, runReplay, RECORDED_INPUT_PREFIX } from './replay';
export type {
  LiveView,
  ReplayFiles,
  ReplayHooks,
  ReplayMode,
  ReplayOptions,
  ReplayProgress,
  ReplayTask,
  ReplayTiming,
} from './options';
export { BagTransport } from './bag-transport';
export type { BagTransportOptions, DelayRule } from './bag-transport';
export { PacedClock } from './paced-clock';
export { chooseCameraTopic, ReplayInputError, DEFAULT_COMPRESSED_CAMERA_TOPIC } from './camera-topic';
export type { CameraChoice } from './camera-topic';
export { DEFAULT_LATENCY_MS, describeLatencyModel, planDelayRules } from './latency';
export type { LatencyModel } from './latency';
export { evaluateBag, TfOdometry } from './evaluate';
export type { BagEvaluation } from './evaluate';
export { ReplayRecorder, replayCodec } from './recorder';
export { cameraInfoTopicFor } from '../camera/intrinsics';
export { REPLAY_REPORT_VERSION, formatReplayReport, writeJsonReport } from './report';
export type { ReplayReport } from './report';
export { periodStats } from './twist-timing';
export type { PeriodStats } from './twist-timing';

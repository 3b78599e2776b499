/**
 * The library surface of sparse_video_nav for programs that embed it (the `svnav` CLI is the main entry point):
 * the model builder, the planner runtime, the nodes and their transports, bags, replay and evaluation.
 */
export { ConfigError, defaultConfig, loadConfigFile, parseConfig, type SvnavConfig } from './config';
export { buildModelDirectory, describeModel, type BuildModelOptions, type DryRunReport } from './model/build';
export { readManifest, type ModelManifest } from './model/manifest';
export { OFFICIAL, TINY, PRESETS, type ModelPreset } from './model/presets';
export { Planner, PlannerError, type LoadReport, type PlannerOptions } from './planner/planner';
export type { Action, NoPlan, Plan, PlanOutcome, StageTimings } from './planner/plan';
export { runBenchmark, type BenchReport } from './planner/bench';
export { ControllerNode } from './nodes/controller/node';
export { PlannerNode } from './nodes/planner/node';
export { wireNavigationNodes, type NavigationNodes } from './nodes/wiring';
export { InMemoryTransport, VirtualClock, WallClock } from './transport/memory';
export {
  Qos,
  type Clock,
  type Logger,
  type Publisher,
  type QosProfile,
  type Transport,
} from './transport/transport';
export { BagReader, BagWriter, generateDemoBag } from './bag';
export { runReplay } from './replay';
export * as messages from './messages/ros';

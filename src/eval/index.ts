export { evaluateRun, actualWaypoints, trajectoryErrors, capNotes, MAX_NOTES_PER_KIND } from './metrics';
export type { EvalInput } from './metrics';
export { OdometryTrack } from './odometry';
export type { StampedOdometry } from './odometry';
export { commandJerk, commandSamples, stopEvents, stopRows } from './commands';
export type { CommandSample, StampedControllerStatus, StampedTwist } from './commands';
export { EvalCollector, evalTopicsFromConfig } from './collect';
export { evaluateBag } from './bag';
export type { EvalTopics, TopicMessage } from './collect';
export {
  DEFAULT_EVAL_OPTIONS,
  EVAL_REPORT_VERSION,
  STAGES,
  poolJerk,
  summarize,
  summarizeRuns,
} from './report';
export type {
  EvalOptions,
  EvalReport,
  EvalSummary,
  JerkStats,
  PlanRow,
  RunsSummary,
  SkipReason,
  SkippedPlan,
  StageName,
  StatusRow,
  StopRow,
} from './report';
export { formatReport, formatRunsSummary, formatSummary, table } from './format';
export { distribution, quantile, rms } from '../stats/distribution';
export type { Distribution } from '../stats/distribution';

/** The I/O edge of the evaluation: one rosbag2 MCAP in, one report out (what `svnav eval BAG…` runs per bag). */
import { openBag } from '../bag/reader';
import { EvalCollector, type EvalTopics } from './collect';
import { evaluateRun } from './metrics';
import type { EvalOptions, EvalReport } from './report';

export async function evaluateBag(
  path: string,
  topics: EvalTopics,
  options: Partial<EvalOptions> = {},
): Promise<EvalReport> {
  const collector = new EvalCollector(path, topics);
  const reader = await openBag(path);
  try {
    await collector.addAll(reader.messages({ topics: collector.topicList }));
  } finally {
    await reader.close();
  }
  return evaluateRun(collector.input(), { odomTopic: topics.odom, cmdVelTopic: topics.cmdVel, ...options });
}

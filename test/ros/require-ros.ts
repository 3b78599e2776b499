import { rosUnavailable } from './harness';

/**
 * The suite's gate: without ROS 2 it says loudly that it did not run and skips; on CI (CI=true) a skipped ROS
 * suite is a failure, because CI installs ROS 2 (`.ci/run`) and must prove the nodes on a live graph.
 */
export function requireRos(context: Mocha.Context): void {
  const missing = rosUnavailable();
  if (!missing) return;
  const banner = [
    '',
    '  ############################################################################',
    '  ##  THE ROS 2 INTEGRATION SUITE DID NOT RUN: ' + missing,
    '  ##  Nothing about the nodes, launch files or rosbag2 compatibility was tested.',
    '  ############################################################################',
    '',
  ].join('\n');
  console.error(banner);
  if (process.env.CI === 'true') throw new Error(`ROS integration suite cannot run on CI: ${missing}`);
  context.skip();
}

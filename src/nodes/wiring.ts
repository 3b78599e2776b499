import type { SvnavConfig } from '../config/schema';
import type { Transport } from '../transport/transport';
import { ControllerNode } from './controller/node';
import { PlannerNode, type PlannerNodeOptions, type PlannerRuntime } from './planner/node';

/** The planner and controller nodes of one robot, connected through one transport. */
export interface NavigationNodes {
  readonly planner: PlannerNode;
  readonly controller: ControllerNode;
  /** Controller first, so that it listens (and holds the robot) before the first plan or heartbeat exists. */
  start(): void;
  /** Resolves when the planner has no frame, plan or preview in flight. */
  idle(): Promise<void>;
  /** Planner first (no new plans), then the controller, whose stop sends the final zero Twist and StopMove. */
  stop(reason: string): Promise<void>;
}

/**
 * Creates the planner and controller nodes from one configuration on one transport: the wiring `svnav replay`
 * runs over a bag and a single-process robot deployment runs over rclnodejs. The nodes talk only through the
 * topics named in the configuration, exactly as two separate ROS processes would.
 */
export function wireNavigationNodes(
  transport: Transport,
  config: SvnavConfig,
  planner: PlannerRuntime,
  options: PlannerNodeOptions = {},
): NavigationNodes {
  const controller = new ControllerNode(transport, config);
  const plannerNode = new PlannerNode(transport, config, planner, options);
  let started = false;
  return {
    planner: plannerNode,
    controller,
    start() {
      if (started) throw new Error('navigation nodes already started');
      started = true;
      controller.start();
      plannerNode.start();
    },
    idle: () => plannerNode.idle(),
    async stop(reason: string) {
      try {
        await plannerNode.stop(reason);
      } finally {
        await controller.stop(reason);
      }
    },
  };
}

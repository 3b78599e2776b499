import { ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import { parse } from '@foxglove/rosmsg';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UNITREE_API_DEFINITIONS } from '../../src/messages/unitree-api';
import type { InterfaceMessage, InterfaceService, MessageDefinition } from './generate';

/**
 * Message definitions the generated interfaces cover: the common ROS 2 Jazzy packages shipped by
 * @foxglove/rosmsg-msgs-common (std, geometry, sensor, nav, builtin_interfaces, rcl_interfaces, lifecycle,
 * action_msgs, tf2, …), this package's msg/*.msg, and the few interfaces neither has: the Unitree sport API
 * request and action_msgs/srv/CancelGoal, which rclnodejs's own types refer to.
 */

const EXTRA_MESSAGES: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(UNITREE_API_DEFINITIONS).map(([short, text]) => [short.replace('/', '/msg/'), text]),
  ),
  'action_msgs/srv/CancelGoal_Request': 'action_msgs/GoalInfo goal_info',
  'action_msgs/srv/CancelGoal_Response': [
    'int8 ERROR_NONE=0',
    'int8 ERROR_REJECTED=1',
    'int8 ERROR_UNKNOWN_GOAL_ID=2',
    'int8 ERROR_GOAL_TERMINATED=3',
    'int8 return_code',
    'action_msgs/GoalInfo[] goals_canceling',
  ].join('\n'),
};

const EXTRA_SERVICES: InterfaceService[] = [{ fullName: 'action_msgs/srv/CancelGoal' }];

/** One .msg text (no dependencies appended) → its definition. */
export function parseMsg(text: string, name: string): MessageDefinition {
  const [root] = parse(text, { ros2: true, skipTypeFixup: true });
  if (!root) throw new Error(`${name}: no definition parsed`);
  return { ...root, name };
}

export function packageMessages(msgDir: string, pkg = 'sparse_video_nav'): InterfaceMessage[] {
  return readdirSync(msgDir)
    .filter((f) => f.endsWith('.msg'))
    .sort()
    .map((f) => {
      const fullName = `${pkg}/msg/${basename(f, '.msg')}`;
      return { fullName, definition: parseMsg(readFileSync(join(msgDir, f), 'utf8'), fullName) };
    });
}

export function allInterfaces(msgDir: string): {
  messages: InterfaceMessage[];
  services: InterfaceService[];
} {
  const common = Object.entries(ros2jazzy).map(([name, definition]) => {
    const [pkg, type] = name.split('/');
    return { fullName: `${pkg}/msg/${type}`, definition };
  });
  const extra = Object.entries(EXTRA_MESSAGES).map(([fullName, text]) => ({
    fullName,
    definition: parseMsg(text, fullName),
  }));
  return { messages: [...common, ...extra, ...packageMessages(msgDir)], services: EXTRA_SERVICES };
}

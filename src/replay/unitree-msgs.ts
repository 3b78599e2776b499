import type { DefinitionSource } from '../bag/schemas';

/**
 * The Unitree sport API request (unitree_ros2's unitree_api), the one message type the controller publishes
 * that neither our msg/ nor the common ROS packages define; needed to record StopMove requests in a bag.
 */
const UNITREE_API: Readonly<Record<string, string>> = {
  'unitree_api/Request': 'unitree_api/RequestHeader header\nstring parameter\nuint8[] binary',
  'unitree_api/RequestHeader':
    'unitree_api/RequestIdentity identity\nunitree_api/RequestLease lease\nunitree_api/RequestPolicy policy',
  'unitree_api/RequestIdentity': 'int64 id\nint64 api_id',
  'unitree_api/RequestLease': 'int64 id',
  'unitree_api/RequestPolicy': 'int32 priority\nbool noreply',
};

export function unitreeApiSource(): DefinitionSource {
  return (short) => UNITREE_API[short];
}

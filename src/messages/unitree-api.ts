/**
 * Definitions of unitree_ros2's sport API request (`unitree_api/msg/Request`), the one message the controller
 * publishes (StopMove) that neither this package's msg/ nor the common ROS packages define. Keys are short
 * names (`unitree_api/Request`); bag schemas and the generated rclnodejs types are both built from these.
 */
export const UNITREE_API_DEFINITIONS: Readonly<Record<string, string>> = {
  'unitree_api/Request': 'unitree_api/RequestHeader header\nstring parameter\nuint8[] binary',
  'unitree_api/RequestHeader':
    'unitree_api/RequestIdentity identity\nunitree_api/RequestLease lease\nunitree_api/RequestPolicy policy',
  'unitree_api/RequestIdentity': 'int64 id\nint64 api_id',
  'unitree_api/RequestLease': 'int64 id',
  'unitree_api/RequestPolicy': 'int32 priority\nbool noreply',
};

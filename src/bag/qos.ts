/**
 * rosbag2's `offered_qos_profiles` channel metadata (YAML, as Jazzy writes it), so that `ros2 bag play` offers
 * each topic with the QoS it was recorded with (best-effort cameras, reliable odometry).
 */

export interface QosProfile {
  reliability: 'reliable' | 'best_effort';
  depth: number;
  durability?: 'volatile' | 'transient_local';
}

/** Jazzy's encoding of "infinite" deadline/lifespan/lease durations. */
const INFINITE = ['    sec: 9223372036', '    nsec: 854775807'];

export function offeredQosYaml(profile: QosProfile): string {
  return [
    '- history: keep_last',
    `  depth: ${profile.depth}`,
    `  reliability: ${profile.reliability}`,
    `  durability: ${profile.durability ?? 'volatile'}`,
    '  deadline:',
    ...INFINITE,
    '  lifespan:',
    ...INFINITE,
    '  liveliness: automatic',
    '  liveliness_lease_duration:',
    ...INFINITE,
    '  avoid_ros_namespace_conventions: false',
  ].join('\n');
}

export const SENSOR_QOS: QosProfile = { reliability: 'best_effort', depth: 5 };
export const RELIABLE_QOS: QosProfile = { reliability: 'reliable', depth: 10 };

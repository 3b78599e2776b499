/**
 * rosbag2's `offered_qos_profiles` channel metadata (YAML, as Jazzy writes it), so that `ros2 bag play` offers
 * each topic with the QoS it was recorded with (best-effort cameras, reliable odometry).
 */
import { Qos, type QosProfile } from '../transport/transport';

export type { QosProfile };

/** Jazzy's encoding of "infinite" deadline/lifespan/lease durations. */
const INFINITE = ['    sec: 9223372036', '    nsec: 854775807'];

export function offeredQosYaml(profile: QosProfile): string {
  return [
    '- history: keep_last',
    `  depth: ${profile.depth}`,
    `  reliability: ${profile.reliability}`,
    `  durability: ${profile.durability}`,
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

/** What recorded camera streams offer: the transport's sensor-data profile (one definition, one depth). */
export const SENSOR_QOS: QosProfile = Qos.sensorData;
/** What recorded odometry, TF and commands offer. */
export const RELIABLE_QOS: QosProfile = Qos.commands;

import type * as rcl from 'rclnodejs';
import type * as ours from '../../messages/ros';

/**
 * Type-level check (tsconfig.ros.json only) that the message shapes of src/messages/ros.ts match what rclnodejs
 * hands out and accepts: what a subscription delivers must fit our shape, what we publish must fit rclnodejs's.
 * A mismatch here is a runtime error on the robot (rclnodejs throws a TypeError for a number in an int64 field).
 */

type Fits<A extends B, B> = A;

/** Subscriptions use rclnodejs's default enableTypedArray, so uint8[] arrives as Uint8Array, never number[]. */
type TypedData<T extends { data: unknown }> = Omit<T, 'data'> & { data: Uint8Array };

type WireString<T, K extends keyof T> = Omit<T, K> & Record<K, string>;

export type Received = [
  Fits<TypedData<rcl.sensor_msgs.msg.Image>, ours.Image>,
  Fits<TypedData<rcl.sensor_msgs.msg.CompressedImage>, ours.CompressedImage>,
  Fits<rcl.nav_msgs.msg.Odometry, ours.Odometry>,
  Fits<rcl.std_msgs.msg.Bool, ours.BoolMsg>,
  Fits<rcl.std_msgs.msg.String, ours.StringMsg>,
  Fits<rcl.geometry_msgs.msg.Twist, ours.Twist>,
  Fits<rcl.sparse_video_nav.msg.Plan, ours.PlanMsg>,
  // episode_state is a string on the wire; our shape narrows it, so receivers must check it.
  Fits<rcl.sparse_video_nav.msg.PlannerHeartbeat, WireString<ours.PlannerHeartbeatMsg, 'episode_state'>>,
];

export type Published = [
  Fits<ours.Twist, rcl.geometry_msgs.msg.Twist>,
  Fits<ours.CompressedImage, rcl.sensor_msgs.msg.CompressedImage>,
  Fits<ours.Path, rcl.nav_msgs.msg.Path>,
  Fits<ours.StringMsg, rcl.std_msgs.msg.String>,
  Fits<ours.PlannerStatusMsg, rcl.sparse_video_nav.msg.PlannerStatus>,
  Fits<ours.PlanMsg, rcl.sparse_video_nav.msg.Plan>,
  Fits<ours.UnitreeRequest, rcl.unitree_api.msg.Request>,
];

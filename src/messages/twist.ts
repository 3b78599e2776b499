/** geometry_msgs/Twist ↔ the planar body twist (geometry/se2.ts) a ground robot uses. */
import type { BodyTwist } from '../geometry/se2';
import type { Twist } from './ros';

export function twistFromBody(body: BodyTwist): Twist {
  return { linear: { x: body.vx_mps, y: body.vy_mps, z: 0 }, angular: { x: 0, y: 0, z: body.wz_radps } };
}

/** The planar part of a Twist: z velocity, roll and pitch rates are not motion a ground robot commands. */
export function bodyTwistFromMsg(twist: Twist): BodyTwist {
  return { vx_mps: twist.linear.x, vy_mps: twist.linear.y, wz_radps: twist.angular.z };
}

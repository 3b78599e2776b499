#!/usr/bin/env python3
"""What the ROS integration suite sees and does on the ROS graph: an rclpy node that subscribes the package's
outputs and reports every message as one JSON line on stdout (arrival on CLOCK_MONOTONIC, the clock Node's
process.hrtime reads), and publishes what a robot or an operator would (a 15 Hz best-effort camera, a
long-lived e-stop publisher, instructions, a latched plan and heartbeat standing in for a dead planner's last
messages) when told by one JSON command per line on stdin. With --latched every subscription is
transient-local (a viewer that joins late, as foxglove_bridge subscribes to latched publishers).
"""

import json
import sys
import threading
import time

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from foxglove_msgs.msg import FrameTransforms, ImageAnnotations, PosesInFrame, SceneUpdate
from geometry_msgs.msg import Twist
from nav_msgs.msg import Path
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Bool, String
from unitree_api.msg import Request
from sparse_video_nav.msg import Plan, PlannerHeartbeat, PlannerStatus

RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=200, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)
BEST_EFFORT = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=50, reliability=ReliabilityPolicy.BEST_EFFORT,
                         durability=DurabilityPolicy.VOLATILE)
LATCHED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
SENSOR_OUT = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                        durability=DurabilityPolicy.VOLATILE)

out_lock = threading.Lock()


def emit(event):
    line = json.dumps(event, separators=(',', ':'))
    with out_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def now_ns():
    return time.monotonic_ns()


def stamp_ns(stamp):
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def describe(topic, msg):
    if isinstance(msg, Twist):
        return {'vx': msg.linear.x, 'vy': msg.linear.y, 'wz': msg.angular.z}
    if isinstance(msg, Request):
        return {'api_id': msg.header.identity.api_id}
    if isinstance(msg, Plan):
        return {'seq': msg.sequence, 'stamp': stamp_ns(msg.header.stamp), 'steps': len(msg.dx_m),
                'untrained': msg.untrained_model, 'latency_s': msg.latency_s}
    if isinstance(msg, Path):
        return {'poses': len(msg.poses), 'frame': msg.header.frame_id}
    if isinstance(msg, PlannerStatus):
        return {'state': msg.episode_state, 'message': msg.message[:2000], 'seq': msg.plan_sequence,
                'stamp': stamp_ns(msg.header.stamp)}
    if isinstance(msg, PlannerHeartbeat):
        return {'state': msg.episode_state, 'seq': msg.sequence, 'camera_age_s': msg.camera_age_s}
    if isinstance(msg, Image):
        return {'stamp': stamp_ns(msg.header.stamp), 'width': msg.width}
    if isinstance(msg, CompressedImage):
        return {'format': msg.format, 'bytes': len(msg.data), 'stamp': stamp_ns(msg.header.stamp)}
    if isinstance(msg, PosesInFrame):
        return {'poses': len(msg.poses), 'frame': msg.frame_id, 'stamp': stamp_ns(msg.timestamp)}
    if isinstance(msg, SceneUpdate):
        return {'entities': len(msg.entities), 'lines': sum(len(e.lines) for e in msg.entities)}
    if isinstance(msg, ImageAnnotations):
        return {'points': sum(len(p.points) for p in msg.points), 'texts': len(msg.texts)}
    if isinstance(msg, FrameTransforms):
        return {'children': [t.child_frame_id for t in msg.transforms]}
    if isinstance(msg, String):
        return {'data': msg.data[:300]}
    return {}


SUBSCRIPTIONS = {
    '/cmd_vel': (Twist, RELIABLE),
    '/api/sport/request': (Request, RELIABLE),
    '/svnav/plan': (Plan, RELIABLE),
    '/svnav/path': (Path, RELIABLE),
    '/svnav/status': (PlannerStatus, RELIABLE),
    '/svnav/heartbeat': (PlannerHeartbeat, RELIABLE),
    '/svnav/imagined_future': (CompressedImage, BEST_EFFORT),
    '/svnav/controller_status': (String, RELIABLE),
    '/camera/image_raw/compressed': (CompressedImage, BEST_EFFORT),
    '/camera/image_raw': (Image, BEST_EFFORT),
    '/svnav/viz/path_poses': (PosesInFrame, RELIABLE),
    '/svnav/viz/path_scene': (SceneUpdate, RELIABLE),
    '/svnav/viz/path_annotations': (ImageAnnotations, RELIABLE),
    '/svnav/viz/transforms': (FrameTransforms, RELIABLE),
    '/svnav/test/cmd_vel': (Twist, RELIABLE),
}


class Probe:
    def __init__(self, node, topics, latched):
        self.node = node
        for topic in topics:
            msg_type, qos = SUBSCRIPTIONS[topic]
            node.create_subscription(msg_type, topic, self._recorder(topic), LATCHED if latched else qos)
        self.latched = {}
        # Long-lived publishers: a one-shot `ros2 topic pub --once` may be delivered before discovery completes.
        self.estop = node.create_publisher(Bool, '/svnav/estop', RELIABLE)
        self.instruction = node.create_publisher(String, '/svnav/instruction', RELIABLE)
        self.cameras = {}

    def _recorder(self, topic):
        def on_message(msg):
            emit({'ev': 'msg', 'topic': topic, 't': now_ns(), **describe(topic, msg)})
        return on_message

    def camera(self, cmd):
        topic = cmd.get('topic', '/camera/image_raw')
        if topic not in self.cameras:
            self.cameras[topic] = self.node.create_publisher(Image, topic, SENSOR_OUT)
        publisher = self.cameras[topic]
        width, height, hz, count = cmd['width'], cmd['height'], cmd['hz'], cmd['count']
        pixels = bytes((i * 7) % 251 for i in range(width * 3)) * height

        msg = Image()
        msg.header.frame_id = 'front_camera'
        msg.height, msg.width, msg.encoding, msg.step = height, width, 'bgr8', width * 3
        msg.data = pixels  # converted once; each frame only gets a new stamp

        def run():
            # Frames sent before discovery has matched the reader are lost by design: wait for it.
            deadline = time.monotonic() + 20
            while publisher.get_subscription_count() == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            emit({'ev': 'camera_start', 'topic': topic, 'readers': publisher.get_subscription_count(),
                  't': now_ns()})
            start = time.monotonic()
            for i in range(count):
                msg.header.stamp = self.node.get_clock().now().to_msg()
                publisher.publish(msg)
                delay = start + (i + 1) / hz - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            emit({'ev': 'camera_done', 'topic': topic, 'count': count, 't': now_ns()})
        threading.Thread(target=run, daemon=True).start()

    def latch(self, cmd):
        """One plan (8 steps of dx_m, stamped now) and one heartbeat saying navigating, both latched."""
        self.latched['plan'] = self.node.create_publisher(Plan, cmd['plan_topic'], LATCHED)
        self.latched['heartbeat'] = self.node.create_publisher(PlannerHeartbeat, cmd['heartbeat_topic'], LATCHED)
        plan = Plan()
        plan.header.stamp = self.node.get_clock().now().to_msg()
        plan.header.frame_id = 'base_link'
        plan.sequence, plan.episode_id, plan.step_dt_s = cmd['seq'], 'latched-episode', 0.25
        plan.dx_m, plan.dy_m, plan.dtheta_rad = [cmd['dx_m']] * 8, [0.0] * 8, [0.0] * 8
        plan.input_pose.orientation.w = 1.0
        plan.action_source, plan.action_confidence = 'learned', -1.0
        heartbeat = PlannerHeartbeat(sequence=cmd['seq'], episode_state='navigating', episode_id='latched-episode',
                                     camera_age_s=0.05, planning=True)
        heartbeat.stamp = plan.header.stamp
        self.latched['plan'].publish(plan)
        self.latched['heartbeat'].publish(heartbeat)
        emit({'ev': 'sent', 'what': 'latched', 't': now_ns()})

    def handle(self, cmd):
        kind = cmd['cmd']
        if kind == 'estop':
            self.estop.publish(Bool(data=bool(cmd['value'])))
            emit({'ev': 'sent', 'what': 'estop', 'value': bool(cmd['value']), 't': now_ns()})
        elif kind == 'instruction':
            self.instruction.publish(String(data=cmd['text']))
            emit({'ev': 'sent', 'what': 'instruction', 't': now_ns()})
        elif kind == 'camera':
            self.camera(cmd)
        elif kind == 'latch':
            self.latch(cmd)
        elif kind == 'qos':
            infos = self.node.get_publishers_info_by_topic(cmd['topic'])
            emit({'ev': 'qos', 'topic': cmd['topic'], 't': now_ns(), 'publishers': [
                {'node': i.node_name, 'reliability': i.qos_profile.reliability.name.lower(),
                 'durability': i.qos_profile.durability.name.lower(), 'depth': i.qos_profile.depth}
                for i in infos]})
        elif kind == 'ping':
            emit({'ev': 'pong', 't': now_ns()})


def main():
    topics = [t for t in sys.argv[1:] if t.startswith('/')]
    rclpy.init()
    node = rclpy.create_node('svnav_test_probe')
    probe = Probe(node, topics, '--latched' in sys.argv[1:])
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    emit({'ev': 'ready', 't': now_ns()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        if cmd['cmd'] == 'quit':
            break
        probe.handle(cmd)
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown()


if __name__ == '__main__':
    main()

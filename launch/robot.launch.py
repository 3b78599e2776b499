"""Robot side of a split deployment: the controller (Twists, StopMove, watchdogs) and the camera relay, which
turns the bridge's raw bgr8 720p frames into 8 Hz JPEGs for the planner host (planner_host.launch.py).

    ros2 launch sparse_video_nav robot.launch.py [config:=/path/params.yaml] [params_file:=/path/more.yaml]

The controller stays on the robot so that its watchdogs stop the Go2 when the link or the planner is lost.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = 'sparse_video_nav'
DEFAULT_CONFIG = 'go2_robot.yaml'
CYCLONEDDS_CONFIG = 'cyclonedds.xml'


def svnav_node(share, name, node_name, files):
    return Node(
        executable='node',
        name=node_name,
        arguments=[os.path.join(share, 'bin', 'svnav.js'), 'node', name],
        parameters=files,
        output='screen',
        emulate_tty=True,
    )


def launch_setup(context):
    share = get_package_share_directory(PACKAGE)
    files = [LaunchConfiguration('config').perform(context)]
    extra = LaunchConfiguration('params_file').perform(context)
    if extra:
        files.append(extra)  # applied on top of config, key by key
    files.append({'use_sim_time': LaunchConfiguration('use_sim_time').perform(context) == 'true'})
    return [
        svnav_node(share, 'controller', 'svnav_controller', files),
        svnav_node(share, 'camera-relay', 'svnav_camera_relay', files),
    ]


def dds_environment(share):
    actions = []
    if 'CYCLONEDDS_URI' not in os.environ:
        uri = 'file://' + os.path.join(share, 'config', CYCLONEDDS_CONFIG)
        actions.append(SetEnvironmentVariable('CYCLONEDDS_URI', uri))
    if 'RMW_IMPLEMENTATION' not in os.environ:
        actions.append(SetEnvironmentVariable('RMW_IMPLEMENTATION', 'rmw_cyclonedds_cpp'))
    return actions


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                'config',
                default_value=os.path.join(share, 'config', DEFAULT_CONFIG),
                description='ROS 2 parameter file with every svnav setting',
            ),
            DeclareLaunchArgument(
                'params_file',
                default_value='',
                description='another ROS 2 parameter file applied on top of config (only the keys it sets)',
            ),
            DeclareLaunchArgument(
                'use_sim_time',
                default_value='false',
                description='run on /clock (e.g. `ros2 bag play --clock`) instead of the system clock',
                choices=['true', 'false'],
            ),
            *dds_environment(share),
            OpaqueFunction(function=launch_setup),
        ]
    )

"""GPU workstation of a split deployment: the planner only (robot.launch.py runs controller and camera relay).

    ros2 launch sparse_video_nav planner_host.launch.py instruction:="walk to the door" [config:=…] [params_file:=…]
        [model_dir:=…] [allow_untrained:=true]

The default config (config/go2_planner_host.yaml) reads the robot's JPEG relay
(/camera/image_raw/compressed) instead of the raw 720p stream, which does not survive Wi-Fi DDS.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = 'sparse_video_nav'
DEFAULT_CONFIG = 'go2_planner_host.yaml'
CYCLONEDDS_CONFIG = 'cyclonedds.xml'


def launch_setup(context):
    share = get_package_share_directory(PACKAGE)
    overrides = {}
    instruction = LaunchConfiguration('instruction').perform(context)
    if instruction:
        overrides['planner.instruction'] = instruction
    model_dir = LaunchConfiguration('model_dir').perform(context)
    if model_dir:
        overrides['model.dir'] = model_dir
    if LaunchConfiguration('allow_untrained').perform(context) == 'true':
        overrides['model.allow_untrained'] = True
    overrides['use_sim_time'] = LaunchConfiguration('use_sim_time').perform(context) == 'true'
    files = [LaunchConfiguration('config').perform(context)]
    extra = LaunchConfiguration('params_file').perform(context)
    if extra:
        files.append(extra)  # applied on top of config, key by key
    return [
        Node(
            executable='node',
            name='svnav_planner',
            arguments=[os.path.join(share, 'bin', 'svnav.js'), 'node', 'planner'],
            parameters=[*files, overrides],
            output='screen',
            emulate_tty=True,
        )
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
            DeclareLaunchArgument('instruction', default_value='', description='what to do, e.g. "walk to the door"'),
            DeclareLaunchArgument(
                'config',
                default_value=os.path.join(share, 'config', DEFAULT_CONFIG),
                description='ROS 2 parameter file with every svnav setting',
            ),
            DeclareLaunchArgument('model_dir', default_value='', description='model directory (overrides model.dir)'),
            DeclareLaunchArgument(
                'params_file',
                default_value='',
                description='another ROS 2 parameter file applied on top of config (only the keys it sets)',
            ),
            DeclareLaunchArgument(
                'allow_untrained',
                default_value='false',
                description='tests only: let the planner run a model with seeded (untrained) networks',
                choices=['true', 'false'],
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

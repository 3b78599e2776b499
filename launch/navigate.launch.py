"""One workstation drives the Go2: planner and controller side by side.

    ros2 launch sparse_video_nav navigate.launch.py instruction:="walk to the wooden door and stop next to it"
        [config:=/path/params.yaml] [params_file:=/path/more.yaml] [model_dir:=/path/to/model] [record:=true]
        [allow_untrained:=true]   (tests only: a model with seeded networks)

Every parameter comes from the config file (a ROS 2 parameter file, default config/go2.yaml); `instruction` and
`model_dir` override planner.instruction and model.dir when given. record:=true also runs
`ros2 bag record -s mcap -a`. Nodes are `node <share>/bin/svnav.js node <name>`; the Cyclone DDS config with
a 4 MB socket receive buffer is exported through CYCLONEDDS_URI unless one is set already.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = 'sparse_video_nav'
DEFAULT_CONFIG = 'go2.yaml'
CYCLONEDDS_CONFIG = 'cyclonedds.xml'


def svnav_node(share, name, node_name, files, overrides):
    return Node(
        executable='node',
        name=node_name,
        arguments=[os.path.join(share, 'bin', 'svnav.js'), 'node', name],
        parameters=[*files, overrides],
        output='screen',
        emulate_tty=True,
    )


def launch_setup(context):
    share = get_package_share_directory(PACKAGE)
    config = LaunchConfiguration('config').perform(context)
    overrides = {}
    instruction = LaunchConfiguration('instruction').perform(context)
    if instruction:
        overrides['planner.instruction'] = instruction
    model_dir = LaunchConfiguration('model_dir').perform(context)
    if model_dir:
        overrides['model.dir'] = model_dir
    if LaunchConfiguration('allow_untrained').perform(context) == 'true':
        overrides['model.allow_untrained'] = True
    files = parameter_files(context, config)
    clock = {'use_sim_time': LaunchConfiguration('use_sim_time').perform(context) == 'true'}
    return [
        svnav_node(share, 'planner', 'svnav_planner', files, {**overrides, **clock}),
        svnav_node(share, 'controller', 'svnav_controller', files, clock),
    ]


def parameter_files(context, config):
    """config, then params_file on top of it: ROS applies later files over earlier ones, key by key."""
    extra = LaunchConfiguration('params_file').perform(context)
    return [config, extra] if extra else [config]


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
            DeclareLaunchArgument('record', default_value='false', description='also record every topic to MCAP'),
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
            ExecuteProcess(
                cmd=['ros2', 'bag', 'record', '-s', 'mcap', '-a'],
                output='screen',
                condition=IfCondition(LaunchConfiguration('record')),
            ),
        ]
    )

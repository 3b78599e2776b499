"""What every sparse_video_nav launch file shares: how an svnav node is started, the launch arguments and
parameter files, and the DDS environment. Installed with the package (ament_python_install_package), so a launch
file imports it as `from sparse_video_nav_launch import ...` once the workspace's setup.bash is sourced.

Every svnav node is `node <share>/bin/svnav.js node <name>`: rclnodejs reads the `--ros-args` that launch_ros
appends (node name, parameter files, remappings). Parameter files apply in order, later ones key by key over
earlier ones, and the dict of overrides last.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = 'sparse_video_nav'
# Cyclone DDS (the Go2's middleware) with a 4 MB socket receive buffer: 720p frames do not fit the default.
CYCLONEDDS_CONFIG = 'cyclonedds.xml'
BOOLEAN = ['true', 'false']


def share():
    return get_package_share_directory(PACKAGE)


def svnav_node(name, node_name, parameters):
    """The svnav node `name` (see `svnav node --help`) as the ROS node `node_name`."""
    return Node(
        executable='node',
        name=node_name,
        arguments=[os.path.join(share(), 'bin', 'svnav.js'), 'node', name],
        parameters=parameters,
        output='screen',
        emulate_tty=True,
    )


def common_arguments(default_config):
    """config, params_file and use_sim_time: what every launch file takes."""
    return [
        DeclareLaunchArgument(
            'config',
            default_value=os.path.join(share(), 'config', default_config),
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
            choices=BOOLEAN,
        ),
    ]


def planner_arguments():
    """instruction, model_dir and allow_untrained: the launch files that start the planner."""
    return [
        DeclareLaunchArgument('instruction', default_value='', description='what to do, e.g. "walk to the door"'),
        DeclareLaunchArgument('model_dir', default_value='', description='model directory (overrides model.dir)'),
        DeclareLaunchArgument(
            'allow_untrained',
            default_value='false',
            description='tests only: let the planner run a model with seeded (untrained) networks',
            choices=BOOLEAN,
        ),
    ]


def viz_argument():
    """viz: the Foxglove views (/svnav/viz/*) beside the planner, for foxglove_bridge. Needs foxglove_msgs."""
    return DeclareLaunchArgument(
        'viz',
        default_value='true',
        description='also run the viz node (Foxglove path, scene, image annotations, transforms on /svnav/viz/*)',
        choices=BOOLEAN,
    )


def is_true(context, name):
    return LaunchConfiguration(name).perform(context) == 'true'


def parameter_files(context):
    """config, then params_file on top of it: ROS applies later files over earlier ones, key by key."""
    files = [LaunchConfiguration('config').perform(context)]
    extra = LaunchConfiguration('params_file').perform(context)
    return files + [extra] if extra else files


def sim_time(context):
    return {'use_sim_time': is_true(context, 'use_sim_time')}


def planner_overrides(context):
    """planner.instruction, model.dir and model.allow_untrained from the launch arguments, where given."""
    overrides = {}
    instruction = LaunchConfiguration('instruction').perform(context)
    if instruction:
        overrides['planner.instruction'] = instruction
    model_dir = LaunchConfiguration('model_dir').perform(context)
    if model_dir:
        overrides['model.dir'] = model_dir
    if is_true(context, 'allow_untrained'):
        overrides['model.allow_untrained'] = True
    return overrides


def planner_host_nodes(context):
    """The planner, and the viz node unless viz:=false: what runs where the model runs."""
    files = parameter_files(context)
    clock = sim_time(context)
    nodes = [svnav_node('planner', 'svnav_planner', [*files, {**planner_overrides(context), **clock}])]
    if is_true(context, 'viz'):
        nodes.append(svnav_node('viz', 'svnav_viz', [*files, clock]))
    return nodes


def dds_environment():
    """Cyclone DDS and our config for it, unless the user chose a middleware or a config already."""
    actions = []
    if 'CYCLONEDDS_URI' not in os.environ:
        uri = 'file://' + os.path.join(share(), 'config', CYCLONEDDS_CONFIG)
        actions.append(SetEnvironmentVariable('CYCLONEDDS_URI', uri))
    if 'RMW_IMPLEMENTATION' not in os.environ:
        actions.append(SetEnvironmentVariable('RMW_IMPLEMENTATION', 'rmw_cyclonedds_cpp'))
    return actions

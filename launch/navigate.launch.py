"""One workstation drives the Go2: planner, controller and (viz:=true, the default) the viz node side by side.

    ros2 launch sparse_video_nav navigate.launch.py instruction:="walk to the wooden door and stop next to it"
        [config:=/path/params.yaml] [params_file:=/path/more.yaml] [model_dir:=/path/to/model] [record:=true]
        [viz:=false] [use_sim_time:=true]
        [allow_untrained:=true]   (tests only: a model with seeded networks)

Every parameter comes from the config file (a ROS 2 parameter file, default config/go2.yaml); `instruction` and
`model_dir` override planner.instruction and model.dir when given. record:=true also runs
`ros2 bag record -s mcap -a`. viz:=true publishes the Foxglove views on /svnav/viz/* for foxglove_bridge.
The node and DDS set-up is shared with the other launch files (sparse_video_nav_launch).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from sparse_video_nav_launch import (
    common_arguments,
    dds_environment,
    parameter_files,
    planner_arguments,
    planner_host_nodes,
    sim_time,
    svnav_node,
    viz_argument,
)

DEFAULT_CONFIG = 'go2.yaml'


def launch_setup(context):
    controller = svnav_node('controller', 'svnav_controller', [*parameter_files(context), sim_time(context)])
    return [*planner_host_nodes(context), controller]


def generate_launch_description():
    return LaunchDescription(
        [
            *planner_arguments(),
            *common_arguments(DEFAULT_CONFIG),
            viz_argument(),
            DeclareLaunchArgument('record', default_value='false', description='also record every topic to MCAP'),
            *dds_environment(),
            OpaqueFunction(function=launch_setup),
            ExecuteProcess(
                cmd=['ros2', 'bag', 'record', '-s', 'mcap', '-a'],
                output='screen',
                condition=IfCondition(LaunchConfiguration('record')),
            ),
        ]
    )

"""GPU workstation of a split deployment: the planner and (viz:=true, the default) the viz node;
robot.launch.py runs the controller and the camera relay.

    ros2 launch sparse_video_nav planner_host.launch.py instruction:="walk to the door" [config:=…] [params_file:=…]
        [model_dir:=…] [viz:=false] [use_sim_time:=true] [allow_untrained:=true]

The default config (config/go2_planner_host.yaml) reads the robot's JPEG relay
(/camera/image_raw/compressed) instead of the raw 720p stream, which does not survive Wi-Fi DDS. The viz node
runs here so that a Foxglove viewer on this machine (foxglove_bridge) needs no extra Wi-Fi hop.
"""

from launch import LaunchDescription
from launch.actions import OpaqueFunction
from sparse_video_nav_launch import common_arguments, dds_environment, planner_arguments, planner_host_nodes, viz_argument

DEFAULT_CONFIG = 'go2_planner_host.yaml'


def generate_launch_description():
    return LaunchDescription(
        [
            *planner_arguments(),
            *common_arguments(DEFAULT_CONFIG),
            viz_argument(),
            *dds_environment(),
            OpaqueFunction(function=planner_host_nodes),
        ]
    )

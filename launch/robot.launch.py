"""Robot side of a split deployment: the controller (Twists, StopMove, watchdogs) and the camera relay, which
turns the bridge's raw bgr8 720p frames into 8 Hz JPEGs for the planner host (planner_host.launch.py).

    ros2 launch sparse_video_nav robot.launch.py [config:=/path/params.yaml] [params_file:=/path/more.yaml]
        [use_sim_time:=true]

The controller stays on the robot so that its watchdogs stop the Go2 when the link or the planner is lost.
"""

from launch import LaunchDescription
from launch.actions import OpaqueFunction
from sparse_video_nav_launch import common_arguments, dds_environment, parameter_files, sim_time, svnav_node

DEFAULT_CONFIG = 'go2_robot.yaml'


def launch_setup(context):
    parameters = [*parameter_files(context), sim_time(context)]
    return [
        svnav_node('controller', 'svnav_controller', parameters),
        svnav_node('camera-relay', 'svnav_camera_relay', parameters),
    ]


def generate_launch_description():
    return LaunchDescription(
        [
            *common_arguments(DEFAULT_CONFIG),
            *dds_environment(),
            OpaqueFunction(function=launch_setup),
        ]
    )

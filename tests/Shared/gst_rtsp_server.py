#!/usr/bin/python3
"""GStreamer's RTSP server serving JPEG files as one shared live stream, for interop tests.

usage: gst_rtsp_server.py PORT MOUNT FILE_PATTERN [basic|digest USER PASSWORD]
Prints "ready" once listening.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)
port, mount, pattern = sys.argv[1], sys.argv[2], sys.argv[3]

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f'( multifilesrc location="{pattern}" loop=true caps="image/jpeg,framerate=25/1" '
    "! jpegparse ! rtpjpegpay name=pay0 pt=26 )"
)
factory.set_shared(True)

if len(sys.argv) > 4:
    method, user, password = sys.argv[4], sys.argv[5], sys.argv[6]
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "user")
    if method == "digest":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(user, password, token)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("user", "media.factory.access", True)
    permissions.add_permission_for_role("user", "media.factory.construct", True)
    factory.set_permissions(permissions)

server.get_mount_points().add_factory(mount, factory)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()

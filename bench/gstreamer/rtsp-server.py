#!/usr/bin/python3
"""GStreamer's RTSP server as the fan-out benchmark's yardstick.

Serves a directory of JPEG files (played in name order, looped) as one shared live stream at FPS, the way a
camera would deliver them: an appsrc fed from memory on the clock, then jpegparse and rtpjpegpay sized like the
edge's packets (1400-byte payloads), so both servers send the same datagrams.

usage: rtsp-server.py PORT MOUNT DIRECTORY FPS
Prints "ready" once listening.
"""
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port, mount, directory, fps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
frames = []
for name in sorted(os.listdir(directory)):
    if name.endswith(".jpg"):
        with open(os.path.join(directory, name), "rb") as f:
            frames.append(Gst.Buffer.new_wrapped(f.read()))

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
server.set_backlog(1024)
factory = GstRtspServer.RTSPMediaFactory()
# mtu counts the 12-byte RTP header: 1412 gives the edge's 1400-byte payloads.
factory.set_launch(
    f'( appsrc name=source is-live=true format=time do-timestamp=true caps="image/jpeg,framerate={fps}/1" '
    "! jpegparse ! rtpjpegpay name=pay0 pt=26 mtu=1412 )"
)
factory.set_shared(True)
sources = []


def configure(_factory, media):
    sources.append(media.get_element().get_by_name("source"))


factory.connect("media-configure", configure)
server.get_mount_points().add_factory(mount, factory)
server.attach(None)

start = time.monotonic()
pushed = 0


def tick():
    """Pushes the frames the clock says are due (a timer alone would drift)."""
    global pushed
    due = int((time.monotonic() - start) * fps)
    while pushed < due:
        for source in sources:
            source.emit("push-buffer", frames[pushed % len(frames)].copy())
        pushed += 1
    return True


GLib.timeout_add(5, tick)
print("ready", flush=True)
GLib.MainLoop().run()

#!/usr/bin/python3
"""Hostile RTSP clients for scripts/soak.sh (standard library only).

Every connection is made FROM --source (127.0.0.2 by default: Linux routes all of 127/8 on lo), so the edge sees
the hostiles as one address and the honest players (127.0.0.1) as another. Seven kinds run side by side, each in
its own thread, until --duration seconds have passed; then one line per kind is printed:

  pipeline     one connection sends back-to-back OPTIONS and never reads; reconnects at most once a second
  slowloris    12 connections that each trickle a request (one byte every 2 s) and never finish it
  garbage      random bytes and malformed requests, about 5 connections a second, answers read
  flood        opens --flood connections at once and holds them 5 s, rests 5 s, again
  session-udp  one connection: many SETUPs (same client_port each time), PLAY every session, hold, drop
  session-tcp  the same over TCP interleaved (a channel pair per session); once all play it stops reading
  disconnect   half a SETUP, or a whole one, then close (sometimes with a reset) before reading the answer

The UDP SETUPs name --client-port (40000-40001), where a socket bound on the source address takes the edge's RTP
and throws it away. Counted per kind: connections opened, refused (connect error, or closed by the edge within
1 s of connecting with nothing received), closed by the edge (later; resets among them), and the RTSP statuses
read. A kind that never reads (pipeline, disconnect) sees no statuses by design. SIGTERM ends the run early and
still prints the report. --kinds runs only some kinds.
"""

import argparse
import errno
import os
import random
import re
import resource
import selectors
import signal
import socket
import sys
import threading
import time
from collections import Counter

KINDS = ["pipeline", "slowloris", "garbage", "flood", "session-udp", "session-tcp", "disconnect"]
IMMEDIATE = 1.0  # an edge close this soon after connecting, with nothing received, counts as a refusal
STATUS_RE = re.compile(rb"RTSP/1\.0 (\d{3})")
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


class Stats:
    """One kind's figures; updated by its own thread only, read by the main thread at the end."""

    def __init__(self, kind):
        self.kind = kind
        self.opened = 0
        self.connect_errors = 0
        self.immediate_closes = 0
        self.edge_closes = 0
        self.resets = 0
        self.statuses = Counter()
        self.extra = Counter()

    def line(self):
        statuses = " ".join(f"{code}x{n}" for code, n in sorted(self.statuses.items())) or "none read"
        refused = self.connect_errors + self.immediate_closes
        extra = "".join(f", {k} {v}" for k, v in self.extra.items())
        return (f"hostile {self.kind}: opened {self.opened}, refused {refused} (connect error {self.connect_errors},"
                f" immediate close {self.immediate_closes}), closed by edge {self.edge_closes} (reset {self.resets}),"
                f" statuses {statuses}{extra}")


class Conn:
    """A connected socket and what is known about it, for classifying how it ended."""

    def __init__(self, sock, stats):
        self.sock = sock
        self.stats = stats
        self.since = time.monotonic()
        self.received = 0
        self.text = b""  # the start of what was received, for statuses (bounded)
        self.ended = False

    def edge_closed(self, reset=False):
        """The edge closed or reset the connection (EOF; ECONNRESET is a reset; EPIPE, our write after its FIN, not)."""
        if self.ended:
            return
        self.ended = True
        if self.received == 0 and time.monotonic() - self.since < IMMEDIATE:
            self.stats.immediate_closes += 1
        else:
            self.stats.edge_closes += 1
        if reset:
            self.stats.resets += 1
        self.sock.close()

    def close(self, reset=False):
        """We close it (with a reset when asked: SO_LINGER 0)."""
        if self.ended:
            return
        self.ended = True
        if reset:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
        self.sock.close()

    def take(self, data):
        """Counts statuses in what arrived (responses only: callers that receive RTP parse it themselves)."""
        self.received += len(data)
        for code in STATUS_RE.findall(data):
            self.stats.statuses[code.decode()] += 1

    def pump(self):
        """Reads what is there without blocking; False once the edge has closed the connection."""
        while True:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return True
            except (ConnectionResetError, BrokenPipeError) as error:
                self.edge_closed(reset=isinstance(error, ConnectionResetError))
                return False
            except OSError:
                self.edge_closed()
                return False
            if not data:
                self.edge_closed()
                return False
            self.take(data)


class Hostile:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.duration
        self.url = f"rtsp://{args.host}:{args.port}/{args.stream}"
        self.stats = {}
        self.stopping = threading.Event()  # set on TERM: wakes every sleeper at once

    def stop_now(self, *_):
        self.deadline = time.monotonic()
        self.stopping.set()

    def left(self):
        return self.deadline - time.monotonic()

    def sleep(self, seconds):
        """Sleeps, but never past the deadline."""
        self.stopping.wait(max(0.0, min(seconds, self.left())))

    def connect(self, stats, timeout=1.0):
        """A connection from the hostile address, or None (counted as refused)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # Port chosen at connect time, so thousands of short connections do not run out of source ports.
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        except OSError:
            pass
        try:
            sock.bind((self.args.source, 0))
            sock.settimeout(timeout)
            sock.connect((self.args.host, self.args.port))
        except OSError as error:
            sock.close()
            stats.connect_errors += 1
            stats.extra[f"connect {errno.errorcode.get(error.errno, 'timeout')}"] += 1
            return None
        sock.setblocking(False)
        stats.opened += 1
        return Conn(sock, stats)

    # 1. Pipelining without reading.
    def pipeline(self, stats):
        cseq = 0
        while self.left() > 0:
            started = time.monotonic()
            conn = self.connect(stats)
            pending = b""
            while conn and self.left() > 0:
                if not pending:
                    batch = []
                    for _ in range(64):
                        cseq += 1
                        batch.append(f"OPTIONS {self.url} RTSP/1.0\r\nCSeq: {cseq}\r\n\r\n")
                    pending = "".join(batch).encode()
                try:
                    sent = conn.sock.send(pending)
                    pending = pending[sent:]
                    stats.extra["bytes sent"] += sent
                    if not pending:
                        stats.extra["requests sent"] += 64
                except (BlockingIOError, InterruptedError):
                    time.sleep(0.01)  # the socket buffer is full: the edge is not reading; try again shortly
                except (ConnectionResetError, BrokenPipeError) as error:
                    conn.edge_closed(reset=isinstance(error, ConnectionResetError))
                    conn = None
                except OSError:
                    conn.edge_closed()
                    conn = None
            if conn:
                conn.close()
            self.sleep(started + 1.0 - time.monotonic())  # at most one reconnect a second

    # 2. Slowloris: requests that trickle in and never end.
    def slowloris(self, stats):
        def standard():
            yield from f"OPTIONS {self.url} RTSP/1.0\r\nCSeq: 1\r\nX-Slow: ".encode()
            while True:
                yield ord("a")  # header that never ends, and never a blank line

        def lab_headers():
            yield b"SETUP movie.Mjpeg RTSP/1.0\nCSeq: 1\nContent-Length: 100\n"  # the lab dialect: no blank line
            for _ in range(60):
                yield ord("x")  # then less "body" than Content-Length, one byte at a time

        def lab_short_body():
            yield b"SETUP movie.Mjpeg RTSP/1.0\nCSeq: 1\nContent-Length: 100\n\n" + b"x" * 40  # 40 of 100, then silence

        def interleaved():
            yield b"$\x00\x10\x00" + os.urandom(8)  # a 4096-byte interleaved frame, 8 bytes of it
            while True:
                yield random.randrange(256)

        variants = [standard] * 4 + [lab_headers] * 2 + [lab_short_body] * 2 + [interleaved] * 4
        slots = [{"make": v, "conn": None, "script": None, "next": 0.0, "connected": -10.0} for v in variants]
        while self.left() > 0:
            now = time.monotonic()
            for slot in slots:
                conn = slot["conn"]
                if conn is None or conn.ended:
                    if now - slot["connected"] < 1.0:
                        continue  # reconnect at most once a second per slot
                    slot["connected"] = now
                    slot["conn"] = conn = self.connect(stats)
                    slot["script"] = slot["make"]()
                    slot["next"] = now
                    if conn is None:
                        continue
                if not conn.pump():
                    continue
                if now >= slot["next"]:
                    piece = next(slot["script"], None)
                    if piece is not None:
                        data = bytes([piece]) if isinstance(piece, int) else piece
                        try:
                            conn.sock.send(data)
                        except (BlockingIOError, InterruptedError):
                            pass
                        except (ConnectionResetError, BrokenPipeError) as error:
                            conn.edge_closed(reset=isinstance(error, ConnectionResetError))
                        except OSError:
                            conn.edge_closed()
                    slot["next"] = now + 2.0
            self.sleep(0.2)
        for slot in slots:
            if slot["conn"]:
                slot["conn"].close()

    # 3. Garbage: random bytes and malformed requests.
    def garbage(self, stats):
        u = self.url
        malformed = [
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"OPTIONS\r\n\r\n",
            b"\r\n\r\n\r\n\r\n",
            f"OPTIONS {u} RTSP/9.9\r\nCSeq: 1\r\n\r\n".encode(),
            f"OPTIONS {u} RTSP/1.0\r\nCSeq: abc\r\n\r\n".encode(),
            f"OPTIONS {u} RTSP/1.0\r\nCSeq: 1\r\nCSeq: 2\r\n\r\n".encode(),
            f"OPTIONS {u} RTSP/1.0\r\nCSeq 1 no colon\r\n\r\n".encode(),
            f"DESCRIBE {u} RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n".encode(),
            f"DESCRIBE {u} RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999999999999999\r\n\r\n".encode(),
            f"DESCRIBE rtsp://{self.args.host}:{self.args.port}/../../etc/passwd RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode(),
            f"SETUP {u}/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;unicast;client_port=99999-0\r\n\r\n".encode(),
            f"SETUP {u}/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: ;;;==,,\r\n\r\n".encode(),
            f"PLAY {u} RTSP/1.0\r\nCSeq: 1\r\nSession: 0000000000000000\r\n\r\n".encode(),
            f"TEARDOWN {u} RTSP/1.0\r\nCSeq: 1\r\nSession: {'9' * 300}\r\n\r\n".encode(),
            b"OPTIONS rtsp://" + b"A" * 20000 + b" RTSP/1.0\r\nCSeq: 1\r\n\r\n",
            f"OPTIONS {u} RTSP/1.0\r\nCSeq: 1\r\nX-Big: {'B' * 70000}\r\n\r\n".encode(),
            f"OPTIONS {u} RTSP/1.0\r\nCSeq: 1\r\n".encode() + b"X-Many: 1\r\n" * 2000 + b"\r\n",
            b"\x00" * 512,
            b"$\x00\xff\xff" + b"\x00" * 100,
            b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
            f"FOO {u} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode(),
            "OPTIONS rtsp://ü/é RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode(),
        ]
        sel = selectors.DefaultSelector()
        turn = 0
        last_start = 0.0
        while self.left() > 0:
            now = time.monotonic()
            if now - last_start >= 0.2 and len(sel.get_map()) < 6:  # about 5 a second, at most 6 in flight
                last_start = now
                conn = self.connect(stats)
                if conn:
                    turn += 1
                    if turn % 3 == 0:
                        payload = os.urandom(random.randrange(1, 4096))
                        stats.extra["random payloads"] += 1
                    else:
                        payload = malformed[turn % len(malformed)]
                        stats.extra["malformed payloads"] += 1
                    try:
                        conn.sock.setblocking(True)
                        conn.sock.settimeout(1.0)
                        conn.sock.sendall(payload)
                        conn.sock.setblocking(False)
                        sel.register(conn.sock, selectors.EVENT_READ, conn)
                    except (ConnectionResetError, BrokenPipeError) as error:
                        conn.edge_closed(reset=isinstance(error, ConnectionResetError))
                    except OSError:
                        conn.close()  # could not send it all in a second: give up on this one
            for key, _ in sel.select(timeout=max(0.0, min(0.1, self.left()))):
                conn = key.data
                if not conn.pump():
                    sel.unregister(conn.sock)
            for key in list(sel.get_map().values()):
                conn = key.data
                if time.monotonic() - conn.since > 3.0:  # answered or not, three seconds is enough
                    sel.unregister(conn.sock)
                    conn.close()
        for key in list(sel.get_map().values()):
            key.data.close()

    # 4. Connection flood from one address.
    def flood(self, stats):
        while self.left() > 0:
            sel = selectors.DefaultSelector()
            opening = time.monotonic()
            for _ in range(self.args.flood):
                if self.left() <= 0 or time.monotonic() - opening > 5.0:
                    break
                conn = self.connect(stats, timeout=0.5)
                if conn:
                    sel.register(conn.sock, selectors.EVENT_READ, conn)
                self._flood_poll(sel, 0.0)  # notice refusals (accept, then close) as they happen
            held_until = time.monotonic() + 5.0
            while time.monotonic() < held_until and self.left() > 0:
                self._flood_poll(sel, max(0.0, min(0.5, self.left())))
            for key in list(sel.get_map().values()):
                key.data.close()
            sel.close()
            self.sleep(5.0)

    @staticmethod
    def _flood_poll(sel, timeout):
        for key, _ in sel.select(timeout=timeout):
            conn = key.data
            if not conn.pump():
                sel.unregister(conn.sock)

    # 5. Session floods over UDP and TCP.
    def session_flood(self, stats, tcp):
        while self.left() > 0:
            started = time.monotonic()
            conn = self.connect(stats, timeout=2.0)
            if conn:
                self._one_session_flood(conn, stats, tcp)
            self.sleep(started + 8.0 - time.monotonic())  # a new flood every 8 s

    def _one_session_flood(self, conn, stats, tcp):
        reader = ResponseReader(conn)
        sessions = []
        cseq = 0
        try:
            for index in range(self.args.sessions):
                # UDP: the same client ports every time. TCP: a channel pair per session (the same pair twice is
                # refused with 461, so distinct pairs are what makes many sessions on one connection).
                transport = (f"RTP/AVP/TCP;unicast;interleaved={2 * index}-{2 * index + 1}" if tcp
                             else f"RTP/AVP;unicast;client_port={self.args.client_port}-{self.args.client_port + 1}")
                cseq += 1
                send_all(conn, f"SETUP {self.url}/track1 RTSP/1.0\r\nCSeq: {cseq}\r\nTransport: {transport}\r\n\r\n")
                response = reader.next(min(3.0, self.left()))
                if response is None:
                    if not conn.ended and self.left() > 0:
                        stats.extra["no answer in 3 s"] += 1
                    return
                status, headers = response
                stats.statuses[status] += 1
                session = headers.get("session", "").split(";")[0].strip()
                if status == "200" and session:
                    sessions.append(session)
                if self.left() <= 0:
                    return
            for session in sessions:
                cseq += 1
                send_all(conn, f"PLAY {self.url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: {session}\r\n\r\n")
                response = reader.next(min(3.0, self.left()))
                if response is None:
                    if not conn.ended and self.left() > 0:
                        stats.extra["no answer in 3 s"] += 1
                    return
                stats.statuses[response[0]] += 1
                if self.left() <= 0:
                    return
            stats.extra["sessions played"] += len(sessions)
            # Hold the sessions 5 s. Over TCP nothing is read any more: the edge's queue for us fills up.
            held_until = time.monotonic() + 5.0
            while time.monotonic() < held_until and self.left() > 0:
                if not tcp and not reader.drain():
                    return
                self.sleep(0.25)
        except (ConnectionResetError, BrokenPipeError) as error:
            conn.edge_closed(reset=isinstance(error, ConnectionResetError))
        except OSError:
            conn.edge_closed()
        finally:
            stats.extra["interleaved bytes read"] += reader.interleaved
            conn.close()  # no TEARDOWN: the sessions are abandoned with the connection

    # 6. Random disconnects mid-SETUP.
    def disconnect(self, stats):
        while self.left() > 0:
            started = time.monotonic()
            conn = self.connect(stats)
            if conn:
                if random.random() < 0.5:
                    transport = f"RTP/AVP;unicast;client_port={self.args.client_port}-{self.args.client_port + 1}"
                else:
                    transport = "RTP/AVP/TCP;unicast;interleaved=0-1"
                request = f"SETUP {self.url}/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: {transport}\r\n\r\n".encode()
                whole = random.random() < 0.5
                if not whole:
                    request = request[: random.randrange(1, len(request) - 1)]
                stats.extra["whole setups" if whole else "half setups"] += 1
                try:
                    conn.sock.send(request)
                    reset = random.random() < 0.5
                    stats.extra["closed with reset" if reset else "closed with fin"] += 1
                    conn.close(reset=reset)
                except (BlockingIOError, InterruptedError):
                    conn.close()
                except (ConnectionResetError, BrokenPipeError) as error:
                    conn.edge_closed(reset=isinstance(error, ConnectionResetError))
                except OSError:
                    conn.edge_closed()
            self.sleep(started + 0.2 - time.monotonic())  # about 5 a second

    # The UDP ports the session floods name: bound on the hostile address, so the edge's RTP lands somewhere,
    # and read and thrown away.
    def drain(self, stats, socks):
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        buffer = bytearray(65536)
        while self.left() > 0:
            for key, _ in sel.select(timeout=max(0.0, min(0.5, self.left()))):
                while True:
                    try:
                        n = key.fileobj.recv_into(buffer)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break
                    stats.extra["datagrams"] += 1
                    stats.extra["bytes"] += n

    def run(self):
        kinds = self.args.kinds
        for kind in kinds + ["udp-drain"]:
            self.stats[kind] = Stats(kind)
        udp = []
        for port in (self.args.client_port, self.args.client_port + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((self.args.source, port))
            s.setblocking(False)
            udp.append(s)
        targets = {
            "pipeline": lambda st: self.pipeline(st),
            "slowloris": lambda st: self.slowloris(st),
            "garbage": lambda st: self.garbage(st),
            "flood": lambda st: self.flood(st),
            "session-udp": lambda st: self.session_flood(st, tcp=False),
            "session-tcp": lambda st: self.session_flood(st, tcp=True),
            "disconnect": lambda st: self.disconnect(st),
            "udp-drain": lambda st: self.drain(st, udp),
        }
        # TERM ends the run early but still prints the report: every loop watches the deadline.
        signal.signal(signal.SIGTERM, self.stop_now)
        threads = []
        for kind, target in targets.items():
            if kind not in kinds and not (kind == "udp-drain" and "session-udp" in kinds):
                continue
            thread = threading.Thread(target=guarded, args=(target, self.stats[kind]), name=kind, daemon=True)
            thread.start()
            threads.append(thread)
        while any(t.is_alive() for t in threads) and self.left() > -2.0:  # 2 s of grace for a last socket wait
            time.sleep(0.2)
        for kind in kinds:
            print(self.stats[kind].line())
        drained = self.stats["udp-drain"].extra
        if "session-udp" in kinds:
            print(f"hostile udp drain on {self.args.source}:{self.args.client_port}-{self.args.client_port + 1}:"
                  f" {drained['datagrams']} datagrams, {drained['bytes']} bytes")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(f"hostile cpu: {usage.ru_utime + usage.ru_stime:.2f}")
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            print(f"hostile threads still running at the end: {' '.join(stuck)}")
        sys.stdout.flush()
        os._exit(0)  # daemon threads may sit in a socket call; they must not keep the process alive


def guarded(target, stats):
    try:
        target(stats)
    except Exception as error:  # one kind's bug must not stop the others; it shows in the report
        stats.extra[f"crashed: {type(error).__name__}: {error}"] += 1


def send_all(conn, text):
    conn.sock.settimeout(2.0)
    try:
        conn.sock.sendall(text.encode())
    finally:
        conn.sock.setblocking(False)


class ResponseReader:
    """Reads RTSP responses from a connection that may also carry interleaved ($) frames, which it skips."""

    def __init__(self, conn):
        self.conn = conn
        self.buffer = b""
        self.interleaved = 0

    def drain(self):
        """Reads and discards what is there; False once the edge has closed the connection."""
        return self._fill(0.0) is not False

    def _fill(self, timeout):
        """Waits up to timeout for data; None on timeout, False on close, True otherwise."""
        sel = selectors.DefaultSelector()
        sel.register(self.conn.sock, selectors.EVENT_READ)
        try:
            if not sel.select(timeout=timeout):
                return None
        finally:
            sel.close()
        try:
            data = self.conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except (ConnectionResetError, BrokenPipeError) as error:
            self.conn.edge_closed(reset=isinstance(error, ConnectionResetError))
            return False
        if not data:
            self.conn.edge_closed()
            return False
        self.conn.received += len(data)
        self.buffer += data
        return True

    def next(self, timeout):
        """The next response as (status, headers), or None (timeout or closed)."""
        until = time.monotonic() + timeout
        while True:
            while self.buffer.startswith(b"$"):
                if len(self.buffer) < 4:
                    break
                length = int.from_bytes(self.buffer[2:4], "big")
                if len(self.buffer) < 4 + length:
                    break
                self.interleaved += 4 + length
                self.buffer = self.buffer[4 + length:]
            if self.buffer and not self.buffer.startswith(b"$"):
                end = self.buffer.find(b"\r\n\r\n")
                if end >= 0:
                    head = self.buffer[:end].decode("latin-1").split("\r\n")
                    headers = {}
                    for line in head[1:]:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                    length = int(headers.get("content-length", "0") or 0)
                    if len(self.buffer) >= end + 4 + length:
                        self.buffer = self.buffer[end + 4 + length:]
                        parts = head[0].split(" ")
                        return (parts[1] if len(parts) > 1 else "???"), headers
            left = until - time.monotonic()
            if left <= 0:
                return None
            got = self._fill(left)
            if got is False:
                return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, required=True, help="seconds to run")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=28554)
    parser.add_argument("--stream", default="movie.Mjpeg")
    parser.add_argument("--source", default="127.0.0.2", help="address every hostile connection comes from")
    parser.add_argument("--flood", type=int, default=300, help="connections per flood")
    parser.add_argument("--sessions", type=int, default=20, help="SETUPs per session flood")
    parser.add_argument("--client-port", type=int, default=40000, help="the client_port the UDP SETUPs name")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to run (default: all)")
    args = parser.parse_args()
    args.kinds = [k for k in args.kinds.split(",") if k]
    for kind in args.kinds:
        if kind not in KINDS:
            parser.error(f"unknown kind {kind}; kinds are {', '.join(KINDS)}")
    for address in (args.host, args.source):
        if not address.startswith("127."):
            parser.error(f"{address} is not a loopback address: this tool only talks on loopback")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the flood holds hundreds of sockets
    Hostile(args).run()


if __name__ == "__main__":
    main()

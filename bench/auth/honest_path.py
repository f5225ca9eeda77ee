#!/usr/bin/python3
"""Times the honest path through an edge's login, one request after another on fresh connections:
  http-plain   GET /streams/NAME.jpg with Basic for a user with a plain password, to the frame's last byte;
  http-argon2  the same for a user whose password is stored as argon2 (the first check costs the hash);
  mjpeg        GET /streams/NAME.mjpeg with Basic (plain), to the first part's last byte: a viewer's first frame;
  rtsp-play    DESCRIBE (401), DESCRIBE, SETUP and PLAY with Digest MD5 over TCP, to the first interleaved packet.
usage: honest_path.py HOST HTTP_PORT RTSP_PORT STREAM COUNT PLAIN_USER:PASSWORD ARGON2_USER:PASSWORD
Prints one line per measure: name, then p50 and p95 in milliseconds, then this process's CPU seconds.

usage: honest_path.py attack HOST HTTP_PORT STREAM SECONDS ARGON2_USER:PASSWORD PLAIN_USER:PASSWORD EDGE_PID
48 threads guess the argon2 user's password from 127.0.0.1 for SECONDS, each sending its next guess when the last
is answered; after a third of the time the argon2 user (first time: its password is checked) and then the plain
user take a snapshot from 127.0.0.2. Prints the answers by status, the two snapshots' times (or why they failed),
the edge's peak and final resident memory, and this process's CPU."""
import base64
import hashlib
import os
import re
import resource
import socket
import statistics
import sys
import time


def read_head(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the headers ended")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def header(head, name):
    m = re.search(r"^" + re.escape(name) + r":\s*(.*?)\r?$", head, re.I | re.M)
    return m.group(1) if m else None


def read_body(sock, rest, length):
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed in a body")
        rest += chunk
    return rest[:length], rest[length:]


def http_frame(host, port, path, user, password, source=None, timeout=None):
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout, source_address=(source, 0) if source else None) as sock:
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
        head, rest = read_head(sock, b"")
        if " 200 " not in head.split("\r\n")[0]:
            raise RuntimeError(head.split("\r\n")[0])
        if path.endswith(".jpg"):
            read_body(sock, rest, int(header(head, "Content-Length")))
        else:
            part, rest = read_head(sock, rest)
            read_body(sock, rest, int(header(part, "Content-Length")))
    return time.perf_counter() - started


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Rtsp:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.buf = b""
        self.cseq = 0

    def request(self, method, url, headers):
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head, self.buf = read_head(self.sock, self.buf)
        body, self.buf = read_body(self.sock, self.buf, int(header(head, "Content-Length") or 0))
        return int(head.split()[1]), head, body.decode("latin-1")

    def first_packet(self):
        while len(self.buf) < 4 or self.buf[0:1] != b"$":
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("closed before the first packet")
            self.buf += chunk
        length = int.from_bytes(self.buf[2:4], "big")
        read_body(self.sock, self.buf[4:], length)


def rtsp_play(host, port, stream, user, password):
    started = time.perf_counter()
    rtsp = Rtsp(host, port)
    try:
        url = f"rtsp://{host}:{port}/{stream}"
        status, head, _ = rtsp.request("DESCRIBE", url, {"Accept": "application/sdp"})
        challenge = [v for v in re.findall(r"^WWW-Authenticate:\s*(.*?)\r?$", head, re.I | re.M) if "MD5" in v][0]
        realm = re.search(r'realm="([^"]*)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]*)"', challenge).group(1)
        ha1 = md5(f"{user}:{realm}:{password}")
        count = [0]

        def digest(method, uri):
            count[0] += 1
            nc, cnonce = f"{count[0]:08x}", os.urandom(8).hex()
            response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{md5(f'{method}:{uri}')}")
            return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5, '
                    f'qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"')

        status, head, sdp = rtsp.request("DESCRIBE", url, {"Accept": "application/sdp", "Authorization": digest("DESCRIBE", url)})
        if status != 200:
            raise RuntimeError(f"DESCRIBE {status}")
        control = re.findall(r"^a=control:(\S+)", sdp, re.M)[-1]
        track = control if control.startswith("rtsp://") else f"{url}/{control}"
        status, head, _ = rtsp.request("SETUP", track, {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", "Authorization": digest("SETUP", track)})
        if status != 200:
            raise RuntimeError(f"SETUP {status}")
        session = header(head, "Session").split(";")[0]
        status, _, _ = rtsp.request("PLAY", url, {"Session": session, "Authorization": digest("PLAY", url)})
        if status != 200:
            raise RuntimeError(f"PLAY {status}")
        rtsp.first_packet()
        return time.perf_counter() - started
    finally:
        rtsp.sock.close()


def http_status(host, port, path, user, password, source):
    with socket.create_connection((host, port), timeout=60, source_address=(source, 0)) as sock:
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n".encode())
        head, _ = read_head(sock, b"")
        return int(head.split()[1])


def memory_mb(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0


def attack(host, port, stream, seconds, argon2, plain, edge_pid):
    import threading
    statuses = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    path = f"/streams/{stream}.jpg"

    def guesser(worker):
        n = 0
        while time.monotonic() < deadline:
            n += 1
            try:
                status = http_status(host, port, path, argon2[0], f"guess-{worker}-{n}", "127.0.0.1")
            except (OSError, RuntimeError) as error:
                status = type(error).__name__
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=guesser, args=(w,)) for w in range(48)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 3)
    results = []
    for name, (user, password) in (("argon2", argon2), ("plain", plain)):
        try:
            results.append(f"{name} {http_frame(host, port, path, user, password, '127.0.0.2', 30) * 1000:.0f} ms")
        except (OSError, RuntimeError) as error:
            results.append(f"{name} failed ({type(error).__name__}: {error})")
    for thread in threads:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print("answers:", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))
    print("honest snapshots from 127.0.0.2:", "; ".join(results))
    print(f"edge resident memory: peak {memory_mb(edge_pid, 'VmHWM'):.0f} MB, at the end {memory_mb(edge_pid, 'VmRSS'):.0f} MB")
    print(f"attacker CPU: {usage.ru_utime + usage.ru_stime:.1f} s over {seconds} s")


def main():
    if sys.argv[1] == "attack":
        host, port, stream, seconds = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
        attack(host, port, stream, seconds, sys.argv[6].split(":", 1), sys.argv[7].split(":", 1), int(sys.argv[8]))
        return
    host, http_port, rtsp_port, stream, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    plain, argon2 = sys.argv[6].split(":", 1), sys.argv[7].split(":", 1)
    measures = {
        "http-plain": lambda: http_frame(host, http_port, f"/streams/{stream}.jpg", *plain),
        "http-argon2": lambda: http_frame(host, http_port, f"/streams/{stream}.jpg", *argon2),
        "mjpeg": lambda: http_frame(host, http_port, f"/streams/{stream}.mjpeg", *plain),
        "rtsp-play": lambda: rtsp_play(host, rtsp_port, stream, *plain),
    }
    for name, measure in measures.items():
        before = resource.getrusage(resource.RUSAGE_SELF)
        times = sorted(measure() * 1000 for _ in range(count))
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{name} {statistics.median(times):.2f} {p95:.2f} {cpu:.3f}")


if __name__ == "__main__":
    main()

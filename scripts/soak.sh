#!/usr/bin/env bash
# Soak test of the edge under attack. For SECONDS (default 300), twenty honest players watch the built-in sample
# from 127.0.0.1 (5 each of ffmpeg over UDP, ffmpeg over TCP, GStreamer over UDP, GStreamer over TCP) while
# scripts/soak-hostile.py attacks from 127.0.0.2: pipelining without reading, slowloris, garbage, a connection
# flood, session floods (UDP and TCP) and hang-ups mid-SETUP. The origin and the edge run as their own processes
# (Release build) on loopback ports no test uses; everything stays on 127.0.0.0/8.
#
# Prints one plain line per figure: each player's frames and RTP sequence gaps, totals per player kind and
# transport, the edge's RSS (start, peak, end), what each kind of hostile saw, CPU of the edge, the hostile
# generator and the players, and the edge's limit metrics. Then 31 checks, chosen so that two busy cores cannot
# make them flake: no TCP player saw a sequence gap (10), every player was still playing at the end (20), and
# grpcstream_edge_queued_bytes_peak stayed within Edge:Rtsp:MaxQueuedBytes (1). UDP loss is reported only.
# The last line is "N passed, N failed, 0 skipped"; the exit status is 0 when nothing failed.
#
# How players report gaps: ffmpeg logs "RTP: missed N packets" from its RTP reorder queue (it keeps none over
# TCP unless asked, hence -reorder_queue_size there); GStreamer's depayloader, at debug level 6, logs
# "got packet A, expected B, gap G" whenever a sequence number is not the next one (G < 0: -G packets missing).
#
# usage: scripts/soak.sh [SECONDS]
#   SOAK_KEEP=1               keep the work directory (every process's log) and print where it is
#   SOAK_RSS_LIMIT_MIB=4096   stop the edge if it grows beyond this, so a leak cannot take the machine down
#   SOAK_HOSTILE_KINDS=...    only these hostile kinds, comma-separated (see scripts/soak-hostile.py; default all)
set -uo pipefail # no -e: one failed probe must not end the soak before it reports
cd "$(dirname "$0")/.."

seconds=${1:-300}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 10 ]; then
  echo "usage: scripts/soak.sh [SECONDS]   (at least 10; default 300)" >&2
  exit 2
fi

origin_grpc=52051 origin_http=18281
rtsp_port=28554 rtp_port=28000 edge_http=28080
url=rtsp://127.0.0.1:$rtsp_port/movie.Mjpeg
max_queued=1048576  # Edge:Rtsp:MaxQueuedBytes given to the edge, and the bound the metric is checked against
window=5            # "still playing" = frames grew over the last this many seconds
rss_limit_kib=$((${SOAK_RSS_LIMIT_MIB:-4096} * 1024))
players_per_kind=5
checks_total=$((players_per_kind * 2 + players_per_kind * 4 + 1))

# Every curl gets a time limit, including those inside bench-common.sh's wait_http: a hung server must not hang
# the soak.
curl() { command curl --max-time 5 "$@"; }
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

work=$(mktemp -d /tmp/soak.XXXXXX)
wrappers=()  # the `timeout` process of everything started in the background
passed=0 failed=$checks_total  # what the last line says if the soak ends early
exit_code=1

# Stops everything we started, by pid: TERM to each `timeout` wrapper (which passes it on to its command and
# sends KILL 5 s later if needed), then KILL to whatever is left. Prints the summary line last.
finish() {
  trap - EXIT INT TERM
  stop_all
  if [ -n "${SOAK_KEEP:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
  echo "$passed passed, $failed failed, 0 skipped"
  exit "$exit_code"
}
stop_pids() { # pid...: TERM, wait up to 8 s, then KILL the survivors and their children
  local p c alive
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 80); do
    alive=""
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for p in "$@"; do
    if kill -0 "$p" 2>/dev/null; then
      for c in $(pgrep -P "$p"); do kill -KILL "$c" 2>/dev/null; done
      kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
  done
}
stop_all() { [ ${#wrappers[@]} -gt 0 ] && stop_pids "${wrappers[@]}"; }
trap finish EXIT
trap 'echo "interrupted"; exit 1' INT TERM

# Starts a command in the background under `timeout` (so it cannot outlive the soak by much) and records it.
bg() { # lifetime-seconds command...
  local life=$1; shift
  timeout -k 5 "$life" "$@" &
  wrappers+=($!)
}
child_of() { pgrep -P "$1" | head -n 1; }  # the real process under a `timeout` wrapper
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }  # microseconds since the epoch, without a fork
elapsed() { local d=$((($(now_us) - t0_us) / 100000)); echo "$((d / 10)).$((d % 10))"; }  # seconds since t0
ticks_hz=$(getconf CLK_TCK)
secs() { awk -v t="$1" -v hz="$ticks_hz" 'BEGIN { print t / hz }'; }  # clock ticks to seconds
cpu_line() { # label cpu-seconds wall-seconds
  awk -v l="$1" -v c="$2" -v w="$3" \
    'BEGIN { printf "%s: %.2f s user+sys over %.0f s (%.1f%% of one core)\n", l, c, w, (w > 0 ? c / w * 100 : 0) }'
}

# --- Preflight: tools, the hostile address, free ports. -------------------------------------------------------
for tool in dotnet ffmpeg gst-launch-1.0 /usr/bin/python3 timeout curl pgrep; do
  command -v "$tool" >/dev/null || { echo "missing: $tool"; exit 1; }
done
if ! timeout 5 /usr/bin/python3 -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null; then
  echo "cannot bind 127.0.0.2 (the hostile clients' address)"; exit 1
fi
for port in $origin_grpc $origin_http $rtsp_port $edge_http; do
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    echo "port $port is already in use on 127.0.0.1 (another soak running?)"; exit 1
  fi
done

# --- Build and start the origin and the edge. ------------------------------------------------------------------
echo "soak: building (Release)"
if ! timeout 900 dotnet build GrpcStream.sln -c Release -v quiet -nologo >"$work/build.log" 2>&1; then
  tail -n 20 "$work/build.log"; echo "build failed"; exit 1
fi
life=$((seconds + 120))  # no child may outlive the soak by more than this, whatever happens to this script
bg "$life" dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll \
  --urls "http://127.0.0.1:$origin_grpc" --http-port "$origin_http" --Logging:LogLevel:Default=Warning \
  >"$work/origin.log" 2>&1
wait_http "http://127.0.0.1:$origin_http/healthz"  # before the edge, whose first link attempt would fail
# The last four settings are the edge's limits against hostile clients; an edge that does not know them yet
# ignores them (the configuration binder skips unknown keys).
bg "$life" dotnet src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll \
  --rtsp-port "$rtsp_port" --rtp-port "$rtp_port" --http-port "$edge_http" --Edge:Control:Port=0 --origin "http://127.0.0.1:$origin_grpc" \
  --Logging:LogLevel:Default=Warning \
  --Edge:Rtsp:MaxQueuedBytes=$max_queued --Edge:Rtsp:MaxConnectionsPerAddress=50 \
  --Edge:Rtsp:WriteTimeout=00:00:05 --Edge:Rtsp:RequestTimeout=00:00:05 \
  >"$work/edge.log" 2>&1
edge_wrapper=${wrappers[-1]}
wait_http "http://127.0.0.1:$edge_http/healthz"
edge_pid=$(child_of "$edge_wrapper")
alive "$edge_pid" || { echo "the edge did not start"; tail -n 20 "$work/edge.log"; exit 1; }

# --- Honest players, then the hostiles. ------------------------------------------------------------------------
players=()  # name kind transport wrapper, one string each
start_ffmpeg() { # name transport
  local name=$1 transport=$2 extra=()
  # Over TCP ffmpeg keeps no reorder queue, and only the queue reports "RTP: missed N packets": ask for one.
  [ "$transport" = tcp ] && extra=(-reorder_queue_size 16)
  # -c copy -f null: count frames without decoding them. "repeat" stops ffmpeg folding identical log lines into
  # "Last message repeated N times", which would hide gaps from the count.
  bg $((seconds + 60)) ffmpeg -nostdin -hide_banner -loglevel repeat+level+warning -rtsp_transport "$transport" \
    -min_port 10000 -max_port 19999 "${extra[@]}" -i "$url" -c copy -f null \
    -progress "$work/$name.progress" -stats_period 1 - 2>"$work/$name.log"
  players+=("$name ffmpeg $transport ${wrappers[-1]}")
}
start_gst() { # name transport
  local name=$1 transport=$2
  # fpsdisplaysink over fakesink counts frames without decoding ("rendered: N" once a second with -v; -X stats
  # leaves out rtpbin's large statistics). The depayloader's debug log at level 6 is one line per packet; only the
  # lines that are not the routine per-packet one are kept (gaps, errors).
  bg $((seconds + 60)) env GST_DEBUG=rtpbasedepayload:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -v -X stats \
    rtspsrc location="$url" protocols="$transport" port-range=20000-27999 ! rtpjpegdepay ! \
    fpsdisplaysink video-sink=fakesink text-overlay=false sync=false fps-update-interval=1000 \
    >"$work/$name.out" 2> >(grep --line-buffered -v ' discont [01], seqnum ' >"$work/$name.log")
  players+=("$name gst $transport ${wrappers[-1]}")
}
frames_of() { # name kind: the player's latest frame count
  if [ "$2" = ffmpeg ]; then
    sed -n 's/^frame=\([0-9]*\)$/\1/p' "$work/$1.progress" 2>/dev/null | tail -n 1 | grep . || echo 0
  else
    grep -o 'rendered: [0-9]*' "$work/$1.out" 2>/dev/null | tail -n 1 | cut -d' ' -f2 | grep . || echo 0
  fi
}
gaps_of() { # name kind: "missing-packets other-sequence-errors"
  if [ "$2" = ffmpeg ]; then
    # "RTP: missed N packets"; "bad cseq" is a jump too large for ffmpeg to count.
    awk '/RTP: missed [0-9]+ packets/ { for (i = 1; i < NF; i++) if ($i == "missed") m += $(i + 1) }
         /bad cseq/ { o++ } END { print m + 0, o + 0 }' "$work/$1.log"
  else
    # "got packet A, expected B, gap G": G < 0 means -G packets missing; G > 0 an old or repeated packet.
    awk '/got packet [0-9]+, expected [0-9]+, gap -?[0-9]+/ { g = $NF + 0; if (g < 0) m -= g; else o++ }
         END { print m + 0, o + 0 }' "$work/$1.log"
  fi
}

rss_start=$(rss_kib "$edge_pid")
edge_ticks_start=$(cpu_ticks "$edge_pid")
t0_us=$(now_us)
echo "soak: $seconds s, $((players_per_kind * 4)) players and the hostiles against $url (edge pid $edge_pid)"
for i in $(seq 1 $players_per_kind); do
  start_ffmpeg "ffmpeg-udp-$i" udp
  start_ffmpeg "ffmpeg-tcp-$i" tcp
  start_gst "gst-udp-$i" udp
  start_gst "gst-tcp-$i" tcp
done
bg $((seconds + 30)) /usr/bin/python3 scripts/soak-hostile.py --duration "$seconds" --host 127.0.0.1 \
  --port "$rtsp_port" --source 127.0.0.2 ${SOAK_HOSTILE_KINDS:+--kinds "$SOAK_HOSTILE_KINDS"} \
  >"$work/hostile.out" 2>"$work/hostile.log"
hostile_wrapper=${wrappers[-1]}
sleep 1
declare -A player_pid
for p in "${players[@]}"; do read -r name _ _ wrapper <<<"$p"; player_pid[$name]=$(child_of "$wrapper"); done

# CPU of the edge and of every player, read once a second with one awk (field 1 of /proc/PID/stat is the pid):
# the last reading stands for a process that has died since.
declare -A last_ticks
sample_cpu() {
  local files=() pid ticks
  for pid in "$edge_pid" "${player_pid[@]}"; do [ -n "$pid" ] && files+=("/proc/$pid/stat"); done
  while read -r pid ticks; do last_ticks[$pid]=$ticks; done < <(awk '{ print $1, $14 + $15 }' "${files[@]}" 2>/dev/null)
}

# --- The run: sample memory and CPU every second; note the players' frames $window s before the end. ------------
rss_peak=$rss_start edge_note="" sampled_early=""
declare -A frames_early frames_end player_alive player_missing player_other player_playing
note_frames() { # array-name: every player's frame count now
  local -n into=$1
  local p name kind
  for p in "${players[@]}"; do read -r name kind _ _ <<<"$p"; into[$name]=$(frames_of "$name" "$kind"); done
}
end_us=$((t0_us + seconds * 1000000))
for _ in $(seq 1 $((seconds + 5))); do  # bounded even if the clock misbehaves
  left_us=$((end_us - $(now_us)))
  [ "$left_us" -le 0 ] && break
  if ! alive "$edge_pid"; then
    edge_note="edge exited after $(elapsed) s"; break
  fi
  sample_cpu
  rss=$(rss_kib "$edge_pid")
  [ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
  if [ "$rss" -gt "$rss_limit_kib" ]; then
    edge_note="edge RSS passed $((rss_limit_kib / 1024)) MiB after $(elapsed) s: edge stopped to protect the machine"
    kill -KILL "$edge_pid" 2>/dev/null
    wait "$edge_wrapper" 2>/dev/null  # reaped here, so the shell prints no "Killed" notice
    break
  fi
  if [ -z "$sampled_early" ] && [ "$left_us" -le $((window * 1000000)) ]; then
    note_frames frames_early
    sampled_early=1
  fi
  if [ "$left_us" -ge 1000000 ]; then sleep 1; else sleep "0.$(printf '%06d' "$left_us")"; fi
done
if [ -z "$sampled_early" ]; then  # the run ended early: compare with a second later, which fails as it should
  note_frames frames_early
  sleep 1
fi
wall=$(elapsed)

# --- Readings at the end, while everything still runs. ---------------------------------------------------------
sample_cpu
note_frames frames_end
players_ticks=0 ffmpeg_ticks=0 gst_ticks=0
for p in "${players[@]}"; do
  read -r name kind _ _ <<<"$p"
  pid=${player_pid[$name]}
  if alive "$pid"; then player_alive[$name]=1; else player_alive[$name]=""; fi
  t=${last_ticks[$pid]:-0}
  players_ticks=$((players_ticks + t))
  if [ "$kind" = ffmpeg ]; then ffmpeg_ticks=$((ffmpeg_ticks + t)); else gst_ticks=$((gst_ticks + t)); fi
done
edge_ticks_end=${last_ticks[$edge_pid]:-$edge_ticks_start}
if alive "$edge_pid"; then
  rss_end=$(rss_kib "$edge_pid")
  metrics=$(curl -sf "http://127.0.0.1:$edge_http/metrics" || true)
else
  rss_end="" metrics=""
fi
[ -n "$rss_end" ] && [ "$rss_end" -gt "$rss_peak" ] && rss_peak=$rss_end

# Stop the players; ask the hostile generator to stop (TERM: it still prints its report); then the servers.
player_wrappers=()
for p in "${players[@]}"; do read -r _ _ _ wrapper <<<"$p"; player_wrappers+=("$wrapper"); done
kill -TERM "$hostile_wrapper" 2>/dev/null
stop_pids "${player_wrappers[@]}"
for _ in $(seq 1 100); do alive "$hostile_wrapper" || break; sleep 0.1; done
stop_pids "$hostile_wrapper"
stop_pids "$edge_wrapper"  # before the origin, so the edge does not log the origin going away
stop_all
sleep 0.5  # the gap filters (grep) write their last lines once their player is gone

# --- Report. ---------------------------------------------------------------------------------------------------
echo
[ -n "$edge_note" ] && echo "$edge_note"
declare -A sum_frames sum_gaps sum_other
for p in "${players[@]}"; do
  read -r name kind transport _ <<<"$p"
  read -r missing other <<<"$(gaps_of "$name" "$kind")"
  playing=no
  if [ -n "${player_alive[$name]}" ] && [ "${frames_end[$name]}" -gt "${frames_early[$name]}" ]; then playing=yes; fi
  echo "player $name: frames ${frames_end[$name]}, rtp gaps $missing packets, other sequence errors $other," \
    "frames in the last $window s $((frames_end[$name] - frames_early[$name])), playing at the end: $playing"
  for key in "$kind $transport" "$kind" "$transport"; do
    sum_frames[$key]=$((${sum_frames[$key]:-0} + frames_end[$name]))
    sum_gaps[$key]=$((${sum_gaps[$key]:-0} + missing))
    sum_other[$key]=$((${sum_other[$key]:-0} + other))
  done
  player_missing[$name]=$missing player_other[$name]=$other player_playing[$name]=$playing
done
for key in "ffmpeg udp" "ffmpeg tcp" "gst udp" "gst tcp" ffmpeg gst udp tcp; do
  echo "players $key total: frames ${sum_frames[$key]:-0}, rtp gaps ${sum_gaps[$key]:-0} packets," \
    "other sequence errors ${sum_other[$key]:-0}"
done
echo "edge rss start: $((rss_start / 1024)) MiB"
echo "edge rss peak: $((rss_peak / 1024)) MiB"
if [ -n "$rss_end" ]; then echo "edge rss end: $((rss_end / 1024)) MiB"; else echo "edge rss end: n/a (not running)"; fi
if [ -s "$work/hostile.out" ]; then
  grep -v '^hostile cpu:' "$work/hostile.out"
else
  echo "hostile: no report ($(tail -n 1 "$work/hostile.log" 2>/dev/null))"
fi
cpu_line "edge cpu" "$(secs $((edge_ticks_end - edge_ticks_start)))" "$wall"
hostile_cpu=$(sed -n 's/^hostile cpu: //p' "$work/hostile.out" 2>/dev/null)
cpu_line "hostile generator cpu" "${hostile_cpu:-0}" "$wall"
cpu_line "players cpu (all ${#players[@]})" "$(secs "$players_ticks")" "$wall"
cpu_line "players cpu (ffmpeg)" "$(secs "$ffmpeg_ticks")" "$wall"
cpu_line "players cpu (gst)" "$(secs "$gst_ticks")" "$wall"
if [ -z "$metrics" ]; then echo "edge metrics: no answer from http://127.0.0.1:$edge_http/metrics"; fi
limit_lines=$(grep '^grpcstream_edge_limit_hits' <<<"$metrics")
if [ -n "$limit_lines" ]; then echo "$limit_lines"; else echo "grpcstream_edge_limit_hits: metric missing"; fi
queued_lines=$(grep '^grpcstream_edge_queued_bytes_peak' <<<"$metrics")
if [ -n "$queued_lines" ]; then echo "$queued_lines"; else echo "grpcstream_edge_queued_bytes_peak: metric missing"; fi
grep -E '^grpcstream_edge_(connections|sessions|frames_dropped|bad_requests|rtcp_lost_packets)' <<<"$metrics"

# --- Checks. ---------------------------------------------------------------------------------------------------
echo
ok=0 bad=0  # copied to passed/failed only when every check is done, so an interrupted soak still says 31 failed
check() { # condition-status description
  if [ "$1" -eq 0 ]; then echo "ok: $2"; ok=$((ok + 1)); else echo "FAIL: $2"; bad=$((bad + 1)); fi
}
for p in "${players[@]}"; do
  read -r name _ transport _ <<<"$p"
  [ "$transport" = tcp ] || continue
  [ "${player_missing[$name]}" -eq 0 ] && [ "${player_other[$name]}" -eq 0 ]
  check $? "$name saw no RTP sequence gap (${player_missing[$name]} missing, ${player_other[$name]} other)"
done
for p in "${players[@]}"; do
  read -r name _ _ _ <<<"$p"
  [ "${player_playing[$name]}" = yes ]
  check $? "$name still playing at the end (frames ${frames_early[$name]} -> ${frames_end[$name]} in $window s)"
done
queued_peak=$(awk '{ v = $NF + 0; if (v > m) m = v } END { if (NR) printf "%.0f", m }' <<<"$queued_lines")
if [ -n "$queued_lines" ] && [ -n "$queued_peak" ]; then
  [ "$queued_peak" -le "$max_queued" ]
  check $? "grpcstream_edge_queued_bytes_peak $queued_peak <= Edge:Rtsp:MaxQueuedBytes $max_queued"
else
  check 1 "grpcstream_edge_queued_bytes_peak <= $max_queued (metric missing)"
fi
passed=$ok failed=$bad
[ "$failed" -eq 0 ] && exit_code=0
exit "$exit_code"

# Shared by the benchmark scripts (sourced, not run).

# Waits up to a minute for URL to answer; gives up the whole script otherwise.
wait_http() { for _ in $(seq 1 120); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; echo "no answer from $1" >&2; exit 1; }

# A process's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Follows a load generator (PID) writing to OUT until it exits: calls window_opened when a line matches OPEN_RE
# and window_closed when one then matches CLOSE_RE, each once, within 50 ms of the line appearing, so readings
# taken there cover the generator's measuring window and not its set-up or tear-down.
watch_window() { # pid out open-re close-re
  # Locals are prefixed: bash scopes dynamically, so the callbacks would see a plain "pid" here instead of theirs.
  local ww_pid=$1 ww_out=$2 ww_open=$3 ww_close=$4 ww_running=1 ww_opened="" ww_closed=""
  while [ -n "$ww_running" ]; do
    kill -0 "$ww_pid" 2>/dev/null || ww_running=""
    if [ -z "$ww_opened" ] && grep -q "$ww_open" "$ww_out"; then window_opened; ww_opened=1; fi
    if [ -n "$ww_opened" ] && [ -z "$ww_closed" ] && grep -q "$ww_close" "$ww_out"; then window_closed; ww_closed=1; fi
    [ -n "$ww_running" ] && sleep 0.05
  done
  wait "$ww_pid" 2>/dev/null || true
}

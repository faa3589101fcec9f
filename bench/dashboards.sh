#!/usr/bin/env bash
# Dashboard latency and server memory at scale (issue 5; docs/benchmarks.md).
#
#   hotline bench generate --db URL --orders N     # first, on an empty database
#   bench/dashboards.sh URL [REQUESTS]             # then this
#   ONLY=trends bench/dashboards.sh URL 200        # only the endpoints matching a regexp
#
# Starts `hotline serve` on the database, logs in as the demo leader, asks
# every dashboard endpoint REQUESTS times (default 40) one after another and
# prints p50/p95/max per endpoint, then the server's RSS (VmRSS, and VmHWM =
# the peak) read from /proc.
set -euo pipefail
DB=${1:?usage: bench/dashboards.sh DB_URL [REQUESTS]}
N=${2:-40}
BIN=${HOTLINE_BIN:-$(mktemp -d)/hotline}
if [ ! -x "$BIN" ]; then go build -o "$BIN" ./cmd/hotline; fi
PORT=$((20000 + RANDOM % 20000))
"$BIN" serve --addr 127.0.0.1:$PORT --db "$DB" >/tmp/hotline-bench-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
T0=$(date +%s)
for _ in $(seq 3000); do curl -fs http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.2; done
echo "server ready after $(( $(date +%s) - T0 )) s (start-up includes training the text intelligence on past orders)"
grep -E "VmRSS" /proc/$PID/status
TOKEN=$(curl -fs -X POST http://127.0.0.1:$PORT/api/v1/session -d '{"username":"leader","password":"demo12345"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
today=$(TZ=Asia/Shanghai date +%F)
m1=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) -1 month" +%F)
m1end=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) -1 day" +%F)
y1=$(TZ=Asia/Shanghai date -d "$today -364 days" +%F)
paths=(
  "/api/v1/dashboard/overview"
  "/api/v1/dashboard/overview?from=$m1&to=$m1end"
  "/api/v1/dashboard/overview?from=$m1&to=$m1end&unit=binyang"
  "/api/v1/dashboard/overview?from=$y1&to=$today"
  "/api/v1/dashboard/ranking?from=$m1&to=$m1end"
  "/api/v1/dashboard/trends"
  "/api/v1/dashboard/map?from=$m1&to=$m1end"
  "/api/v1/dashboard/map?from=$m1&to=$m1end&category=environment"
  "/api/v1/dashboard/praise"
  "/api/v1/stats/summary?from=$m1&to=$m1end"
  "/api/v1/stats/units?from=$m1&to=$m1end"
  "/api/v1/reports/ranking.xlsx?from=$m1&to=$m1end"
  "/api/v1/reports/overview.xlsx?from=$m1&to=$m1end"
  # The web pages (server-rendered with their charts' data: one page = one
  # answer of this time).
  "/dashboard"
  "/dashboard?from=$y1&to=$today"
  "/dashboard/ranking?from=$m1&to=$m1end"
  "/dashboard/trends"
  "/dashboard/map?from=$m1&to=$m1end"
  "/dashboard/praise"
)
uptime
printf '%-72s %8s %8s %8s %9s\n' endpoint p50_ms p95_ms max_ms bytes
for p in "${paths[@]}"; do
  if [ -n "${ONLY:-}" ] && ! [[ $p =~ $ONLY ]]; then continue; fi
  curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -b "hotline_session=$TOKEN" "http://127.0.0.1:$PORT$p" # warm
  ts=()
  for _ in $(seq "$N"); do
    ts+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" -b "hotline_session=$TOKEN" "http://127.0.0.1:$PORT$p")")
  done
  size=$(curl -fs -H "Authorization: Bearer $TOKEN" -b "hotline_session=$TOKEN" "http://127.0.0.1:$PORT$p" | wc -c)
  printf '%s\n' "${ts[@]}" | sort -n | awk -v n="$N" -v p="$p" -v size="$size" \
    '{a[NR]=$1*1000} END {i50=int(n*0.5+0.5); i95=int(n*0.95+0.5); if(i95<1)i95=1; printf "%-72s %8.1f %8.1f %8.1f %9d\n", p, a[i50], a[i95], a[n], size}'
done
uptime
grep -E 'VmRSS|VmHWM' /proc/$PID/status

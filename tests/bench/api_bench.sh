#!/usr/bin/env bash
# api_bench.sh -- benchmarks of the REST server (`synth serve`), with wrk from Debian:
#   1. GET /healthz requests/s: wrk -t2 -c64 -d10s (target >= 20,000 on the 2-core machine);
#   2. streamed generation, GET /v1/models/{id}/rows?rows=N, rows/s against the CLI's rows/s for
#      the same model and seed (to a file, the target: within 20%, and to /dev/null), and the server's peak RSS;
#   3. a concurrent burst (wrk -t2 -c32 -d2s) against the per-key limiter (--rate 10 --burst 20):
#      requests admitted (2xx) must never exceed burst + rate x elapsed.
# Each figure is the median of RUNS runs (default 3).  Prints a Markdown section on stdout;
# --write also puts it into docs/BENCHMARKS.md (replacing an earlier "## REST API" section).
# Usage: tests/bench/api_bench.sh [--write]   (RUNS, ROWS=10000000, SYNTH=bin/synth)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
ROWS=${ROWS:-10000000}
SYNTH=${SYNTH:-bin/synth}
B=build/bench/api
doc=docs/BENCHMARKS.md
mkdir -p "$B"
command -v wrk >/dev/null || { echo "api_bench: needs wrk (apt-get install wrk; make bench installs it)" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
log() { echo "api_bench: $*" >&2; }

PID=""
# start_server [serve options...]: a fresh data dir; sets PID and URL.
start_server() {
  rm -rf "$B/data"
  "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$B/data" "$@" >/dev/null 2>"$B/serve.log" &
  PID=$!
  local line="" i
  for i in $(seq 200); do
    line=$(grep -m1 -oE 'listening on http://[0-9.]+:[0-9]+' "$B/serve.log" || true)
    [ -n "$line" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$B/serve.log" >&2; exit 1; }
    sleep 0.05
  done
  [ -n "$line" ] || { log "server did not start"; kill -9 "$PID"; exit 1; }
  URL=${line#listening on }
  for i in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ] && return 0
    sleep 0.05
  done
  log "server never ready"; exit 1
}
stop_server() {
  [ -n "$PID" ] || return 0
  kill -TERM "$PID"; wait "$PID" || true; PID=""
}
trap 'if [ -n "$PID" ]; then kill -9 "$PID" 2>/dev/null || true; fi' EXIT
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 1. /healthz ------------------------------------------------------------------------------
log "/healthz with wrk -t2 -c64 -d10s, $RUNS runs"
start_server
rps=(); p99=(); errors=0
for i in $(seq "$RUNS"); do
  wrk -t2 -c64 -d10s --latency "$URL/healthz" >"$B/wrk.txt"
  rps+=("$(awk '/^Requests\/sec:/ {print $2}' "$B/wrk.txt")")
  p99+=("$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; print v}' "$B/wrk.txt")")
  e=$(awk '/Non-2xx/ {n += $NF}
            /Socket errors/ {for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) {v = $i; sub(/,/, "", v); n += v}}
            END {print n + 0}' "$B/wrk.txt")
  errors=$((errors + e))
done
health_rps=$(printf '%s\n' "${rps[@]}" | median)
health_p99=$(printf '%s\n' "${p99[@]}" | median)
health_all=$(printf '%.0f ' "${rps[@]}")
stop_server

# ---- 2. streamed generation vs the CLI --------------------------------------------------------
log "streamed generation, $ROWS rows, $RUNS runs"
start_server --rate 1000 --burst 1000
KEY=$("$SYNTH" keys create --name bench --scopes read,generate --data-dir "$B/data" 2>/dev/null)
auth=(-H "Authorization: Bearer $KEY")
ds=$(curl -sS "${auth[@]}" -H 'Content-Type: text/csv' --data-binary @datasets/adult.csv "$URL/v1/datasets?name=adult" | jq -r .id)
job=$(curl -sS "${auth[@]}" -H 'Content-Type: application/json' --data "{\"dataset_id\":\"$ds\"}" "$URL/v1/models" | jq -r .id)
state=""
for i in $(seq 600); do
  state=$(curl -sS "${auth[@]}" "$URL/v1/jobs/$job" | jq -r .state)
  case "$state" in succeeded | failed | cancelled) break ;; esac
  sleep 0.1
done
[ "$state" = succeeded ] || { log "fit job: $state"; exit 1; }
md=$(curl -sS "${auth[@]}" "$URL/v1/jobs/$job" | jq -r .result.model_id)
model="$B/data/models/$md.synth"
# the bytes are the CLI's (checked on 100,000 rows)
curl -sS "${auth[@]}" "$URL/v1/models/$md/rows?rows=100000&seed=1" -o "$B/api.csv"
"$SYNTH" generate "$model" --rows 100000 --seed 1 -o "$B/cli.csv" -q
cmp -s "$B/api.csv" "$B/cli.csv" && same=yes || same=NO
rm -f "$B/api.csv" "$B/cli.csv"
# peak RSS after one download of ROWS/10 rows, to compare with the peak after the full-size ones
curl -sS "${auth[@]}" -o /dev/null "$URL/v1/models/$md/rows?rows=$((ROWS / 10))&seed=1"
rss_small_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
api_rs=(); cli_rs=(); file_rs=(); bytes=0
for i in $(seq "$RUNS"); do
  r=$(curl -sS "${auth[@]}" -o /dev/null -w '%{time_total} %{size_download}' "$URL/v1/models/$md/rows?rows=$ROWS&seed=1")
  bytes=${r#* }
  api_rs+=("$(awk -v t="${r% *}" -v n="$ROWS" 'BEGIN {printf "%.0f", n / t}')")
  s=$(date +%s.%N)
  "$SYNTH" generate "$model" --rows "$ROWS" --seed 1 -o - -q >/dev/null
  e=$(date +%s.%N)
  cli_rs+=("$(awk -v s="$s" -v e="$e" -v n="$ROWS" 'BEGIN {printf "%.0f", n / (e - s)}')")
  # the CLI as docs/BENCHMARKS.md's Generate table runs it: to a file
  s=$(date +%s.%N)
  "$SYNTH" generate "$model" --rows "$ROWS" --seed 1 -o "$B/out.csv" -q
  e=$(date +%s.%N)
  rm -f "$B/out.csv"
  file_rs+=("$(awk -v s="$s" -v e="$e" -v n="$ROWS" 'BEGIN {printf "%.0f", n / (e - s)}')")
done
api_med=$(printf '%s\n' "${api_rs[@]}" | median)
cli_med=$(printf '%s\n' "${cli_rs[@]}" | median)
file_med=$(printf '%s\n' "${file_rs[@]}" | median)
ratio=$(awk -v a="$api_med" -v c="$cli_med" 'BEGIN {printf "%.2f", a / c}')
ratio_file=$(awk -v a="$api_med" -v c="$file_med" 'BEGIN {printf "%.2f", a / c}')
rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
stop_server

# ---- 3. the limiter under a concurrent burst --------------------------------------------------
log "limiter burst (--rate 10 --burst 20, wrk -t2 -c32 -d2s), $RUNS runs"
start_server --rate 10 --burst 20
admitted=(); offered=(); bounds=(); verdict=PASS
for i in $(seq "$RUNS"); do
  K=$("$SYNTH" keys create --name "burst$i" --scopes read --data-dir "$B/data" 2>/dev/null)
  wrk -t2 -c32 -d2s -H "Authorization: Bearer $K" "$URL/v1/datasets" >"$B/wrk.txt"
  total=$(awk '/requests in/ {print $1}' "$B/wrk.txt")
  secs=$(awk '/requests in/ {v = $4; sub(/s,$/, "", v); print v}' "$B/wrk.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$B/wrk.txt")
  ok=$((total - ${non2xx:-0}))
  # wrk's elapsed time counts from its own start; the bound uses it plus one refill interval
  bound=$(awk -v t="$secs" 'BEGIN {printf "%d", 20 + 10 * t + 1}')
  admitted+=("$ok"); offered+=("$total"); bounds+=("$bound")
  [ "$ok" -le "$bound" ] || verdict=FAIL
done
limited=$(curl -sS "$URL/metrics" | awk '$1 == "synth_rate_limited_total" {print $2}')
stop_server
adm_med=$(printf '%s\n' "${admitted[@]}" | median)
off_med=$(printf '%s\n' "${offered[@]}" | median)

section=$(cat <<MD

## REST API (\`synth serve\`)

Written by tests/bench/api_bench.sh on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores; wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}')
and the server on the same machine (load average at the start: $load_start; other work on a shared
machine moves these figures).  Medians of $RUNS runs.

| measure | result | target |
| --- | ---: | --- |
| \`GET /healthz\`, \`wrk -t2 -c64 -d10s\` | **$(printf '%.0f' "$health_rps") requests/s** (runs: $health_all; p99 $health_p99 ms; errors $errors) | >= 20,000 |
| streamed \`GET /v1/models/{id}/rows?rows=$ROWS\` (Adult model, curl to /dev/null) | **$api_med rows/s** ($(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1e6}') MB per download; runs: ${api_rs[*]}) | within 20% of the CLI |
| \`synth generate --rows $ROWS -o out.csv\` (to a file, as in the Generate table), same model and seed | $file_med rows/s (runs: ${file_rs[*]}) | |
| \`synth generate --rows $ROWS -o - >/dev/null\` (no consumer at all) | $cli_med rows/s (runs: ${cli_rs[*]}) | |
| streamed / CLI to a file; streamed / CLI to /dev/null | **$ratio_file**; $ratio | >= 0.80 |
| server peak RSS (VmHWM) after one download of $((ROWS / 10)) rows / after $RUNS of $ROWS | $(awk -v k="$rss_small_kb" 'BEGIN {printf "%.1f", k / 1024}') / $(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k / 1024}') MiB | constant in rows |
| limiter, \`--rate 10 --burst 20\`, \`wrk -t2 -c32 -d2s\` on one key: admitted / offered | $adm_med / $off_med (bounds: ${bounds[*]}; all runs: ${admitted[*]}) | never above 20 + 10 x elapsed: **$verdict** |

The streamed rows are byte-identical to the CLI's (checked on 100,000 rows: $same).  Every
limited request counted by the server: synth_rate_limited_total = $limited over the $RUNS bursts.
The target compares the download with the CLI's rows/s as the Generate table measures it (to a
file).  Against the CLI writing into /dev/null the ratio is lower on this 2-core machine: the
download also pays for curl and the loopback copy of every byte, on the same two cores the
generator threads use.
MD
)
printf '%s\n' "$section"
if [ "${1:-}" = --write ]; then
  if grep -q '^## REST API' "$doc"; then
    awk '/^## REST API/ {skip = 1; next} skip && /^## / {skip = 0} !skip' "$doc" >"$B/doc.md"
    cp "$B/doc.md" "$doc"
  fi
  printf '%s\n' "$section" >>"$doc"
  log "wrote the section into $doc"
fi
rm -rf "$B/data"

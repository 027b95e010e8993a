#!/usr/bin/env bash
# The README's figures for the status app: RSS and CPU of the app idling for a minute while the
# demo's agents keep the database busy, and the delay from a commit (a hand edit with sqlite3) to
# the new value applied on the FX thread. Needs xvfb, libgtk-3-0 and sqlite3. Run from the
# repository root after `mvn -pl status-app -am package`. APP_JAVA_OPTS adds JVM options to the app.
set -euo pipefail
trap 'kill ${APP:-} ${DEMO:-} 2>/dev/null || true' EXIT
WARMUP=${WARMUP:-20}
MEASURE=${MEASURE:-60}
EDITS=${EDITS:-20}
DIR=$(mktemp -d)
mvn -B -ntp -q -pl status-app dependency:build-classpath -Dmdep.outputFile="$DIR/cp.txt" >/dev/null
CP="$(cat "$DIR/cp.txt"):status-app/target/classes"
DB="$DIR/limiter.db"

java -cp "$CP" dev.inflight.app.Main demo --no-gui --home "$DIR" --agents 8 >/dev/null 2>"$DIR/demo.err" &
DEMO=$!
sleep 5
sqlite3 -cmd ".timeout 5000" "$DB" "INSERT INTO limits(provider, max_in_flight, cooldown_ms, paused) VALUES ('figure', 1, 0, 0)"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

xvfb-run -a -s "-screen 0 1180x720x24" bash -c "
  java ${APP_JAVA_OPTS:-} -Dinflight.app.debug=true -cp '$CP' dev.inflight.app.Main app --home '$DIR' 2>'$DIR/app.err' &
  echo \$! > '$DIR/app.pid'
  wait" &
XVFB=$!
sleep 2
APP=$(cat "$DIR/app.pid")
sleep "$WARMUP"
CPU1=$(cpu "$APP"); RSS1=$(rss "$APP"); T1=$(date +%s%N)
: > "$DIR/edits"
for i in $(seq 1 "$EDITS"); do
  v=$((i + 1))
  sqlite3 -cmd ".timeout 5000" "$DB" "UPDATE limits SET max_in_flight = $v WHERE provider = 'figure'"
  echo "$v $(date +%s%3N)" >> "$DIR/edits"
  sleep $(echo "$MEASURE / $EDITS" | bc -l)
done
CPU2=$(cpu "$APP"); RSS2=$(rss "$APP"); T2=$(date +%s%N)
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$APP/status")
kill "$APP"; wait "$XVFB" 2>/dev/null || true
kill "$DEMO"; wait "$DEMO" 2>/dev/null || true

TCK=$(getconf CLK_TCK)
awk -v c1="$CPU1" -v c2="$CPU2" -v t1="$T1" -v t2="$T2" -v tck="$TCK" -v r1="$RSS1" -v r2="$RSS2" -v hwm="$HWM" 'BEGIN {
  secs = (t2 - t1) / 1e9
  printf "idle on a busy database for %.0f s: CPU %.1f %% of one core, RSS %d -> %d MiB (peak %d MiB)\n",
    secs, 100 * (c2 - c1) / tck / secs, r1 / 1024, r2 / 1024, hwm / 1024 }'
# change -> screen: first "applied" line showing figure=v, minus the end of the sqlite3 commit
while read -r v t; do
  a=$(grep -m1 "figure=$v[],]" "$DIR/app.err" | awk '{print $3}')
  [ -n "$a" ] && echo $((a - t))
done < "$DIR/edits" | sort -n | awk '{ d[NR] = $1 } END {
  printf "change -> screen over %d hand edits: median %d ms, p90 %d ms, max %d ms\n",
    NR, d[int((NR + 1) / 2)], d[int(NR * 0.9 + 0.5)], d[NR] }'
echo "demo during the minute: $(grep -c . "$DIR/app.err") snapshots applied by the app"
rm -rf "$DIR"

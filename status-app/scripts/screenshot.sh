#!/usr/bin/env bash
# Takes docs/status-app.png: the demo with its window under Xvfb, captured after SECONDS_IN
# seconds so the charts have some history. Needs xvfb and imagemagick (apt-get install xvfb
# imagemagick libgtk-3-0). Run from the repository root after `mvn -pl status-app -am package`.
set -euo pipefail
SECONDS_IN=${SECONDS_IN:-100}
OUT=${1:-docs/status-app.png}
HOME_DIR=$(mktemp -d)
mvn -B -ntp -q -pl status-app dependency:build-classpath -Dmdep.outputFile="$HOME_DIR/cp.txt" >/dev/null
CP="$(cat "$HOME_DIR/cp.txt"):status-app/target/classes"
xvfb-run -a -s "-screen 0 1280x720x24" bash -c "
  java -cp '$CP' dev.inflight.app.Main demo --home '$HOME_DIR' --agents 8 --duration $((SECONDS_IN + 10))s &
  sleep $SECONDS_IN
  import -window root '$OUT'
  wait"
rm -rf "$HOME_DIR"
echo "wrote $OUT"

#!/usr/bin/env bash
# Takes docs/status-app.png: the demo with its window under Xvfb, captured after SECONDS_IN
# seconds so the charts have some history. Needs xvfb, imagemagick and sqlite3 (apt-get install
# xvfb imagemagick libgtk-3-0 sqlite3). Run from the repository root after
# `mvn -pl status-app -am install`.
#
#   SCREEN=800x600 status-app/scripts/screenshot.sh /tmp/small.png   a smaller screen (the window
#                                                                     fills it)
#   PROVIDERS=30 status-app/scripts/screenshot.sh /tmp/many.png       more providers (idle limits
#                                                                     added beside the demo's 3)
#
# JavaFX goes on the module path (the supported way: no "Unsupported JavaFX configuration"
# warning); the window's remembered place is kept in a throw-away preferences root.
set -euo pipefail
SECONDS_IN=${SECONDS_IN:-100}
SCREEN=${SCREEN:-1280x720}
PROVIDERS=${PROVIDERS:-3}
OUT=${1:-docs/status-app.png}
HOME_DIR=$(mktemp -d)
mvn -B -ntp -q -pl status-app dependency:build-classpath -DincludeScope=runtime \
  -Dmdep.outputFile="$HOME_DIR/cp.txt" >/dev/null
MP=$(tr ':' '\n' <"$HOME_DIR/cp.txt" | grep '/org/openjfx/.*-linux\.jar$' | paste -sd:)
CP="$(tr ':' '\n' <"$HOME_DIR/cp.txt" | grep -v '/org/openjfx/' | paste -sd:):status-app/target/classes"
JAVA_OPTS="--module-path $MP --add-modules javafx.controls,javafx.swing -Djava.util.prefs.userRoot=$HOME_DIR/prefs"
EXTRA=""
for i in $(seq 4 "$PROVIDERS"); do
  EXTRA+="INSERT OR REPLACE INTO limits(provider, max_in_flight, cooldown_ms, paused) VALUES ('provider-$i', $((1 + i % 4)), 0, 0);"
done
xvfb-run -a -s "-screen 0 ${SCREEN}x24" bash -c "
  java $JAVA_OPTS -cp '$CP' dev.inflight.app.Main demo --home '$HOME_DIR' --agents 8 --duration $((SECONDS_IN + 10))s &
  if [ -n \"$EXTRA\" ]; then
    sleep 4
    sqlite3 -cmd '.timeout 5000' '$HOME_DIR/limiter.db' \"$EXTRA\"
  fi
  sleep $SECONDS_IN
  import -window root '$OUT'
  wait"
rm -rf "$HOME_DIR"
echo "wrote $OUT"

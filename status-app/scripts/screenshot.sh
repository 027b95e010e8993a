#!/usr/bin/env bash
# Takes docs/status-app.png: the demo with its window under Xvfb, captured after SECONDS_IN
# seconds so the charts have some history. Needs xvfb, imagemagick, xdotool and sqlite3 (apt-get
# install xvfb imagemagick xdotool libgtk-3-0 sqlite3). Run from the repository root after
# `mvn -pl status-app -am install`.
#
#   SCREEN=800x600 status-app/scripts/screenshot.sh /tmp/small.png   a smaller screen (the window
#                                                                     fills any screen)
#   PROVIDERS=30 status-app/scripts/screenshot.sh /tmp/many.png       more providers (idle limits
#                                                                     added beside the demo's 3)
#   THEME=dark status-app/scripts/screenshot.sh /tmp/dark.png         the dark theme (GTK_THEME
#                                                                     names it, as a desktop would)
#   PAUSE_429=openai status-app/scripts/screenshot.sh /tmp/429.png    a 429 reported for openai
#                                                                     (Retry-After 5m) 2 s before
#                                                                     the capture: the shot shows
#                                                                     the pause while the leases
#                                                                     held then are still held
#
# JavaFX goes on the module path (the supported way: no "Unsupported JavaFX configuration"
# warning); the window's remembered place is kept in a throw-away preferences root.
set -euo pipefail
SECONDS_IN=${SECONDS_IN:-100}
SCREEN=${SCREEN:-1280x720}
PROVIDERS=${PROVIDERS:-3}
THEME=${THEME:-light}
PAUSE_429=${PAUSE_429:-}
case $THEME in
  light) GTK=Adwaita ;;
  dark) GTK=Adwaita:dark ;;
  *) echo "THEME must be light or dark (was \"$THEME\")" >&2; exit 2 ;;
esac
OUT=${1:-docs/status-app.png}
HOME_DIR=$(mktemp -d)
mvn -B -ntp -q -pl status-app dependency:build-classpath -DincludeScope=runtime \
  -Dmdep.outputFile="$HOME_DIR/cp.txt" >/dev/null
MP=$(tr ':' '\n' <"$HOME_DIR/cp.txt" | grep '/org/openjfx/.*-linux\.jar$' | paste -sd:)
CP="$(tr ':' '\n' <"$HOME_DIR/cp.txt" | grep -v '/org/openjfx/' | paste -sd:):status-app/target/classes"
JAVA_OPTS="--module-path $MP --add-modules javafx.controls,javafx.swing -Djava.util.prefs.userRoot=$HOME_DIR/prefs"
# The window fills the screen (as a saved place from an earlier start would have it; the app fits
# it to the screen), so a larger screen shows the layout at that size rather than a border.
printf 'x=0\ny=0\nwidth=%s\nheight=%s\n' "${SCREEN%x*}" "${SCREEN#*x}" >"$HOME_DIR/app-window.properties"
EXTRA=""
for i in $(seq 4 "$PROVIDERS"); do
  EXTRA+="INSERT OR REPLACE INTO limits(provider, max_in_flight, cooldown_ms, paused) VALUES ('provider-$i', $((1 + i % 4)), 0, 0);"
done
GTK_THEME=$GTK xvfb-run -a -s "-screen 0 ${SCREEN}x24" bash -c "
  java $JAVA_OPTS -cp '$CP' dev.inflight.app.Main demo --home '$HOME_DIR' --agents 8 --duration $((SECONDS_IN + 130))s &
  # SECONDS_IN counts from the window's first appearance: on a loaded machine the JVM and JavaFX
  # alone can take many seconds to start.
  for _ in \$(seq 1 240); do
    xdotool search --name 'inflight status' >/dev/null 2>&1 && break
    sleep 0.5
  done
  if [ -n \"$EXTRA\" ]; then
    sleep 4
    sqlite3 -cmd '.timeout 5000' '$HOME_DIR/limiter.db' \"$EXTRA\"
  fi
  if [ -n \"$PAUSE_429\" ]; then
    sleep $((SECONDS_IN > 2 ? SECONDS_IN - 2 : 0))
    bin/inflight report-429 '$PAUSE_429' --retry-after 5m --home '$HOME_DIR' >/dev/null
    sleep 2
  else
    sleep $SECONDS_IN
  fi
  xdotool mousemove 0 0 # the pointer off the buttons: no hover highlight in the shot
  import -window root '$OUT'
  kill \$(jobs -p) 2>/dev/null
  wait"
rm -rf "$HOME_DIR"
echo "wrote $OUT"

#!/usr/bin/env bash
# Retakes the README's set of screenshots into docs/: the demo with 3 and with 30 providers, on
# 800x600 and 1600x1000 screens, in the light and the dark theme, each during a 429 pause of
# openai (reported a few seconds before the capture). One shot after another (each has its own
# Xvfb and throw-away home), SECONDS_IN seconds each (default 30). Needs what screenshot.sh needs;
# run from the repository root after `mvn -pl status-app -am install`.
#
#   status-app/scripts/screenshots.sh          writes docs/status-{3,30}-{800x600,1600x1000}-{light,dark}.png
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SECONDS_IN=${SECONDS_IN:-30}
for providers in 3 30; do
  for screen in 800x600 1600x1000; do
    for theme in light dark; do
      out=docs/status-$providers-$screen-$theme.png
      PROVIDERS=$providers SCREEN=$screen THEME=$theme PAUSE_429=openai "$HERE/screenshot.sh" "$out"
      # An 8-bit palette keeps the PNGs small; the window is flat colour and text.
      convert "$out" -strip -colors 256 "PNG8:$out"
    done
  done
done

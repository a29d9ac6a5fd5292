#!/bin/sh
# The staff-page tests drive Debian's Chromium through Playwright (Playwright's own browser
# download cannot work offline). Install it where we can (root + apt-get), explain otherwise.
set -e
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium (Debian package chromium) for the browser tests..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x /usr/bin/chromium ] && exit 0
fi
echo "The browser tests need Chromium at /usr/bin/chromium." >&2
echo "  Debian/Ubuntu: sudo apt-get install -y chromium" >&2
exit 1

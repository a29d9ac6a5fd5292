#!/bin/sh
# DynamoDB Local needs Java 17+. Install it where we can (root + apt-get), explain otherwise.
set -e
ok() { java -version 2>&1 | head -1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; }
if command -v java >/dev/null 2>&1 && ok; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Java (default-jre-headless) for DynamoDB Local..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
  ok && exit 0
fi
echo "DynamoDB Local needs Java 17 or newer, and it was not found." >&2
echo "  Debian/Ubuntu: sudo apt-get install -y default-jre-headless" >&2
echo "  macOS:         brew install openjdk@17" >&2
echo "  elsewhere:     a Temurin 17+ JDK/JRE from https://adoptium.net" >&2
exit 1

#!/usr/bin/env bash
# Sourced by the other scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Keeps a JAVA_HOME that is already >= 21, else picks the newest JDK >= 21 under /usr/lib/jvm.

java_major() { # prints the major version of the JDK at $1, or 0
  local release="$1/release"
  [ -x "$1/bin/javac" ] && [ -f "$release" ] || { echo 0; return; }
  local v
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  echo "${v:-0}"
}

if [ -n "${JAVA_HOME:-}" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ]; then
  :
else
  best="" best_major=0
  for jdk in /usr/lib/jvm/*; do
    [ -d "$jdk" ] || continue
    major=$(java_major "$jdk")
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$jdk" best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "userstream needs a JDK 21 or newer: set JAVA_HOME to one, or install one under /usr/lib/jvm" >&2
    exit 1
  fi
  export JAVA_HOME="$best"
fi
export PATH="$JAVA_HOME/bin:$PATH"
# Java 23+ warns about sun.misc.Unsafe use in protobuf and Maven's Guice; the flag that silences it
# does not exist before 23.
if [ "$(java_major "$JAVA_HOME")" -ge 23 ]; then
  export USERSTREAM_JVM_FLAGS="--sun-misc-unsafe-memory-access=allow"
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
else
  export USERSTREAM_JVM_FLAGS=""
fi

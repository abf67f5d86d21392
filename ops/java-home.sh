#!/usr/bin/env bash
# Sourced by the other scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Keeps a JAVA_HOME that is already >= 21, else picks the newest JDK >= 21 among the javac on PATH,
# /usr/lib/jvm and (macOS) /Library/Java/JavaVirtualMachines; says what it found when none is new enough.

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
  # Candidates: the JDK of the javac on PATH, Debian's /usr/lib/jvm and macOS's JavaVirtualMachines.
  path_jdk=""
  if command -v javac >/dev/null; then
    path_jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)" 2>/dev/null || command -v javac)")")
  fi
  best="" best_major=0 found=""
  for jdk in ${JAVA_HOME:+"$JAVA_HOME"} ${path_jdk:+"$path_jdk"} /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$jdk" ] || continue
    case "$found " in *" $jdk ("*) continue ;; esac # the javac on PATH is often one of the others
    major=$(java_major "$jdk")
    [ "$major" -gt 0 ] && found="$found $jdk (Java $major)"
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$jdk" best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "userstream needs a JDK 21 or newer (a full JDK, with javac), and found:${found:- none}." >&2
    echo "Install one (e.g. Eclipse Temurin 21 or 25; Debian 12's own openjdk-17 is too old) and set" \
         "JAVA_HOME to it, or put it under /usr/lib/jvm." >&2
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

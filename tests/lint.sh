#!/usr/bin/env bash
# make lint: banned C functions (curl's list) and cppcheck over the sources.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
srcs=$(git ls-files '*.c' '*.h' 2>/dev/null || find src generators privacy validation api infra tests -name '*.[ch]')
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\('
if grep -nE "$banned" $srcs; then
  echo "lint: banned function used (use snprintf, memcpy, strtol-based parsers)"; status=1
fi
# Raw allocation outside the wrapper (tests and fuzzers may use libc directly).
if grep -nE '\b(malloc|calloc|realloc|strdup)[[:space:]]*\(' $(echo "$srcs" | tr ' ' '\n' | grep -vE '^tests/|src/alloc\.c') \
     | grep -vE 'synth_(malloc|calloc|realloc|strdup)|_func|\(\*|/\*|^\s*\*'; then
  echo "lint: allocate through src/alloc.h (synth_malloc and friends)"; status=1
fi
if command -v cppcheck >/dev/null; then
  cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability --inline-suppr \
    --suppress=missingIncludeSystem -Isrc -Igenerators src generators || status=1
else
  echo "lint: cppcheck not installed, skipped"
fi
[ $status -eq 0 ] && echo "lint: ok"
exit $status

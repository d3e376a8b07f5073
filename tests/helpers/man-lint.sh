#!/bin/sh
# man-lint.sh PAGE...: mandoc -Tlint at the style level, less the messages
# that depend on which pages this machine has installed: "referenced manual
# not found" for an .Xr to a page that is not installed, and notes about
# mandoc.db. Prints what remains and exits 1 if anything does. Used by
# tests/docs.bats and .ci/run, so both lint the same way everywhere.
set -u
[ $# -ge 1 ] || { echo "usage: man-lint.sh PAGE..." >&2; exit 2; }
command -v mandoc >/dev/null 2>&1 || { echo "man-lint.sh: mandoc is not installed" >&2; exit 2; }
# mandoc writes its messages to stdout and its database complaints to
# stderr: read apart, or a stderr line lands inside a 4 KiB block of stdout
# and splits a message where no pattern finds it
err=$(mktemp) || exit 2
trap 'rm -f "$err"' EXIT
out=$({ mandoc -Tlint -W style "$@" 2>"$err"; cat "$err"; } |
	grep -v -e ': STYLE: referenced manual not found: ' -e 'mandoc\.db')
[ -z "$out" ] && exit 0
printf '%s\n' "$out"
exit 1

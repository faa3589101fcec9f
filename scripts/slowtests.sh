#!/usr/bin/env bash
# Where the test time goes: the slowest packages and tests of `go test -json`
# output (one or more files; `make test` keeps its steps' files with
# TEST_JSON_DIR=DIR, or run `go test -json ./internal/x/ > x.json`).
#
#   scripts/slowtests.sh [-n N] [-s] FILE.json...
#     -n N   how many rows (default 30)
#     -s     count subtests too (default: top-level tests only, whose time
#            already holds their subtests')
#
# Elapsed is wall time as go test reports it: a test that waits (a browser,
# fsync, a sleep) looks as slow as one that computes; time a package with
# `/usr/bin/time -v go test -count=1 ./internal/x/` for user+sys beside wall.
# It does not run anything itself, so it is safe while other work runs.
set -euo pipefail

N=30
SUB=false
while getopts "n:s" o; do
	case "$o" in
	n) N=$OPTARG ;;
	s) SUB=true ;;
	*)
		echo "usage: $0 [-n N] [-s] FILE.json..." >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || {
	echo "usage: $0 [-n N] [-s] FILE.json..." >&2
	exit 2
}

echo "== packages (wall seconds, as go test reports them)"
# a line that is not JSON (a build error's text) is skipped, not fatal
jq -R -r 'fromjson? | select(.Test == null and (.Action == "pass" or .Action == "fail") and .Elapsed != null)
	| "\(.Elapsed)\t\(.Action)\t\(.Package | sub("^hotline/"; ""))"' "$@" |
	sort -t$'\t' -k1,1 -g -r | head -n "$N" | awk -F'\t' '{ printf "%8.1f  %-4s  %s\n", $1, $2, $3 }'

echo
if $SUB; then
	echo "== tests and subtests"
else
	echo "== top-level tests"
fi
jq -R -r --argjson sub "$SUB" 'fromjson? | select(.Test != null and (.Action == "pass" or .Action == "fail" or .Action == "skip"))
	| select($sub or (.Test | contains("/") | not))
	| "\(.Elapsed)\t\(.Action)\t\(.Package | sub("^hotline/"; ""))\t\(.Test)"' "$@" |
	sort -t$'\t' -k1,1 -g -r | head -n "$N" | awk -F'\t' '{ printf "%8.2f  %-4s  %-44s %s\n", $1, $2, $3, $4 }'

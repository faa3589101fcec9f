#!/usr/bin/env bash
# The project's one test command (`make test`, and .ci/run in CI).
#
#   scripts/test.sh          full: go vet, gofmt, staticcheck, Chromium, a private
#                            PostgreSQL, go test -race -short $RACE_PKGS (and
#                            the API's racing-actions tests beside it), then
#                            go test on the other packages and on the tests of
#                            $RACE_PKGS that the race step skipped
#   scripts/test.sh quick    go vet, gofmt, go test ./... on SQLite only (no PG, no browser)
#   scripts/test.sh lint     go vet, gofmt, staticcheck
#
# Environment the Go tests see (full mode):
#   HOTLINE_TEST_PG   postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#                     (superuser, trust auth; tests create their own databases on it)
#   HOTLINE_CHROMIUM  path of a working Chromium (run it with --headless --no-sandbox)
#   HOTLINE_DATA      absolute path of ../shared/data, when that folder exists
#   HOTLINE_TEST_BIN_DIR  a folder that outlives the run, for binaries a test
#                     builds itself (.cache/test-bin; unset with TEST_BIN_CACHE=0)
# In quick mode HOTLINE_TEST_PG and HOTLINE_CHROMIUM are unset.
#
# Knobs: RACE_PKGS (default: the packages that hold the concurrency — see below),
#        TEST_TIMEOUT (15m), RACE_TIMEOUT (15m),
#        TEST_JSON_DIR (keep each step's `go test -json` there, for
#        scripts/slowtests.sh: which tests and packages take the time),
#        TEST_TMPFS (1: the tests' temporary files — SQLite databases, the
#        private PostgreSQL cluster — go to a folder in /dev/shm when it is a
#        tmpfs with 2 GB free, and the cluster runs with fsync=off; 0: on disk),
#        TEST_BIN_CACHE (1: keep the test binaries in .cache/test-bin/ and
#        link only those whose code changed; 0: link every one afresh).
# With CI=true a missing browser or PostgreSQL fails the run instead of being skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)

MODE=${1:-full}
case "$MODE" in
full | quick | lint) ;;
*)
	echo "usage: $0 [full|quick|lint]" >&2
	exit 2
	;;
esac

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOTESTSUM=gotest.tools/gotestsum@v1.13.0
# The race detector runs on the packages whose own code is concurrent: the
# store (group commit, two pools), the service (sweepers racing across two
# instances), the feed's outbox workers, the calendar and segmenter caches,
# the order domain and auth's throttle, plus the API's racing-actions test.
# The end-to-end packages (web, portal, open311, importer, durability, intel)
# drive that same code through HTTP; under -race they cost minutes each and
# find nothing the packages below do not. RACE_PKGS=./internal/... runs all.
# make test runs these packages' tests once, under -race at -short sizes;
# only the tests the race step skips run again, plainly (plain_and_skipped).
# The order is the order go test starts them in (issue 13). The feed comes
# first: its outbox tests run one at a time, mostly waiting on polls, leases
# and a slow receiver (~35 s); third in the list, it started when store and
# service were done and ran alone for the step's last 14 s. textproc comes
# next because its quality tests are the longest of those the race step
# skips, and the later step runs those packages in the order their skips
# were seen (skipped_tests).
RACE_PKGS=${RACE_PKGS:-./internal/feed/... ./internal/textproc/... ./internal/store/... ./internal/service/... ./internal/calendar/... ./internal/order/... ./internal/auth/...}
TEST_TIMEOUT=${TEST_TIMEOUT:-15m}
# Flags of every go test step. -vet=off: go test runs a subset of vet's
# checks on each package it tests, and the "go vet" step has just run all of
# them on every package. -ldflags=-s: no symbol table in the test binaries
# (go test already leaves out DWARF); stack traces, panics and the race
# detector's reports read the pclntab, which stays. Linking the 44 test
# binaries of ./... took 70 s of CPU with it and 48 s without (issue 13).
GO_TEST_FLAGS=(-count=1 -vet=off -ldflags=-s)
RACE_TIMEOUT=${RACE_TIMEOUT:-15m}

# keep_bins BUILD PKG...: sets BIN_OUT to the -o flag that keeps the test
# binaries of PKGS in .cache/test-bin/BUILD/ (ignored by git and go ./...).
# go test links a package's test binary on every run, even when nothing in
# it changed (its link is not cached); with -o, the binary has a fixed
# place, and go, finding there one with the build ID it would link, runs it
# as it is (cmd/go's build-ID check, as for go install). Linking the ~50
# binaries of a make test costs ~100 s of CPU (issue 13). One folder per
# build (race, plain): a package's race and plain binaries differ, and
# would relink each other in one. Nothing when TEST_BIN_CACHE=0 or the
# folder cannot be made (a read-only tree), or when two of PKGS would
# write the same NAME.test (go test refuses that).
BIN_OUT=()
unset HOTLINE_TEST_BIN_DIR
if [ "${TEST_BIN_CACHE:-1}" = 1 ] && mkdir -p "$ROOT/.cache/test-bin" 2>/dev/null; then
	export HOTLINE_TEST_BIN_DIR=$ROOT/.cache/test-bin
fi
keep_bins() {
	BIN_OUT=()
	[ -n "${HOTLINE_TEST_BIN_DIR:-}" ] || return 0
	local dir=$HOTLINE_TEST_BIN_DIR/$1 dup
	shift
	dup=$(go list "$@" 2>/dev/null | awk -F/ '{ n[$NF]++ } END { for (k in n) if (n[k] > 1) print k }')
	if [ -n "$dup" ]; then
		echo "(more than one package named" $dup "here: this step links its test binaries afresh)"
		return 0
	fi
	mkdir -p "$dir" || return 0
	BIN_OUT=(-o "$dir/")
}
IN_CI=false
case "${CI:-}" in true | 1 | yes) IN_CI=true ;; esac

export DEBIAN_FRONTEND=noninteractive
# go needs a HOME (for its caches) even in a stripped CI environment
if [ -z "${HOME:-}" ]; then
	HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
	export HOME=${HOME:-/tmp}
fi

# ---------------------------------------------------------------- bookkeeping
SUMMARY=()
FAILED=0
TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
COUNTED=false
STEP_INFO=""
STEP_RC=0
RACE_RC=1
PG_DIR=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hotline-test.XXXXXX")
T0=$SECONDS

hr() { echo "------------------------------------------------------------------"; }
section() {
	echo
	hr
	echo "== $*"
	hr
}
banner() {
	echo
	echo "##################################################################"
	echo "##"
	echo "##  $*"
	echo "##"
	echo "##################################################################"
	echo
}
note() { SUMMARY+=("$(printf '%-5s %s' "$1" "$2")"); }

# step NAME CMD...: run CMD, record PASS/FAIL with its time, keep going on failure.
step() {
	local name=$1
	shift
	section "$name"
	local t=$SECONDS rc=0
	STEP_INFO=""
	"$@" || rc=$?
	STEP_RC=$rc
	record "$name" "$rc" "$((SECONDS - t))s"
	return 0
}

# record NAME RC TIME: notes a step's PASS or FAIL (with STEP_INFO).
record() {
	if [ "$2" -eq 0 ]; then
		note PASS "$1 ($3)$STEP_INFO"
	else
		note FAIL "$1 ($3, exit $2)$STEP_INFO"
		FAILED=1
		echo ">>> FAILED: $1 (exit $2)"
	fi
}

# need_or_skip WHAT: something the full run needs is missing.
need_or_skip() {
	if $IN_CI; then
		banner "SKIPPED: $1 -- CI=true, so this run FAILS"
		note FAIL "$1: not available (CI=true)"
		FAILED=1
	else
		banner "SKIPPED: $1"
		note SKIP "$1: not available"
	fi
}

# pg_cpu notes the CPU the private PostgreSQL's processes used (its
# backends', reaped by the postmaster, are in its children's times): time -v
# around make test does not see it, the server being a daemon, and it is a
# fair share of the suite's CPU.
pg_cpu() {
	local pid
	pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
	[ -r "/proc/$pid/stat" ] || return 0
	local cpu
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13 + $14 + $15) / hz }' "/proc/$pid/stat") || return 0
	note INFO "postgres used ${cpu}s of CPU"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${BESIDE_PID:-}" ]; then kill "$BESIDE_PID" 2>/dev/null || true; fi
	if [ -n "$PG_DIR" ]; then
		pg_cpu
		"$ROOT/scripts/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || "$ROOT/scripts/pg.sh" stop "$PG_DIR" || true
	fi
	if [ -n "${TEST_JSON_DIR:-}" ]; then
		mkdir -p "$TEST_JSON_DIR" && cp "$WORK"/*.json "$TEST_JSON_DIR"/ 2>/dev/null || true
	fi
	rm -rf "$WORK"
	if [ -n "$TMPFS_DIR" ]; then rm -rf "$TMPFS_DIR"; fi
	echo
	hr
	echo "== SUMMARY ($MODE, $((SECONDS - T0))s)"
	hr
	local line
	for line in "${SUMMARY[@]}"; do echo "  $line"; done
	if [ "$rc" -eq 0 ] && [ "$FAILED" -ne 0 ]; then rc=1; fi
	if [ "$rc" -eq 0 ]; then echo "RESULT: OK"; else echo "RESULT: FAILED (exit $rc)"; fi
	if $COUNTED; then
		echo "tests: $TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# ---------------------------------------------------------------- steps
# use_tmpfs: the tests' databases live in memory (issue 13). The full run
# wrote 4.6 GB and waited on ~1.7 ms fsyncs for every commit of every test
# (SQLite at synchronous=FULL, PostgreSQL's WAL), while both cores were busy
# only 57% of the time. On tmpfs an fsync returns at once; the databases are
# the same real SQLite and PostgreSQL, and the crash tests (SIGKILL of the
# server) still see exactly what the process had committed, since a killed
# process's writes are in the page cache either way. Only a power cut would
# tell the difference, and no test can cut the power.
TMPFS_DIR=""
use_tmpfs() {
	[ "${TEST_TMPFS:-1}" = 1 ] || return 0
	[ -d /dev/shm ] && [ -w /dev/shm ] || return 0
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || return 0
	local free
	free=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	[ -n "$free" ] && [ "$free" -ge 2097152 ] || return 0
	TMPFS_DIR=$(mktemp -d /dev/shm/hotline-tmp.XXXXXX) || return 0
	# go test runs its test binaries from TMPDIR: a noexec mount cannot serve
	printf '#!/bin/sh\nexit 0\n' >"$TMPFS_DIR/x" && chmod +x "$TMPFS_DIR/x"
	if ! "$TMPFS_DIR/x" 2>/dev/null; then
		rm -rf "$TMPFS_DIR"
		TMPFS_DIR=""
		return 0
	fi
	rm -f "$TMPFS_DIR/x"
	# like /tmp: the cluster's owner (postgres) must reach its folder in it
	chmod 1777 "$TMPFS_DIR"
	export TMPDIR=$TMPFS_DIR
	export PG_NO_FSYNC=1
	echo "TMPDIR=$TMPDIR (tmpfs: test databases in memory; PostgreSQL with fsync=off)"
	note INFO "tmpfs: $TMPDIR"
}

go_files() {
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		# tracked files plus new, not-ignored ones (the same set on a clean clone)
		git -C "$ROOT" ls-files -z --cached --others --exclude-standard -- '*.go' |
			while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done
	else
		find . -name '*.go' -not -path './vendor/*' -print0
	fi
}

check_gofmt() {
	local bad
	bad=$(go_files | xargs -0 -r gofmt -l) || return 1
	if [ -n "$bad" ]; then
		echo "gofmt would reformat these files (run: make fmt):"
		printf '  %s\n' $bad
		return 1
	fi
	echo "all Go files are gofmt-clean"
}

run_staticcheck() {
	go run "$STATICCHECK" ./...
}

# Chromium: set HOTLINE_CHROMIUM to a browser that can really start headless.
# Unless HOTLINE_CHROMIUM names one: chromium-headless-shell, else chromium
# (testenv.Chromium looks in the same order). The headless shell is Debian's
# Chromium of the same version built for automation, without the desktop
# browser around it: the same engine, service workers, IndexedDB and
# printing, and internal/web's browser tests took a third of the CPU with it
# (58 s against 163 s of the machine's; issue 13). Run as root with apt-get,
# it is installed when there is no browser at all, and in CI when only
# chromium is there; chromium is installed if it cannot be.
setup_chromium() {
	local bin=${HOTLINE_CHROMIUM:-}
	if [ -z "$bin" ]; then
		local shell=/usr/bin/chromium-headless-shell full=/usr/bin/chromium
		if [ ! -x "$shell" ] && { [ ! -x "$full" ] || $IN_CI; } && [ "$(id -u)" -eq 0 ] &&
			command -v apt-get >/dev/null 2>&1; then
			echo "no $shell; installing chromium-headless-shell and fonts-noto-cjk with apt-get (log: $WORK/apt.log)"
			{ apt_update &&
				apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium-headless-shell fonts-noto-cjk </dev/null; } \
				>"$WORK/apt.log" 2>&1 || [ -x "$full" ] ||
				apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium fonts-noto-cjk </dev/null >>"$WORK/apt.log" 2>&1 ||
				apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium </dev/null >>"$WORK/apt.log" 2>&1 ||
				tail -n 30 "$WORK/apt.log"
		fi
		bin=$full
		[ -x "$shell" ] && bin=$shell
		if [ "$bin" = "$full" ] && [ -x "$full" ]; then
			echo "(chromium-headless-shell is not installed: the browser tests use chromium, with about three times the CPU)"
		fi
	fi
	if [ ! -x "$bin" ]; then
		unset HOTLINE_CHROMIUM
		need_or_skip "browser tests (no chromium at $bin)"
		return 0
	fi
	"$bin" --version 2>/dev/null || true
	local out
	out=$(timeout -k 5 60 "$bin" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--disable-background-networking --disable-component-update --no-first-run \
		--user-data-dir="$WORK/chromium-profile" --dump-dom about:blank 2>"$WORK/chromium.err" </dev/null) || true
	if [[ "$out" != *"<body>"* ]]; then
		tail -n 20 "$WORK/chromium.err" || true
		unset HOTLINE_CHROMIUM
		need_or_skip "browser tests (chromium at $bin does not start headless)"
		return 0
	fi
	export HOTLINE_CHROMIUM=$bin
	echo "HOTLINE_CHROMIUM=$HOTLINE_CHROMIUM (headless smoke test OK)"
	note INFO "chromium: $HOTLINE_CHROMIUM"
}

APT_UPDATED=false
apt_update() {
	$APT_UPDATED && return 0
	apt-get -o DPkg::Lock::Timeout=300 update -q </dev/null || return 1
	APT_UPDATED=true
	export HOTLINE_APT_UPDATED=1
}

# start_postgres_bg: initdb and start the private cluster in the background
# while vet and staticcheck run (it mostly waits on the disk); setup_postgres
# collects it. PG_DIR is set at once so the EXIT trap stops it in any case.
PG_BG=""
start_postgres_bg() {
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hotline-pg.XXXXXX")
	"$ROOT/scripts/pg.sh" start "$PG_DIR" </dev/null >"$WORK/pg.out" 2>"$WORK/pg.err" &
	PG_BG=$!
}

setup_postgres() {
	local out rc=0
	if [ -n "$PG_BG" ]; then
		wait "$PG_BG" || rc=$?
		PG_BG=""
		cat "$WORK/pg.err" >&2
		out=$(cat "$WORK/pg.out")
	else
		PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hotline-pg.XXXXXX")
		out=$("$ROOT/scripts/pg.sh" start "$PG_DIR" </dev/null) || rc=$?
	fi
	local url=${out##*$'\n'}
	if [ "$rc" -ne 0 ] || [[ "$url" != postgres://* ]]; then
		"$ROOT/scripts/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
		PG_DIR=""
		unset HOTLINE_TEST_PG
		need_or_skip "PostgreSQL tests (scripts/pg.sh start failed, exit $rc)"
		return 0
	fi
	export HOTLINE_TEST_PG=$url
	echo "HOTLINE_TEST_PG=$HOTLINE_TEST_PG"
	note INFO "postgres: $HOTLINE_TEST_PG"
}

setup_data() {
	if [ -n "${HOTLINE_DATA:-}" ]; then
		echo "HOTLINE_DATA=$HOTLINE_DATA (from the environment)"
	elif [ -d "$ROOT/../shared/data" ]; then
		HOTLINE_DATA=$(cd "$ROOT/../shared/data" && pwd -P)
		export HOTLINE_DATA
		echo "HOTLINE_DATA=$HOTLINE_DATA"
	else
		echo "no ../shared/data next to the repo: tests that need real data will skip"
	fi
	note INFO "data: ${HOTLINE_DATA:-(none)}"
}

# gotestsum prints one line per package and the output of failing tests; it only
# wraps `go test -json`. Built once into a cache folder; plain go test if it can't be had.
TESTSUM=""
setup_gotestsum() {
	local dir="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/hotline-tools/${GOTESTSUM##*@}"
	if [ ! -x "$dir/gotestsum" ]; then
		mkdir -p "$dir"
		GOBIN=$dir go install "$GOTESTSUM" >&2 || {
			echo "(could not build gotestsum; using plain go test)" >&2
			return 0
		}
	fi
	TESTSUM=$dir/gotestsum
}

# count_results JSONFILE: prints "passed failed skipped" over tests and subtests; a
# package that failed without a failing test (build error, panic, timeout) counts as one.
count_results() {
	awk '
	/"Action":"(pass|fail|skip)"/ {
		match($0, /"Action":"[a-z]+"/); a = substr($0, RSTART + 10, RLENGTH - 11)
		pkg = ""; if (match($0, /"Package":"[^"]*"/)) pkg = substr($0, RSTART + 11, RLENGTH - 12)
		if ($0 ~ /"Test":"/) { n[a]++; if (a == "fail") ft[pkg] = 1 }
		else if (a == "fail") fp[pkg] = 1
	}
	END { x = 0; for (k in fp) if (!(k in ft)) x++; print n["pass"] + 0, n["fail"] + x, n["skip"] + 0 }
	' "$1" 2>/dev/null || echo "0 0 0"
}

# go_test LABEL GO-TEST-ARGS...: run the tests, add the counts to the totals.
go_test() {
	local label=$1 rc=0
	shift
	run_tests "$label" "$@" || rc=$?
	tally "$label" "$rc"
	return "$rc"
}

# run_tests LABEL GO-TEST-ARGS...: go test through gotestsum, which keeps
# the JSON in $WORK/LABEL.json (plain go test without gotestsum).
run_tests() {
	local label=$1
	shift
	if [ -n "$TESTSUM" ]; then
		"$TESTSUM" --format pkgname-and-test-fails --format-hide-empty-pkg \
			--jsonfile "$WORK/$label.json" -- "$@"
	else
		go test "$@"
	fi
}

# tally LABEL RC: adds LABEL's counts to the totals; a run that failed
# without a failing test (a build error) counts as one failure.
tally() {
	[ -n "$TESTSUM" ] || return 0
	local p f s
	read -r p f s < <(count_results "$WORK/$1.json")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	TOTAL_PASS=$((TOTAL_PASS + p))
	TOTAL_FAIL=$((TOTAL_FAIL + f))
	TOTAL_SKIP=$((TOTAL_SKIP + s))
	COUNTED=true
	echo "$1: $p passed, $f failed, $s skipped (tests and subtests)"
	STEP_INFO=": $p passed, $f failed, $s skipped"
}

# beside NAME LABEL GO-TEST-ARGS...: starts a go test step in the
# background, its output kept in a file, for the next step to run beside
# it; joined waits for it, prints its output and records it as step does.
BESIDE_PID=""
BESIDE_NAME=""
BESIDE_LABEL=""
BESIDE_T=0
beside() {
	BESIDE_NAME=$1 BESIDE_LABEL=$2
	shift 2
	BESIDE_T=$SECONDS
	run_tests "$BESIDE_LABEL" "$@" >"$WORK/$BESIDE_LABEL.out" 2>&1 </dev/null &
	BESIDE_PID=$!
}

joined() {
	[ -n "$BESIDE_PID" ] || return 0
	local rc=0
	wait "$BESIDE_PID" || rc=$?
	BESIDE_PID=""
	section "$BESIDE_NAME (beside the step before)"
	cat "$WORK/$BESIDE_LABEL.out"
	STEP_INFO=""
	tally "$BESIDE_LABEL" "$rc"
	record "$BESIDE_NAME" "$rc" "$((SECONDS - BESIDE_T))s beside"
}

# skipped_tests JSONFILE: the race step's skipped tests, as two lines: a
# -run pattern of their top-level names (^(TestA|TestB)$) and the packages
# they are in; nothing when no test was skipped. A skipped subtest brings
# its whole top-level test (the other subtests run twice; few do). The
# packages come in the order their first skip was seen, which is about the
# order the race step started them in: $RACE_PKGS' order.
skipped_tests() {
	awk '
	/"Action":"skip"/ && /"Test":"/ {
		match($0, /"Test":"[^"]*"/); name = substr($0, RSTART + 8, RLENGTH - 9); sub(/\/.*/, "", name)
		match($0, /"Package":"[^"]*"/); pkg = substr($0, RSTART + 11, RLENGTH - 12)
		if (!(name in seen)) { seen[name] = 1; names = names (names == "" ? "" : "|") name }
		if (!(pkg in pkgs)) { pkgs[pkg] = 1; plist = plist (plist == "" ? "" : " ") pkg }
	}
	END { if (names != "") { print "^(" names ")$"; print plist } }
	' "$1" 2>/dev/null
}

# not_run PATTERN JSONFILE: the names of PATTERN (^(TestA|TestB)$, as
# skipped_tests gives it) that JSONFILE's run did not pass, fail or skip —
# a test the race step skipped must not end up run nowhere.
not_run() {
	local names=${1#^(}
	names=${names%)\$}
	awk -v want="$names" '
	/"Action":"(pass|fail|skip)"/ && /"Test":"/ {
		match($0, /"Test":"[^"]*"/); name = substr($0, RSTART + 8, RLENGTH - 9); sub(/\/.*/, "", name)
		ran[name] = 1
	}
	END { n = split(want, w, "|"); for (i = 1; i <= n; i++) if (!(w[i] in ran)) print w[i] }
	' "$2" 2>/dev/null
}

# plain_and_skipped: the plain step — every package outside $RACE_PKGS in
# full, then the tests of $RACE_PKGS that the race step skipped. Without
# the race step's record of its skips (it failed, or no gotestsum wrote
# one), $RACE_PKGS run whole. The skipped tests run after, not beside: beside
# the plain step, their computing starved the browser tests (a field page's
# service worker not in control after 45 s, as with the whole race step
# beside it before).
plain_and_skipped() {
	local all races others run="" pkgs
	all=$(go list ./... | sort)
	# shellcheck disable=SC2086 # RACE_PKGS is a list of package patterns
	races=$(go list $RACE_PKGS | sort)
	others=$(comm -23 <(echo "$all") <(echo "$races"))
	pkgs=$races
	if [ "$RACE_RC" -eq 0 ] && [ -s "$WORK/race.json" ]; then
		local skipped
		skipped=$(skipped_tests "$WORK/race.json")
		run=${skipped%%$'\n'*}
		pkgs=${skipped#*$'\n'}
		[ -n "$skipped" ] || pkgs=""
	fi
	# internal/web first: its browser tests are the longest package by far
	# (~54 s of wall with the headless shell, 80 s with chromium), and go test
	# starts packages in the order named; last (alphabetical) it ran alone
	# at the end of the step.
	# shellcheck disable=SC2086 # a list of packages
	keep_bins plain ./internal/web $others
	# shellcheck disable=SC2086 # a list of packages
	step "go test ./... (but $RACE_PKGS)" go_test test "${GO_TEST_FLAGS[@]}" ${BIN_OUT[@]+"${BIN_OUT[@]}"} -timeout "$TEST_TIMEOUT" ./internal/web $others
	if [ -n "$pkgs" ]; then
		# shellcheck disable=SC2086 # a list of packages
		keep_bins plain $pkgs
		# shellcheck disable=SC2086 # a list of packages
		step "go test $RACE_PKGS: what the race step skipped" go_test skipped "${GO_TEST_FLAGS[@]}" ${BIN_OUT[@]+"${BIN_OUT[@]}"} -timeout "$TEST_TIMEOUT" ${run:+-run "$run"} $pkgs
		local missing
		if [ -n "$run" ] && [ -s "$WORK/skipped.json" ] && missing=$(not_run "$run" "$WORK/skipped.json") && [ -n "$missing" ]; then
			echo ">>> FAILED: the race step skipped these tests and the plain step did not run them:" $missing
			note FAIL "tests skipped under -race and run nowhere: $(echo $missing)"
			FAILED=1
		fi
	fi
}

# ---------------------------------------------------------------- run
section "hotline tests: mode=$MODE CI=${CI:-} root=$ROOT"
go version
echo "GOMAXPROCS/cores: $(nproc 2>/dev/null || echo ?)  RACE_PKGS=$RACE_PKGS"

if [ "$MODE" != lint ]; then use_tmpfs; fi
if [ "$MODE" = full ]; then start_postgres_bg; fi
step "go vet" go vet ./...
step "gofmt" check_gofmt

case "$MODE" in
lint)
	step "staticcheck" run_staticcheck
	;;
quick)
	unset HOTLINE_TEST_PG HOTLINE_CHROMIUM
	setup_data
	setup_gotestsum
	keep_bins plain ./...
	step "go test (quick, SQLite only)" go_test quick "${GO_TEST_FLAGS[@]}" ${BIN_OUT[@]+"${BIN_OUT[@]}"} ./...
	;;
full)
	step "staticcheck" run_staticcheck
	section "environment"
	setup_chromium
	setup_postgres
	setup_data
	setup_gotestsum
	# The race step comes first, with -short, and each test runs once:
	# - under -race, the packages that hold the concurrency ($RACE_PKGS),
	#   at -short sizes: what -race looks for (two goroutines touching the
	#   same memory) shows there too;
	# - then the plain step: every other package in full, and beside it, in
	#   $RACE_PKGS, exactly the tests the race step skipped (compute-only
	#   tests at full size: generated rollups, textproc's quality on the
	#   shared data, which cost ten times longer under -race and find
	#   nothing there; see testenv.SkipUnderRace).
	# Until December 2026 the plain step ran $RACE_PKGS whole as well, so
	# their 3,000 short tests ran twice; the second run found nothing the
	# first did not and cost ~40 s of CPU (issue 13, docs/benchmarks.md).
	# shellcheck disable=SC2086 # RACE_PKGS is a list of package patterns
	# Two dispatchers racing one action through the real server, under
	# -race, beside the race step: that step leaves a core idle now and
	# then (the feed's outbox tests wait on polls and leases), and the two
	# took 4-7 s less side by side than one after the other (issue 13).
	keep_bins race ./internal/api
	beside "go test -race -short (API races)" race-api "${GO_TEST_FLAGS[@]}" ${BIN_OUT[@]+"${BIN_OUT[@]}"} -race -short -timeout "$RACE_TIMEOUT" -run 'TestConcurrentActions|TestLifecycle' ./internal/api
	keep_bins race $RACE_PKGS
	# shellcheck disable=SC2086 # RACE_PKGS is a list of package patterns
	step "go test -race -short $RACE_PKGS" go_test race "${GO_TEST_FLAGS[@]}" ${BIN_OUT[@]+"${BIN_OUT[@]}"} -race -short -timeout "$RACE_TIMEOUT" $RACE_PKGS
	RACE_RC=$STEP_RC
	joined
	plain_and_skipped
	;;
esac
# the EXIT trap prints the summary and sets the exit code

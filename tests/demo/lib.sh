# tests/demo/lib.sh -- drive a running scripts/demo the way a person does;
# sourced by tests/demo/run (this machine) and tests/fresh/run (a fresh
# Debian 12 root).  Bash only; needs python3 on this machine for JSON.
#
# The caller sets:
#   DEMO_ROOT  "" for this machine, or the chroot the demo runs in
#   LABEL      the prefix of the pass/fail lines
# and calls, after starting the demo with demo_launch (or likewise):
#   demo_exercise PID LOG WAIT-SECONDS
# which waits for "liaisond is running", runs the printed curl commands,
# checks that the mail the digest curl causes is shown readably (decoded on
# the terminal, kept as pages under mail/), stops the demo with SIGINT and
# checks that it cleaned up.  Results are
# counted in $passed / $failed; demo_summary prints the last line.

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s: %s\n' "$LABEL" "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s: %s\n' "$LABEL" "$1"; }
demo_summary() { printf '%s: %d passed, %d failed\n' "$LABEL" "$passed" "$failed"; }

# Start COMMAND in a session of its own with SIGINT at its default: a
# background job of a script starts with SIGINT ignored, and bash cannot
# trap a signal ignored on entry, so the demo's Ctrl-C path would never run.
# Prints nothing; the pid is in $demo_pid.
demo_launch() {   # LOG COMMAND...
	local log=$1
	shift
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$@" </dev/null >"$log" 2>&1 &
	demo_pid=$!
}

# Run a command line as the demo's user would, on the demo's machine.
demo_shell() {   # COMMAND-LINE
	if [ -n "${DEMO_ROOT:-}" ]; then
		chroot "$DEMO_ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 /bin/bash -c "$1"
	else
		bash -c "$1"
	fi
}

# "PID STARTTIME COMM" of a process, or nothing when it is gone or a zombie
# (the start time tells a reused pid apart).  Builtins only: this runs for
# every process on the machine.
proc_id() {   # PID
	local stat rest comm
	{ IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	rest=${stat##*) }
	comm=${stat#*(}
	comm=${comm%)*}
	# shellcheck disable=SC2086 # split the fields: state is $1, starttime $20
	set -- "$1" $rest
	[ "$2" != Z ] || return 0
	printf '%s %s %s\n' "$1" "${21}" "$comm"
}
alive() {   # PID STARTTIME: that very process still runs
	local now
	now=$(proc_id "$1")
	set -- "$2" $now
	[ $# -ge 3 ] && [ "$3" = "$1" ]
}

# Every descendant of PID, as proc_id lines, from one pass over /proc.
descendants() {   # PID
	local top=$1 d stat rest p
	local -A kids=()
	for d in /proc/[0-9]*; do
		{ IFS= read -r stat <"$d/stat"; } 2>/dev/null || continue
		rest=${stat##*) }
		# shellcheck disable=SC2086
		set -- $rest
		kids[$2]="${kids[$2]:-} ${d#/proc/}"
	done
	local todo=("$top")
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		for d in ${kids[$p]:-}; do
			todo+=("$d")
			proc_id "$d"
		done
	done
}

# The command printed after the line containing MARKER: the first line
# starting with "curl" and its backslash-continued lines.
printed_command() {   # LOG MARKER
	awk -v marker="$2" '
		index($0, marker) { found = 1; next }
		found && !taking && /^curl / { taking = 1 }
		taking { print; if ($0 !~ /\\$/) exit }
	' "$1"
}

# The digest curl as printed, then the caught mail: on the terminal with
# its subject decoded and its text readable (no MIME headers, no base64),
# and under TMP/mail as an index page linking each mail's HTML.
demo_mail() {   # LOG TMP
	local log=$1 tmp=$2 cmd out n=300 page first
	cmd=$(printed_command "$log" "send last week's digest now")
	out=$(demo_shell "$cmd" 2>&1)
	if printf '%s' "$out" | grep -q '"week"'; then
		pass "the printed digest curl asked for last week's digest"
	else
		fail "the printed digest curl was refused: ${out:0:300}"
		return
	fi
	# The sink writes the subject before the body: wait for both, or a
	# check made between the two writes fails a mail that is on its way.
	while ! { grep -q '^Subject: 【问题清单周报】' "$log" && grep -q '各部门' "$log"; } &&
	    [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	if grep -q '^Subject: 【问题清单周报】' "$log" && grep -q '各部门办理情况\|各部门' "$log" &&
	    ! grep -qi '^content-transfer-encoding\|=?utf-8?' "$log"; then
		pass "the digest mail is shown on the terminal with its subject and text decoded"
	else
		fail "no readable digest mail on the terminal within 30 s"
	fi
	page=${DEMO_ROOT:-}$tmp/mail/index.html
	first=${DEMO_ROOT:-}$tmp/mail/001.html
	if [ -f "$page" ] && grep -q 'href="001.html"' "$page" && grep -q '问题清单周报' "$page" &&
	    grep -q '<html' "$first"; then
		pass "the caught mail is kept as pages: mail/index.html links each mail's HTML"
	else
		fail "no mail/index.html linking the mail's HTML"
	fi
}

demo_exercise() {   # PID LOG WAIT-SECONDS
	local pid=$1 log=$2 n=$(($3 * 10)) conf tmp out cmd issue line
	local procs names missing_names left

	# 1. The demo says it is running.
	while ! grep -q 'liaisond is running' "$log"; do
		if [ -z "$(proc_id "$pid")" ]; then
			fail "scripts/demo exited before liaisond was running"
			tail -n 30 "$log"
			return 1
		fi
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			fail "no 'liaisond is running' within $3 s"
			tail -n 30 "$log"
			return 1
		fi
		sleep 0.1
	done
	pass "scripts/demo printed 'liaisond is running'"

	# Its processes, collected before the SIGINT.
	procs=$(descendants "$pid")
	missing_names=
	for names in redis-server liaisond; do
		printf '%s\n' "$procs" | awk -v c="$names" '$3 == c { f = 1 } END { exit !f }' ||
			missing_names="$missing_names $names"
	done
	# The two sinks are python3: tell them apart by their command lines.
	for names in webhook-sink smtp-sink; do
		local found=no p
		for p in $(printf '%s\n' "$procs" | awk '{ print $1 }'); do
			tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q "$names" && found=yes
		done
		[ "$found" = yes ] || missing_names="$missing_names $names"
	done
	if [ -z "$missing_names" ]; then
		pass "the demo runs redis-server, webhook-sink, the SMTP sink and liaisond ($(printf '%s\n' "$procs" | wc -l) processes)"
	else
		fail "the demo's processes lack:$missing_names"
	fi

	conf=$(sed -n 's/^ *CONF=\(.*\)$/\1/p' "$log" | head -1)
	tmp=${conf%/liaisond.conf}
	if [ -n "$conf" ] && [ "$tmp" != "$conf" ] && [ -d "${DEMO_ROOT:-}$tmp" ]; then
		pass "the demo printed CONF=$conf and its directory exists"
	else
		fail "no CONF=…/liaisond.conf line naming an existing directory"
	fi

	# 2. The officer's curl command, run exactly as printed.
	cmd=$(printed_command "$log" 'Submit a report as O001')
	if [ -z "$cmd" ]; then
		fail "no curl command after 'Submit a report as O001'"
	else
		out=$(demo_shell "$cmd" 2>&1)
		issue=$(printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
i = r["issues"]
assert r["report"].startswith("R") and len(i) == 1, r
assert i[0]["state"] == "queued" and i[0]["departments"] == ["hr"], i[0]
print(i[0]["id"])' 2>/dev/null)
		if [ -n "$issue" ]; then
			pass "the printed officer curl created report issue $issue (queued for hr)"
		else
			fail "the printed officer curl did not create an issue: $out"
		fi
		# 3. The department's curl command shows it queued.
		cmd=$(printed_command "$log" 'as the department, its queued issues')
		out=$(demo_shell "$cmd" 2>&1)
		if [ -n "$issue" ] && printf '%s' "$out" | python3 -c '
import json, sys
ids = [i["id"] for i in json.load(sys.stdin)["issues"]]
sys.exit(0 if sys.argv[1] in ids else 1)' "$issue" 2>/dev/null; then
			pass "the printed department curl lists $issue as queued"
		else
			fail "the printed department curl does not list the issue: ${out:0:300}"
		fi
	fi

	# 4. The admin's digest curl: the mail it causes is readable.
	demo_mail "$log" "$tmp"

	# 5. SIGINT (what Ctrl-C sends): everything stops, the directory goes.
	# (kill -0 succeeds on a zombie: ask /proc instead.)
	kill -INT "$pid" 2>/dev/null
	n=100
	while [ -n "$(proc_id "$pid")" ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ -n "$(proc_id "$pid")" ] || wait "$pid" 2>/dev/null
	left=
	n=50
	while :; do
		left=
		while read -r line; do
			[ -n "$line" ] || continue
			set -- $line
			alive "$1" "$2" && left="$left $1($3)"
		done <<<"$procs"
		[ -n "$left" ] && [ "$n" -gt 0 ] || break
		sleep 0.1
		n=$((n - 1))
	done
	if [ -n "$(proc_id "$pid")" ]; then
		fail "scripts/demo still runs 10 s after SIGINT"
	elif [ -n "$left" ]; then
		fail "still running 5 s after SIGINT:$left"
	else
		pass "SIGINT stopped scripts/demo and all $(printf '%s\n' "$procs" | wc -l) processes it started"
	fi
	if [ -n "$tmp" ] && [ "$tmp" != "$conf" ] && [ ! -e "${DEMO_ROOT:-}$tmp" ]; then
		pass "the demo removed $tmp"
	else
		fail "the demo left its directory ${tmp:-?} behind"
	fi
	# Our own leftovers, if any: never leave a process behind.
	while read -r line; do
		[ -n "$line" ] || continue
		set -- $line
		alive "$1" "$2" && kill -KILL "$1" 2>/dev/null
	done <<<"$procs"
	return 0
}

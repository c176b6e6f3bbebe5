#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
# The emulated testbed's own logic, without QEMU (seconds): qemu.sh and
# mkimage.sh refuse bad usage with exit 2 and start nothing; overlays append
# files to an image; emu_ports gives distinct free port pairs; the job channel
# as the guests run it (guest-lib.sh under Debian's busybox sh, on this host):
# jobs run in order with their output and exit status, a job that outlives
# its time gives 124, a machine that dies gives 125, poweroff ends the agent;
# the domU agent serves RUN (output + exit status) and GET (the exact bytes)
# over TCP on loopback and stops on request.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tb=$top/testbed
work=$(mktemp -d "${TMPDIR:-/tmp}/nt-testbed-test.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -- "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
check_not() { local what=$1; shift; if "$@"; then bad "$what"; else ok "$what"; fi; }

# ---- usage errors: exit 2, one line, nothing started
touch "$work/k" "$work/i"
usage_case() { # WHAT EXPECTED_TEXT ARGS...
	local what=$1 want=$2 out rc
	shift 2
	out=$("$tb/qemu.sh" "$@" 2>&1)
	rc=$?
	if [ $rc = 2 ] && grep -q -- "$want" <<<"$out" && [ "$(wc -l <<<"$out")" = 1 ]; then
		ok "qemu.sh $what: exit 2, '$out'"
	else
		bad "qemu.sh $what: exit $rc, '$out'"
	fi
}
usage_case "without --kernel" "--kernel" --initrd "$work/i"
usage_case "unknown option" "unknown option" --kernel "$work/k" --initrd "$work/i" --bogus
usage_case "NIC without a model" "model=" --kernel "$work/k" --initrd "$work/i" --nic port=30000
usage_case "NIC with a bad port" "bad port" --kernel "$work/k" --initrd "$work/i" --nic model=e1000,port=80
usage_case "NIC with a bad item" "bad item" --kernel "$work/k" --initrd "$work/i" --nic model=e1000,port=30000,x=1
usage_case "NIC with a bad remote port" "bad remote port" --kernel "$work/k" --initrd "$work/i" --nic model=e1000,port=30000,remote=x
usage_case "disk without a model" "model=nvme" --kernel "$work/k" --initrd "$work/i" --disk file=$work/i
usage_case "disk without its image" "no writable image" --kernel "$work/k" --initrd "$work/i" --disk model=nvme,file=$work/none
usage_case "disk with a bad item" "bad item" --kernel "$work/k" --initrd "$work/i" --disk model=nvme,file=$work/i,cache=x
usage_case "bad --timeout" "bad number" --kernel "$work/k" --initrd "$work/i" --timeout 1x
usage_case "comma in dom0's line" "no commas" --kernel "$work/k" --initrd "$work/i" --xen "$work/k" --append a,b
usage_case "missing share" "--share" --kernel "$work/k" --initrd "$work/i" --share "$work/none"
usage_case "bad --icount spec" "--icount: bad spec" --kernel "$work/k" --initrd "$work/i" --icount shift=auto,sleep=maybe
usage_case "--icount with QEMU's other options" "--icount: bad spec" --kernel "$work/k" --initrd "$work/i" --icount "shift=1 -S"
out=$("$tb/mkimage.sh" nonsense 2>&1); rc=$?
check "mkimage.sh with an unknown role: exit 2 ($out)" [ $rc = 2 ]
mkdir -p "$work/x"
out=$("$tb/mkimage.sh" extras "$work/x" bin/true 2>&1); rc=$?
check "mkimage.sh extras with a relative program path: exit 1 ($out)" [ $rc = 1 ]
# a host program with its shared libraries (ldd's list), at their paths
"$tb/mkimage.sh" extras "$work/x" /bin/true
libs_ok=1
for l in $(ldd /bin/true | awk '/=> \// { print $3 } /^[[:space:]]*\/lib/ { print $1 }'); do
	cmp -s "$l" "$work/x$l" || libs_ok=0
done
check "mkimage.sh extras copies a program and the libraries ldd names, the dynamic loader too" \
	[ -x "$work/x/bin/true" -a $libs_ok = 1 -a -f "$work/x/lib64/ld-linux-x86-64.so.2" ]

# ---- overlay: the second archive's files follow the first's
mkdir -p "$work/a/etc" "$work/b/etc"
echo one >"$work/a/etc/x"
echo two >"$work/b/etc/y"
"$tb/mkimage.sh" overlay "$work/a" "$work/a.gz" && . "$tb/emu.sh" && emu_overlay "$work/a.gz" "$work/b" "$work/ab.gz"
# one gzip member holding both cpio archives (Xen's PV domain builder gunzips
# a domU ramdisk itself and would keep only a first member); the files of
# both archives, in order
members=$(python3 -c '
import sys, zlib
d = open(sys.argv[1], "rb").read(); n = 0
while d:
    z = zlib.decompressobj(31); z.decompress(d); d = z.unused_data; n += 1
print(n)' "$work/ab.gz")
check "overlay: one gzip member ($members)" test "$members" = 1
names=$(gzip -dc "$work/ab.gz" | python3 -c '
import sys
d = sys.stdin.buffer.read(); pos = 0; out = []
while True:
    i = d.find(b"070701", pos)
    if i < 0: break
    ns, fs = int(d[i + 94:i + 102], 16), int(d[i + 54:i + 62], 16)
    out.append(d[i + 110:i + 109 + ns].decode())
    pos = i + ((110 + ns + 3) & ~3) + ((fs + 3) & ~3)
print(" ".join(n for n in out if n.startswith("etc/") or n == "TRAILER!!!"))')
check "overlay: both archives' files are in the image, in order ($names)" \
	test "$names" = "etc/x TRAILER!!! etc/y TRAILER!!!"

# ---- ports
ports=$(emu_ports 6)
check "emu_ports 6: six ports ($ports)" test "$(wc -w <<<"$ports")" = 6
okp=1
for p in $ports; do
	for q in $ports; do [ "$p" != "$q" ] && [ $((p - q)) -ge -1 ] && [ $((p - q)) -le 1 ] && okp=0; done
	ss -Hlun "sport = :$p" | grep -q . && okp=0
done
check "emu_ports: distinct, not adjacent, not bound" test $okp = 1

# ---- the agents run by Debian's busybox sh (as in the images)
bbdir=$("$top/scripts/fetch-deb.sh" busybox-static 2>/dev/null | tail -n1)
bb=$bbdir/bin/busybox
if [ ! -x "$bb" ]; then
	echo "SKIP: cannot fetch busybox-static (the agents' part)"
	[ $fails = 0 ] || exit 1
	exit 77
fi
mkdir -p "$work/bin"
for a in sh cat sleep kill rm chmod sed mv mkdir nc uname ls; do ln -s "$bb" "$work/bin/$a"; done
bbsh() { PATH=$work/bin:$PATH "$bb" sh -c ". $tb/guest-lib.sh; $*"; }

share=$work/share
mkdir -p "$share"
bbsh "nt_agent $share" >"$work/agent.log" 2>&1 &
EMU_QPID=$! EMU_SHARE=$share EMU_NJOB=0
pids+=("$EMU_QPID")
emu_wait "$share/agent.ready" 10
check "agent: says ready" test -f "$share/agent.ready"
emu_job first 10 - <<<'echo out-one; echo err-one >&2; exit 3'
rc=$?
check "agent: a job's exit status comes back (3: $rc)" test $rc = 3
check "agent: its output is kept" grep -q "out-one" "$EMU_JOB.log"
check "agent: its errors are kept" grep -q "err-one" "$EMU_JOB.log"
emu_job_start a - <<<'echo a >>$NT_SHARE/order; sleep 1'
emu_job_start b - <<<'echo b >>$NT_SHARE/order'
emu_job_wait 10
check "agent: jobs run one at a time, in order ($(tr '\n' ' ' <"$share/order"))" \
	test "$(tr -d '\n' <"$share/order")" = ab
emu_job slow 1 - <<<'sleep 4'
rc=$?
check "agent: a job past its time gives 124 ($rc)" test $rc = 124
emu_poweroff 10
rc=$?
check "agent: poweroff ends it ($rc)" test $rc = 0
check_not "agent: gone after poweroff" kill -0 "${pids[0]}" 2>/dev/null

# the "machine" in its own process group, so that it dies with its job
rm -f "$share/jobs/poweroff" "$share/agent.ready"
setsid bash -c "$(declare -f bbsh); work=$work tb=$tb bb=$bb; bbsh 'nt_agent $share'" >"$work/agent2.log" 2>&1 &
EMU_QPID=$!
pids+=("-$EMU_QPID")
emu_wait "$share/agent.ready" 10
emu_job_start hang - <<<'echo started; sleep 30'
emu_wait "$EMU_JOB.log" 10
check "agent: the long job started" test -f "$EMU_JOB.log"
kill -- "-$EMU_QPID"
emu_job_wait 10
rc=$?
check "agent: a machine that dies under a job gives 125 ($rc)" test $rc = 125

# ---- the domU agent (nt-agent, started by nt_serve) over TCP on loopback
agent=${NT_BIN:-$top/build/san/bin}/nt-agent
[ -x "$agent" ] || { bad "no $agent (make SAN=1)"; exit 1; }
ln -s "$agent" "$work/bin/nt-agent"
port=$(emu_ports 1)
bbsh "nt_serve $port $work/stop" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
req() { printf '%s\n' "$1" | "$agent" req 127.0.0.1 "$port" "${@:2}"; }
out=$(req 'RUN echo hello; exit 4')
check "domU agent: RUN gives output and exit status ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = "hello"$'\n'"nt-rc=4"
out=$(req 'RUN printf no-newline; kill -9 $$')
check "domU agent: the status has a line of its own; a signal is 128+SIG ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = "no-newline"$'\n'"nt-rc=137"
# a long answer does not block another request (one process per connection)
req 'RUN sleep 4; echo slow' >"$work/slow.out" &
sleep 0.5
t0=$(date +%s%N)
out=$(req 'RUN echo quick')
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
check "domU agent: a request is answered while a long one runs (${dt} ms)" test "$out" = "quick"$'\n'"nt-rc=0" -a "$dt" -lt 2000
wait $!
check "domU agent: the long answer arrives whole ($(tr '\n' ' ' <"$work/slow.out"))" \
	test "$(cat "$work/slow.out")" = "slow"$'\n'"nt-rc=0"
req 'RUN sleep 5' --timeout 1 >/dev/null 2>"$work/tmo.err"
rc=$?
check "nt-agent req: an answer that does not end within --timeout gives 124 ($rc: $(cat "$work/tmo.err"))" test $rc = 124
printf 'RUN true\n' | "$agent" req 127.0.0.1 "$(emu_ports 1)" >/dev/null 2>"$work/refused.err"
rc=$?
check "nt-agent req: no server gives 1 ($rc: $(cat "$work/refused.err"))" test $rc = 1
"$agent" serve 99999 2>/dev/null
rc=$?
check "nt-agent: a bad port is a usage error ($rc)" test $rc = 2
# a step that leaves a program running answers at once (the program does not
# hold the connection), and a later step reads its exit status
t0=$(date +%s%N)
mkdir -p "$work/run"
out=$(req "RUN export NT_RUN=$work/run; . $tb/guest-lib.sh; nt_bg slow $work/slow.log sh -c 'sleep 3; exit 7'; echo started")
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
check "domU agent: a step that starts a background program answers at once (${dt} ms)" \
	test "$out" = "started"$'\n'"nt-rc=0" -a "$dt" -lt 2000
out=$(req "RUN export NT_RUN=$work/run; . $tb/guest-lib.sh; nt_bg_stop slow - 10")
check "domU agent: another step reads the background program's exit status ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = "7"$'\n'"nt-rc=0"
head -c 300000 /dev/urandom >"$work/blob"
req "GET $work/blob" >"$work/blob2"
check "domU agent: GET gives the exact bytes (300000)" cmp -s "$work/blob" "$work/blob2"
out=$(req 'PUT x')
check "domU agent: a bad request is refused ($out)" grep -q "nt-rc=2" <<<"$out"
req "RUN touch $work/stop" >/dev/null
sleep 1.5
listening() { ss -Hltn "sport = :$port" | grep -q .; }
check_not "domU agent: stops on request" listening

[ $fails = 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
[ $fails = 0 ]

#!/usr/bin/env bash
# timeout: 300
# hv-probe/install-host.sh against a fake /boot and /etc/grub.d tree (--local
# --root DIR): --dry-run changes nothing and says what it would do; the install
# copies the hypervisor (sha256 kept) and writes one GRUB entry per variant,
# natsume= exactly on the vector/all variants, with the entry ids the runner
# selects (scenarios/lib/hosts-lib.sh); a second run changes nothing; a changed
# inventory shows the entries that change; --remove undoes it; bad input is
# refused.  The generated /etc/grub.d snippet is run the way update-grub runs
# it, with GRUB's own grub-mkconfig_lib and grub-mkrelpath (Debian's
# grub-common, unpacked, not installed), and its output is checked with GRUB's
# grub-script-check.
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
inst=$top/hv-probe/install-host.sh
work=$(mktemp -d /tmp/nt-install-host.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }

grub=$("$top/scripts/fetch-deb.sh" grub-common 2>"$work/fetch.log" | tail -n1)
if [ ! -x "$grub/usr/bin/grub-script-check" ]; then
	echo "SKIP: cannot fetch Debian's grub-common ($(tail -n1 "$work/fetch.log"))"; exit 77
fi

# A stand-in hypervisor image: a gzip'ed ELF with a GNU build id (what
# install-host.sh reads from xen.gz); its bytes are only copied.
printf 'int main(void) { return 0; }\n' >"$work/x.c"
cc -Wl,--build-id=sha1 -o "$work/xen" "$work/x.c" || { echo "FAIL: cannot build the stand-in image"; exit 1; }
gzip -c "$work/xen" >"$work/xen.gz"
bid=$(readelf -n "$work/xen" | awk '/Build ID:/ { print $3 }')

# The scenario: hosts-net with an inventory of documentation addresses.
mkdir -p "$work/scn"
sed 's|^inventory *=.*|inventory = lab.hosts|' "$top/scenarios/hosts-net.scn" >"$work/scn/lab.scn"
sed -e 's/^xen.eval_cpu .*/xen.eval_cpu = 2/' -e 's/^xen.eval_nic .*/xen.eval_nic = 5:0.0/' \
	"$top/scenarios/hosts/example.hosts" >"$work/scn/lab.hosts"
scn=$work/scn/lab.scn
name=$(sed -n 's/^name *= *//p' "$scn")

fake=$work/root
mkdir -p "$fake/boot" "$fake/etc/grub.d"
echo kernel >"$fake/boot/vmlinuz-6.1.0-99-amd64"
echo initrd >"$fake/boot/initrd.img-6.1.0-99-amd64"
echo older >"$fake/boot/vmlinuz-6.1.0-9-amd64"
echo '#!/bin/sh' >"$fake/etc/grub.d/40_custom"
snip=$fake/etc/grub.d/42_natsume-harness-$name
tree() { (cd "$fake" && find . -printf '%p %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort); }

# --- dry run: says what, changes nothing
before=$(tree)
out=$("$inst" --dry-run --local --root "$fake" --xen "$work/xen.gz" "$scn" 2>&1); rc=$?
[ $rc = 0 ] || bad "dry run: exit $rc: $out"
[ "$(tree)" = "$before" ] && ok "dry run changed nothing" || bad "dry run changed the tree"
grep -q "would copy the hypervisor to $fake/boot/natsume-harness/xen-${bid:0:16}.gz" <<<"$out" ||
	bad "dry run: no 'would copy': $out"
grep -q "would write $snip" <<<"$out" || bad "dry run: no 'would write': $out"
[ "$(grep -c '^  entry natsume-harness-' <<<"$out")" = 4 ] || bad "dry run: not 4 entries listed: $out"
grep -q "dom0 kernel 6.1.0-99-amd64" <<<"$out" || bad "dry run: not the newest kernel of /boot: $out"
grep -q "update-grub is not run" <<<"$out" || bad "dry run: nothing said about update-grub"

# --- install
out=$("$inst" --local --root "$fake" --xen "$work/xen.gz" "$scn" 2>&1); rc=$?
[ $rc = 0 ] || bad "install: exit $rc: $out"
x=$fake/boot/natsume-harness/xen-${bid:0:16}.gz
if [ -f "$x" ] && cmp -s "$x" "$work/xen.gz"; then ok "hypervisor copied ($x)"; else bad "hypervisor not copied to $x"; fi
[ -x "$snip" ] && ok "snippet written, executable" || bad "no executable $snip"
grep -q "build id $bid" "$snip" || bad "the snippet does not name the build id"
# a second run changes nothing
before=$(tree)
out=$("$inst" --local --root "$fake" --xen "$work/xen.gz" "$scn" 2>&1)
[ "$(tree)" = "$before" ] && grep -q "is up to date" <<<"$out" && grep -q "is in place" <<<"$out" &&
	ok "second install changes nothing" || bad "second install: $out"

# --- the snippet as update-grub runs it, with GRUB's library; GRUB checks the result
declare -A S
. "$top/scenarios/lib/scn.sh"
. "$top/scenarios/lib/hosts-lib.sh"
scn_load "$("$top/scenarios/run" --parse "$scn")"
if unshare -m true 2>/dev/null; then
	# the snippet names /boot/...: show it the fake /boot in a private mount namespace
	env GRUB_DEVICE=/dev/sda2 GRUB_DEVICE_UUID=0f0e0d0c-0000-4000-8000-000000000001 \
		GRUB_CMDLINE_LINUX="console=ttyS0" GRUB_CMDLINE_LINUX_DEFAULT=quiet \
		pkgdatadir="$grub/usr/share/grub" grub_mkrelpath="$grub/usr/bin/grub-mkrelpath" \
		unshare -m sh -c 'mount --bind "$1/boot" /boot && exec sh "$2"' sh "$fake" "$snip" \
		>"$work/grub.cfg" 2>"$work/snippet.err" </dev/null
	rc=$?
	[ $rc = 0 ] || bad "the snippet failed (exit $rc): $(cat "$work/snippet.err")"
	if "$grub/usr/bin/grub-script-check" "$work/grub.cfg"; then ok "grub-script-check accepts the entries"
	else bad "grub-script-check refuses the entries: $(cat "$work/grub.cfg")"; fi
	[ "$(grep -c '^menuentry ' "$work/grub.cfg")" = 4 ] || bad "not 4 menu entries: $(cat "$work/grub.cfg")"
	for v in ${S[variants]}; do
		id=$(hosts_entry_id "$v")
		e=$(awk -v id="$id" '$0 ~ "--id " id " \\{" { on = 1 } on { print } on && /^}/ { exit }' "$work/grub.cfg")
		[ -n "$e" ] || { bad "no entry with id $id"; continue; }
		mb=$(grep -P '^\tmultiboot2\t' <<<"$e")
		grep -q "natsume-harness/xen-${bid:0:16}.gz placeholder $(hosts_xen_args "$v")\$" <<<"$mb" ||
			bad "$v: multiboot2 line '$mb' does not carry '$(hosts_xen_args "$v")'"
		case "$(scn natsume "$v")" in
		vector|all) grep -q ' natsume=0000:05:00.0,cpu=2$' <<<"$mb" || bad "$v: no natsume=0000:05:00.0,cpu=2: $mb" ;;
		*) grep -q 'natsume=' <<<"$mb" && bad "$v: natsume= on a variant without the vector: $mb" ;;
		esac
		grep -qP '^\tmodule2\t\S*/vmlinuz-6.1.0-99-amd64 placeholder root=UUID=0f0e0d0c-0000-4000-8000-000000000001 ro console=ttyS0 quiet$' <<<"$e" ||
			bad "$v: dom0 kernel line: $e"
		grep -qP '^\tmodule2\t--nounzip \S*/initrd.img-6.1.0-99-amd64$' <<<"$e" || bad "$v: initrd line: $e"
	done
	ok "entries: $(grep -o -- '--id [^ ]*' "$work/grub.cfg" | cut -d' ' -f2 | tr '\n' ' ')"
	# without its hypervisor image the snippet prints no entry (update-grub goes on)
	mv "$x" "$x.away"
	env pkgdatadir="$grub/usr/share/grub" grub_mkrelpath="$grub/usr/bin/grub-mkrelpath" \
		unshare -m sh -c 'mount --bind "$1/boot" /boot && exec sh "$2"' sh "$fake" "$snip" \
		>"$work/grub2.cfg" 2>"$work/snippet2.err" </dev/null
	rc=$?
	[ $rc = 0 ] && [ ! -s "$work/grub2.cfg" ] && grep -q "is missing: no natsume-harness entries" "$work/snippet2.err" &&
		ok "no image: no entries, a warning, exit 0" || bad "no image: exit $rc, $(cat "$work/grub2.cfg" "$work/snippet2.err")"
	mv "$x.away" "$x"
else
	echo "note: no mount namespace here: the snippet's GRUB output is not checked"
	fail=1
fi

# --- a changed inventory: the dry run names the entries that change
sed -i 's/^xen.eval_cpu .*/xen.eval_cpu = 1/' "$work/scn/lab.hosts"
before=$(tree)
out=$("$inst" --dry-run --local --root "$fake" --xen "$work/xen.gz" "$scn" 2>&1)
[ "$(tree)" = "$before" ] || bad "dry run after a change changed the tree"
grep -q "would rewrite $snip" <<<"$out" && grep -q "^  +entry natsume-harness-$name-natsume-all .*cpu=1" <<<"$out" &&
	grep -q "^  -entry natsume-harness-$name-natsume-all .*cpu=2" <<<"$out" &&
	! grep -q "entry natsume-harness-$name-xen " <<<"$out" &&
	ok "dry run shows the two changed entries" || bad "dry run after a change: $out"

# --- bad input
expect() { # RC PATTERN ARGS...
	local want=$1 pat=$2; shift 2
	local o rc
	o=$("$inst" "$@" 2>&1); rc=$?
	if [ $rc = "$want" ] && grep -qE -- "$pat" <<<"$o"; then ok "exit $want: $pat"
	else bad "'$*': exit $rc (want $want), output: $o"; fi
}
expect 0 'usage|install-host' --help
expect 2 'no scenario given' --local --root "$fake"
expect 2 'unknown option' --frob "$scn"
expect 2 'absolute path' --local --root rel "$scn"
expect 2 "testbed is 'native'" --local --root "$fake" "$top/scenarios/native-net.scn"
expect 1 'no hypervisor image' --local --root "$fake" --xen "$work/none.gz" "$scn"
expect 1 "is not a gzip" --local --root "$fake" --xen "$work/x.c" "$scn"
mkdir -p "$work/nogrub/boot"
expect 1 'etc/grub.d does not exist' --local --root "$work/nogrub" --xen "$work/xen.gz" --kernel-version 6.1.0-99-amd64 "$scn"
sed -i 's/^xen.args .*/xen.args = iommu=1; reboot/' "$work/scn/lab.hosts"
expect 2 'lab.hosts:[0-9]+: error: xen.args must be boot options' --local --root "$fake" --xen "$work/xen.gz" "$scn"
sed -i 's/^xen.args .*/xen.args = iommu=1/' "$work/scn/lab.hosts"

# --- remove: dry run first, then for real
before=$(tree)
out=$("$inst" --remove --dry-run --local --root "$fake" "$scn" 2>&1)
[ "$(tree)" = "$before" ] && grep -q "would remove $snip" <<<"$out" && grep -q "would remove $x" <<<"$out" ||
	bad "remove dry run: $out"
out=$("$inst" --remove --local --root "$fake" "$scn" 2>&1); rc=$?
[ $rc = 0 ] && [ ! -e "$snip" ] && [ ! -e "$x" ] && [ -f "$fake/etc/grub.d/40_custom" ] &&
	[ -f "$fake/boot/vmlinuz-6.1.0-99-amd64" ] && ok "remove: snippet and image gone, the rest kept" ||
	bad "remove: exit $rc: $out; $(tree)"

# --- the same over ssh (the way it reaches a real host): a real ssh server on
# loopback (scenarios/tests/sshd-lib.sh) plays the Xen host; --root keeps it
# to a fake tree there too
. "$top/scenarios/tests/sshd-lib.sh"
trap 'sshd_stop; rm -rf "$work"' EXIT
sshd_start "$work/sshd" nt-xen-host; rc=$?
if [ $rc = 0 ]; then
	sed -e 's/^xen  *=.*/xen = nt-xen-host/' -e "s|^ssh.options .*|ssh.options = -F $SSHD_CONFIG|" \
		-e 's/^xen.args .*/xen.args = iommu=1/' -e "s|^xen.dir .*|xen.dir = $work/xdir|" \
		"$work/scn/lab.hosts" >"$work/scn/ssh.hosts"
	sed 's|^inventory *=.*|inventory = ssh.hosts|' "$scn" >"$work/scn/ssh.scn"
	rfake=$work/rroot
	mkdir -p "$rfake/boot" "$rfake/etc/grub.d"
	echo kernel >"$rfake/boot/vmlinuz-6.1.0-99-amd64"; echo initrd >"$rfake/boot/initrd.img-6.1.0-99-amd64"
	before=$(find "$rfake" -printf '%p %T@ %s\n' | sort)
	out=$("$inst" --dry-run --root "$rfake" --kernel-version 6.1.0-99-amd64 --xen "$work/xen.gz" "$work/scn/ssh.scn" 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "on nt-xen-host (root $rfake)" <<<"$out" && grep -q "would write $rfake/etc/grub.d/" <<<"$out" &&
		[ "$(find "$rfake" -printf '%p %T@ %s\n' | sort)" = "$before" ] &&
		[ ! -e "$work/xdir" ] && ok "over ssh: dry run, nothing sent, nothing changed" ||
		bad "over ssh, dry run: exit $rc: $out"
	out=$(NT_INSTALL_LOG=$work/ssh-commands.log "$inst" --root "$rfake" --kernel-version 6.1.0-99-amd64 \
		--xen "$work/xen.gz" "$work/scn/ssh.scn" 2>&1); rc=$?
	rx=$rfake/boot/natsume-harness/xen-${bid:0:16}.gz
	[ $rc = 0 ] && cmp -s "$rx" "$work/xen.gz" && [ -x "$rfake/etc/grub.d/42_natsume-harness-$name" ] &&
		grep -q 'natsume=0000:05:00.0,cpu=1' "$rfake/etc/grub.d/42_natsume-harness-$name" &&
		cmp -s "$work/xdir/stage/xen-${bid:0:16}.gz" "$work/xen.gz" &&
		ok "over ssh: hypervisor sent (sha256 checked) and the entries written" || bad "over ssh: exit $rc: $out"
	sshd_stop
else
	bad "no ssh server for the remote case: $SSHD_WHY"
fi

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail

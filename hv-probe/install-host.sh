#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install-host.sh: put the patched Xen on a real Xen host and add one GRUB boot
# entry per variant of a hosts scenario (docs/hosts.md).
#
#   hv-probe/install-host.sh [--dry-run] [--xen FILE] [--kernel-version KVER]
#                            [--local] [--root DIR] [--remove] SCENARIO.scn
#
# The scenario (testbed = hosts) names the inventory: the Xen host (dom0 over
# ssh), its Xen options, the evaluation NIC and pCPU.  On that host (or on
# this machine with --local) it
#   1. copies the hypervisor (--xen, else $NT_XEN_IMAGE, else
#      build/xen/out/xen.gz from hv-probe/build-xen.sh) to
#      /boot/natsume-harness/xen-<build id>.gz (a folder of its own, so that
#      Debian's 20_linux_xen does not list it a second time);
#   2. writes /etc/grub.d/42_natsume-harness-<scenario>: a generator that
#      update-grub runs, printing one menu entry per variant with the id
#      natsume-harness-<scenario>-<variant>, the Xen options of the inventory
#      plus natsume=<eval NIC>,cpu=<eval pCPU> for the vector and all variants,
#      and dom0's kernel <KVER> (default: the one running there) with GRUB's
#      own root device and GRUB_CMDLINE_LINUX(_DEFAULT), as Debian's Xen entries;
#   3. runs update-grub and checks that every entry id is in grub.cfg.
# GRUB's default entry is not changed: the runner picks an entry for one boot
# with grub-reboot, so a boot that fails falls back to the default.
#
# --dry-run        print what would change (on the target, read-only), change nothing
# --xen FILE       the hypervisor image (xen.gz)
# --kernel-version the dom0 kernel release of the entries (/boot/vmlinuz-KVER)
# --local          this machine is the Xen host (no ssh)
# --root DIR       the target's file system is under DIR (default /); with a
#                  DIR other than / update-grub is not run (a test or a chroot)
# --remove         remove the snippet and the copied hypervisor instead
# Exit: 0 done (or nothing to change), 1 a step failed, 2 bad usage.
set -uo pipefail
PROG=install-host.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
usage() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit "${1:-2}"; }
die() { echo "$PROG: $*" >&2; exit 1; }
usage_err() { echo "$PROG: $*" >&2; echo "(see $PROG --help)" >&2; exit 2; }

dry=0 xen="" kver="" local=0 root=/ remove=0 scn=""
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage 0 ;;
	--dry-run|-n) dry=1; shift ;;
	--local) local=1; shift ;;
	--remove) remove=1; shift ;;
	--xen|--kernel-version|--root)
		[ $# -ge 2 ] || usage_err "$1 needs a value"
		case "$1" in --xen) xen=$2 ;; --kernel-version) kver=$2 ;; --root) root=$2 ;; esac
		shift 2 ;;
	-*) usage_err "unknown option '$1'" ;;
	*) [ -z "$scn" ] || usage_err "one scenario at a time"; scn=$1; shift ;;
	esac
done
[ -n "$scn" ] || usage_err "no scenario given (e.g. scenarios/hosts-net.scn)"
case "$root" in /*) ;; *) usage_err "--root must be an absolute path (got '$root')" ;; esac
case "$kver" in *[!A-Za-z0-9._+-]*) usage_err "--kernel-version: bad release '$kver'" ;; esac
root=${root%/}

# ---------------------------------------------------------------- scenario
parsed=$("$top/scenarios/run" --parse "$scn") || exit 2
declare -A S
. "$top/scenarios/lib/scn.sh"
. "$top/scenarios/lib/hosts-lib.sh"
. "$top/scenarios/lib/remote.sh"
scn_load "$parsed"
[ "${S[testbed]}" = hosts ] || usage_err "$scn: testbed is '${S[testbed]}'; boot entries are for testbed = hosts"
[ -n "${S[hosts.xen]-}" ] || usage_err "$scn: no inventory (inventory = FILE in [testbed])"
read -r -a variants <<<"${S[variants]}"
target=${S[hosts.xen]}
[ $local = 1 ] && target=local
read -r -a RMT_SSH_OPTS <<<"${S[hosts.ssh.options]-}"
RMT_CONNECT_TIMEOUT=$(( ${S[hosts.ssh.timeout]} / 1000000000 ))
rmt_allow "${S[hosts.xen]}"
logcmd() { shift; [ -n "${NT_INSTALL_LOG-}" ] && { printf ' %q' "$@"; printf '\n'; } >>"$NT_INSTALL_LOG"; return 0; }

# on_target WHAT SECS SCRIPT ARGS...: run the shell script SCRIPT (a file) on
# the Xen host: here with sh, or there through the ssh transport.
on_target() {
	local what=$1 secs=$2
	shift 2
	if [ "$target" = local ]; then timeout -k 5 "$secs" sh "$@"
	else rmt_script "$what" "$target" "$secs" "$@"; fi
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nt-install.XXXXXX") || die "cannot make a temporary folder"
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- hypervisor
snippet=$(hosts_snippet)
xdir=/boot/natsume-harness
if [ $remove = 0 ]; then
	[ -n "$xen" ] || xen=${NT_XEN_IMAGE:-$top/build/xen/out/xen.gz}
	[ -f "$xen" ] || die "no hypervisor image $xen (build it with hv-probe/build-xen.sh, or give --xen)"
	gzip -t "$xen" 2>/dev/null || die "$xen is not a gzip'ed Xen image (xen.gz of hv-probe/build-xen.sh)"
	bid=$(xen_build_id "$xen")
	[ -n "$bid" ] || die "$xen has no build id (the runner checks the running Xen by it)"
	xsum=$(sha256sum <"$xen" | cut -d' ' -f1)
	xname=xen-${bid:0:16}.gz
	if [ -z "$kver" ]; then
		if [ "$target" = local ] && [ "$root" = "" ]; then kver=$(uname -r)
		elif [ "$target" = local ]; then
			kver=$(cd "$root/boot" 2>/dev/null && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n1)
		else
			kver=$(rmt_run install "$target" 30 uname -r) || die "cannot reach $target over ssh: $RMT_WHY"
		fi
		[ -n "$kver" ] || die "cannot tell dom0's kernel (give --kernel-version)"
	fi
fi

# ---------------------------------------------------------------- the snippet
# The generator update-grub runs; its entries carry the Xen options of the
# variants, decided here from the scenario and the inventory.
write_snippet() {
	local v
	cat <<EOF
#!/bin/sh
# natsume-harness: the boot entries of scenario '${S[name]}', one per variant.
# Written by hv-probe/install-host.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(basename "$scn")
# and $(basename "${S[inventory_file]}"); rerun it to change them, --remove to
# drop them.  Xen $xdir/$xname (build id $bid, sha256 $xsum).
# GRUB's default entry is untouched: the runner selects one of these for the
# next boot only (grub-reboot ID).
set -e
prefix=/usr
exec_prefix=/usr
datarootdir=/usr/share
. "\${pkgdatadir:-/usr/share/grub}/grub-mkconfig_lib"

xen=$xdir/$xname
linux=/boot/vmlinuz-$kver
initrd=/boot/initrd.img-$kver
for f in "\$xen" "\$linux" "\$initrd"; do
	if [ ! -f "\$f" ]; then
		echo "${snippet##*/}: \$f is missing: no natsume-harness entries" >&2
		exit 0
	fi
done
echo "Found natsume-harness Xen image: \$xen" >&2
# dom0's root and kernel options as Debian's own Xen entries (20_linux_xen)
if [ "x\${GRUB_DEVICE_UUID}" = x ] || [ "x\${GRUB_DISABLE_LINUX_UUID}" = xtrue ]; then
	rootdev=\${GRUB_DEVICE}
else
	rootdev=UUID=\${GRUB_DEVICE_UUID}
fi
[ -n "\${GRUB_CMDLINE_LINUX_XEN_REPLACE}" ] && GRUB_CMDLINE_LINUX=\${GRUB_CMDLINE_LINUX_XEN_REPLACE}
[ -n "\${GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT}" ] && GRUB_CMDLINE_LINUX_DEFAULT=\${GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT}
access=
[ -n "\${GRUB_DEVICE_BOOT}" ] && access=\$(prepare_grub_to_access_device \${GRUB_DEVICE_BOOT} | sed 's/^/	/')
rel_xen=\$(make_system_path_relative_to_its_root "\$xen")
rel_linux=\$(make_system_path_relative_to_its_root "\$linux")
rel_initrd=\$(make_system_path_relative_to_its_root "\$initrd")

entry() { # ID TITLE XEN_OPTIONS
	cat <<ENTRY
menuentry '\$2' --class xen --class gnu-linux --id \$1 {
\$access
	echo	'natsume-harness: Xen with \$3'
	multiboot2	\$rel_xen placeholder \$3
	module2	\$rel_linux placeholder root=\$rootdev ro \${GRUB_CMDLINE_LINUX} \${GRUB_CMDLINE_LINUX_DEFAULT}
	module2	--nounzip \$rel_initrd
}
ENTRY
}
EOF
	for v in "${variants[@]}"; do
		printf "entry %s '%s' '%s'\n" "$(hosts_entry_id "$v")" \
			"natsume-harness ${S[name]}: $v (natsume=$(scn natsume "$v"))" "$(hosts_xen_args "$v")"
	done
}

# ---------------------------------------------------------------- apply
# One script does the change on the target, here or over ssh; in dry-run it
# only reads and says what it would do.
cat >"$tmp/apply.sh" <<'EOF'
# args: DRY ROOT MODE SNIPPET XDIR XNAME XSUM STAGE IDS; the snippet's text in $NT_SNIPPET
set -u
dry=$1 root=$2 mode=$3 snip=$4 xdir=$5 xname=$6 xsum=$7 stage=$8 ids=$9
say() { echo "install: $*"; }
act() { if [ "$dry" = 1 ]; then say "would $*"; else say "$*"; fi; }
fail() { echo "install: error: $*" >&2; exit 1; }
[ -d "$root/boot" ] || fail "$root/boot does not exist"
[ -d "$root/etc/grub.d" ] || fail "$root/etc/grub.d does not exist (is GRUB installed? Debian: grub-pc or grub-efi-amd64)"
[ "$dry" = 1 ] || [ -w "$root/etc/grub.d" ] || fail "cannot write $root/etc/grub.d (run as root)"
if [ "$mode" = remove ]; then
	if [ -e "$root$snip" ]; then
		act "remove $root$snip"
		[ "$dry" = 1 ] || rm -f "$root$snip" || fail "cannot remove $root$snip"
	else
		say "$root$snip is not there"
	fi
	# hypervisor images that no other scenario's entries use
	for f in "$root$xdir"/xen-*.gz; do
		[ -f "$f" ] || continue
		grep -qs "${f##*/}" $(ls "$root"/etc/grub.d/42_natsume-harness-* 2>/dev/null | grep -vx "$root$snip") &&
			{ say "$f stays (another scenario's entries use it)"; continue; }
		act "remove $f"
		[ "$dry" = 1 ] || rm -f "$f" || fail "cannot remove $f"
	done
else
	dst=$root$xdir/$xname
	if [ -f "$dst" ] && [ "$(sha256sum <"$dst" | cut -d' ' -f1)" = "$xsum" ]; then
		say "$dst is in place (sha256 $xsum)"
	else
		act "copy the hypervisor to $dst (sha256 $xsum)"
		if [ "$dry" = 0 ]; then
			mkdir -p "$root$xdir" && cp "$stage" "$dst.part" && mv "$dst.part" "$dst" ||
				fail "cannot copy the hypervisor to $dst"
			[ "$(sha256sum <"$dst" | cut -d' ' -f1)" = "$xsum" ] || fail "$dst: sha256 differs after the copy"
		fi
	fi
	if [ -f "$root$snip" ] && [ "$(sed '/^# Written by/d' "$root$snip")" = "$(printf '%s\n' "$NT_SNIPPET" | sed '/^# Written by/d')" ]; then
		say "$root$snip is up to date"
	else
		if [ -f "$root$snip" ]; then
			act "rewrite $root$snip; its entries change:"
			printf '%s\n' "$NT_SNIPPET" | diff -u "$root$snip" - | sed -n 's/^\([-+]entry \)/  \1/p'
		else
			act "write $root$snip (mode 755), with the entries:"
			printf '%s\n' "$NT_SNIPPET" | sed -n 's/^entry /  entry /p'
		fi
		if [ "$dry" = 0 ]; then
			printf '%s\n' "$NT_SNIPPET" >"$root$snip.part" && chmod 755 "$root$snip.part" &&
				mv "$root$snip.part" "$root$snip" || fail "cannot write $root$snip"
		fi
	fi
fi
if [ -n "$root" ]; then
	say "the root is $root, not /: update-grub is not run (run it on the machine itself)"
	exit 0
fi
command -v update-grub >/dev/null || fail "update-grub is missing (Debian package grub2-common)"
act "run update-grub"
[ "$dry" = 1 ] && exit 0
update-grub 2>&1 | sed 's/^/  update-grub: /'
cfg=/boot/grub/grub.cfg
for id in $ids; do
	if [ "$mode" = remove ]; then
		grep -q -- "--id $id " "$cfg" && fail "$cfg still has the entry $id"
	else
		grep -q -- "--id $id " "$cfg" || fail "$cfg has no entry $id after update-grub"
	fi
done
say "$cfg: the $(echo $ids | wc -w) entries are $( [ "$mode" = remove ] && echo gone || echo there); GRUB's default entry is unchanged"
EOF

mode=install
[ $remove = 1 ] && mode=remove
ids=""
for v in "${variants[@]}"; do ids+="$(hosts_entry_id "$v") "; done
stage=""
if [ $mode = install ]; then
	write_snippet >"$tmp/snippet"
	if [ "$target" = local ]; then stage=$xen
	else
		stage=${S[hosts.xen.dir]}/stage/$xname
		if [ $dry = 0 ]; then
			echo "install: sending $xen to $target:$stage"
			rmt_put install "$target" 600 "$xen" "$stage" || die "$RMT_WHY"
		fi
	fi
else
	: >"$tmp/snippet"
	xname=none xsum=none
fi
echo "install: scenario '${S[name]}' on $([ "$target" = local ] && echo "this machine" || echo "$target")${root:+ (root $root)}: ${#variants[@]} entries${kver:+, dom0 kernel $kver}$([ $dry = 1 ] && echo ", dry run: nothing is changed")"
args=("$dry" "$root" "$mode" "$snippet" "$xdir" "$xname" "$xsum" "$stage" "$ids")
if [ "$target" = local ]; then
	NT_SNIPPET=$(cat "$tmp/snippet") timeout -k 5 600 sh "$tmp/apply.sh" "${args[@]}"
	rc=$?
else
	# The snippet rides in the script itself (sh -s reads the script on stdin).
	{
		printf "NT_SNIPPET=\$(cat <<'NT_SNIPPET_END'\n"
		cat "$tmp/snippet"
		printf "NT_SNIPPET_END\n)\n"
		cat "$tmp/apply.sh"
	} >"$tmp/remote.sh"
	rmt_script install "$target" 600 "$tmp/remote.sh" "${args[@]}"
	rc=$?
	[ $rc = 255 ] && echo "$PROG: ssh to $target failed (connection refused, dropped or timed out)" >&2
fi
[ $rc = 0 ] || exit 1
exit 0

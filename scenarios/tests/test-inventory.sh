#!/usr/bin/env bash
# The hosts inventory (docs/hosts.md) through `scenarios/run --parse`: the
# shipped example parses and joins the scenario as hosts.KEY; values are
# normalised (PCI address, MAC, IPv4); malformed inventories are refused with
# exit 2 and the right line; an unreadable inventory is a usage error; the
# Xen command line of a variant and the check of the running one
# (scenarios/lib/hosts-lib.sh).
# timeout: 60
set -uo pipefail
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/nt-scenarios-inv.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

out=$("$run" --parse "$top/scenarios/hosts-net.scn" 2>&1) || bad "hosts-net.scn does not parse: $out"
for want in 'inventory=hosts/example.hosts' "inventory_file=$top/scenarios/hosts/example.hosts" \
	'hosts.xen=root@xen-host.example' 'hosts.xen.reboot=0' 'hosts.xen.eval_nic=0000:03:00.0' \
	'hosts.xen.eval_cpu=3' 'hosts.guest.addr=192.0.2.10' 'hosts.send=local' 'hosts.ssh.timeout=10000000000'; do
	grep -qxF "$want" <<<"$out" || bad "normal form lacks '$want'"
done

# a minimal inventory: defaults and normalisation
cat >"$tmp/min.hosts" <<'E'
[hosts]
xen = root@xen1
xen.eval_cpu = 2
xen.eval_nic = 5:0.1       # short form
guest = root@guest1
guest.config = /etc/xen/eval.cfg
guest.addr = 192.0.2.010
E
{ cat "$tmp/min.hosts"; printf 'guest.mac = 52:54:00:AB:CD:EF\nxen.args = iommu=1   dom0_mem=2048M\n'; } >"$tmp/norm.hosts"
sed 's|^inventory *=.*|inventory = norm.hosts|' "$top/scenarios/hosts-net.scn" >"$tmp/s.scn"
out=$("$run" --parse "$tmp/s.scn" 2>&1) || bad "minimal inventory refused: $out"
for want in 'hosts.xen.eval_nic=0000:05:00.1' 'hosts.guest.addr=192.0.2.10' 'hosts.guest.mac=52:54:00:ab:cd:ef' \
	'hosts.xen.args=iommu=1 dom0_mem=2048M' 'hosts.xen.reboot=0' 'hosts.xen.boot_timeout=300000000000' \
	'hosts.guest.name=nt-eval' 'hosts.flood=local' 'hosts.xen.dir=/var/tmp/natsume-harness'; do
	grep -qxF "$want" <<<"$out" || bad "minimal: normal form lacks '$want'"
done

# malformed: "line|message|text appended to the minimal inventory" (! = whole file)
cases=(
	"8|unknown key 'speed'|speed = 3"
	"8|must be a PCI address|xen.load_nic = 0000:03:00"
	"8|must be a PCI address|xen.load_nic = 12345:03:00.0"
	"8|must be an IPv4 address|xen.load_addr = 192.0.2.300"
	"8|must be a MAC address|guest.mac = 52:54:00:12:34"
	"8|must be [user@]host or local|send = root@ bad"
	"8|must be yes or no|xen.reboot = sometimes"
	"8|must be boot options|xen.args = iommu=1 \$(reboot)"
	"8|must be a network interface name|send.iface = a-very-long-interface-name"
	"8|must be a path|xen.dir = /var/tmp/my dir"
	"8|an inventory has one section|[variant a]"
	"8|unknown section [testbed]|[testbed]"
	"8|set twice|xen = root@xen2"
	"8|'xen.reboot_hook' needs 'xen.reboot = yes'|xen.reboot_hook = /usr/local/bin/power-cycle"
	"end|missing 'guest.addr'|!$(grep -v '^guest.addr' "$tmp/min.hosts")"
	"end|missing 'xen.eval_nic'|!$(grep -v '^xen.eval_nic' "$tmp/min.hosts")"
)
i=0
for c in "${cases[@]}"; do
	i=$((i + 1))
	ln=${c%%|*}; rest=${c#*|}; msg=${rest%%|*}; body=${rest#*|}
	f=$tmp/bad$i.hosts
	if [ "${body:0:1}" = '!' ]; then printf '%s\n' "${body:1}" >"$f"
	else printf '%s\n' "$(cat "$tmp/min.hosts")" "$body" >"$f"; fi
	[ "$ln" = end ] || [ "$(wc -l <"$f")" = "$ln" ] || { bad "case $i: line $ln is not the last"; continue; }
	sed "s|^inventory *=.*|inventory = bad$i.hosts|" "$top/scenarios/hosts-net.scn" >"$tmp/s$i.scn"
	out=$("$run" --parse "$tmp/s$i.scn" 2>&1); rc=$?
	if [ $rc -ne 2 ]; then bad "case $i ($msg): exit $rc, want 2; output: $out"; continue; fi
	grep -F "$f:$ln: error: " <<<"$out" | grep -qF "$msg" || bad "case $i: '$f:$ln: error: ...$msg' not in: $out"
done
: >"$tmp/empty.hosts"
sed 's|^inventory *=.*|inventory = empty.hosts|' "$top/scenarios/hosts-net.scn" >"$tmp/e.scn"
out=$("$run" --parse "$tmp/e.scn" 2>&1); rc=$?
[ $rc = 2 ] && grep -q 'empty inventory file' <<<"$out" || bad "empty inventory: exit $rc: $out"
sed 's|^inventory *=.*|inventory = nowhere.hosts|' "$top/scenarios/hosts-net.scn" >"$tmp/n.scn"
out=$("$run" --parse "$tmp/n.scn" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "cannot read the inventory '$tmp/nowhere.hosts'" <<<"$out" || bad "missing inventory: exit $rc: $out"

# the boot entry of a variant and the check of the running Xen's command line
declare -A S
. "$top/scenarios/lib/scn.sh"
. "$top/scenarios/lib/hosts-lib.sh"
scn_load "$("$run" --parse "$tmp/s.scn")"
[ "$(hosts_xen_args xen)" = "iommu=1 dom0_mem=2048M" ] || bad "xen args of 'xen': $(hosts_xen_args xen)"
[ "$(hosts_xen_args natsume-cpu)" = "iommu=1 dom0_mem=2048M" ] || bad "natsume-cpu needs no Xen option"
[ "$(hosts_xen_args natsume-all)" = "iommu=1 dom0_mem=2048M natsume=0000:05:00.1,cpu=2" ] ||
	bad "xen args of natsume-all: $(hosts_xen_args natsume-all)"
[ "$(hosts_entry_id natsume-all)" = natsume-harness-hosts-net-natsume-all ] || bad "entry id: $(hosts_entry_id natsume-all)"
m() { hosts_cmdline_matches "$1" "$2"; }
m "iommu=1 dom0_mem=2048M" "console=com1 iommu=1 dom0_mem=2048M" || bad "extra options must be allowed"
m "iommu=1 dom0_mem=2048M" "iommu=1" && bad "a missing option must not match"
m "iommu=1" "iommu=1 natsume=0000:05:00.1,cpu=2" && bad "natsume= where none is expected must not match"
m "iommu=1 natsume=0000:05:00.1,cpu=2" "iommu=1 natsume=0000:05:00.1,cpu=3" && bad "another natsume= must not match"
m "iommu=1 natsume=0000:05:00.1,cpu=2" "natsume=0000:05:00.1,cpu=2 iommu=1" || bad "order must not matter"
m "" "" || bad "empty matches empty"
# the guest module for the guest's own kernel, checked by vermagic
top_saved=$top
top=$tmp/tree
mkdir -p "$top/build/rel/modules/6.1.0-99-amd64" "$top/build/san/modules/6.1.0-98-amd64"
mk_ko() { # DIR VERMAGIC: a module object whose .modinfo says VERMAGIC
	printf 'static const char m[] __attribute__((section(".modinfo"), used)) = "vermagic=%s";\n' "$2" >"$tmp/m.c"
	cc -c -o "$1/nt_guest_probe.ko" "$tmp/m.c"
}
if command -v modinfo >/dev/null && command -v cc >/dev/null; then
	mk_ko "$top/build/rel/modules/6.1.0-99-amd64" "6.1.0-99-amd64 SMP preempt mod_unload modversions "
	mk_ko "$top/build/san/modules/6.1.0-98-amd64" "6.1.0-97-amd64 SMP preempt mod_unload modversions "
	ko=$(hosts_guest_module 6.1.0-99-amd64) && [ "$ko" = "$top/build/rel/modules/6.1.0-99-amd64/nt_guest_probe.ko" ] ||
		bad "guest module for 6.1.0-99-amd64: '$ko' $HOSTS_WHY"
	hosts_guest_module 6.1.0-98-amd64 >/dev/null && bad "a module with another vermagic was taken"
	grep -q "vermagic '6.1.0-97-amd64 SMP" <<<"$HOSTS_WHY" || bad "vermagic refusal: $HOSTS_WHY"
	hosts_guest_module 6.1.0-1-amd64 >/dev/null && bad "a kernel with no module found one"
	grep -q "make -C guest-probe KVER=6.1.0-1-amd64" <<<"$HOSTS_WHY" || bad "no module: $HOSTS_WHY"
else
	bad "modinfo (kmod) or cc missing"
fi
top=$top_saved
[ $fail = 0 ] && echo "inventory: example and minimal parse, ${#cases[@]} malformed cases refused at the right line"
exit $fail

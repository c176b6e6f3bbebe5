#!/usr/bin/env bash
# boot.sh: boot Xen with a PV dom0 under QEMU TCG (the emulated testbed).
#   boot.sh --xen FILE [--xen-args "ARGS"] [--share DIR] [--nic-port PORT]
#           [--iommu] [--log FILE] [--timeout SECONDS]
# --xen       the hypervisor: the 32-bit multiboot ELF "xen" (build-xen.sh
#             writes build/xen/out/xen) or a xen.gz (gunzipped here)
# --xen-args  extra Xen command-line options (e.g. "natsume=0000:00:03.0,cpu=1")
# --share     directory shared with dom0 as 9p tag "host" (/mnt/host); dom0's
#             init runs job.sh from it and powers off (see testbed/init)
# --nic-port  an e1000e NIC (MSI-X, 0000:00:03.0) on a QEMU socket netdev:
#             every UDP datagram sent to 127.0.0.1:PORT arrives as one frame
# --e1000     also two e1000 functions sharing one INTx line (00:09.0, 00:09.1)
# --iommu     q35 with an emulated VT-d (interrupt remapping) and Xen iommu=1,
#             for PCI passthrough to a domU
# --log       serial console log (default: stdout)
# --timeout   kill QEMU after this many seconds (default 600); exit 124 then
# Exit status: QEMU's (0 when dom0 powered off), 124 on timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-2}"; }
xen= xen_args= share= nic_port= iommu=0 log= tmo=600 e1000=0
while [ $# -gt 0 ]; do
	case "$1" in
	--xen|--xen-args|--share|--nic-port|--log|--timeout)
		[ $# -ge 2 ] || { echo "boot.sh: $1 needs a value" >&2; exit 2; } ;;
	esac
	case "$1" in
	--xen) xen=${2:?}; shift 2 ;;
	--xen-args) xen_args=${2?}; shift 2 ;;
	--share) share=${2:?}; shift 2 ;;
	--nic-port) nic_port=${2:?}; shift 2 ;;
	--e1000) e1000=1; shift ;;
	--iommu) iommu=1; shift ;;
	--log) log=${2:?}; shift 2 ;;
	--timeout) tmo=${2:?}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "boot.sh: unknown option $1" >&2; usage 2 ;;
	esac
done
[ -n "$xen" ] || { echo "boot.sh: --xen is required" >&2; exit 2; }
[ -f "$xen" ] || { echo "boot.sh: no such file $xen" >&2; exit 2; }
case "$tmo" in ''|*[!0-9]*) echo "boot.sh: bad --timeout $tmo" >&2; exit 2 ;; esac
if [ -n "$nic_port" ]; then
	case "$nic_port" in ''|*[!0-9]*) echo "boot.sh: bad --nic-port $nic_port" >&2; exit 2 ;; esac
	[ "$nic_port" -gt 1024 ] && [ "$nic_port" -lt 65535 ] ||
		{ echo "boot.sh: --nic-port out of range" >&2; exit 2; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nt-boot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
case "$xen" in
*.gz) gunzip -c "$xen" >"$tmp/xen"; xen=$tmp/xen ;;
esac
mapfile -t img < <("$here/mkinitramfs.sh")
initrd=${img[0]} kernel=${img[1]}

xcmd="console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=2"
xcmd="$xcmd smap=0 bootscrub=0 loglvl=all guest_loglvl=all noreboot=false"
machine=q35
dev=()
if [ $iommu = 1 ]; then
	machine=q35,kernel-irqchip=split
	dev+=(-device intel-iommu,intremap=on)
	xcmd="$xcmd iommu=1"
fi
xcmd="$xcmd $xen_args"
if [ -n "$nic_port" ]; then
	dev+=(-netdev "socket,id=n0,udp=127.0.0.1:$((nic_port + 1)),localaddr=127.0.0.1:$nic_port"
	      -device "e1000e,netdev=n0,addr=0x3,mac=52:54:00:12:34:03")
fi
if [ $e1000 = 1 ]; then
	dev+=(-netdev user,id=n1,restrict=on -netdev user,id=n2,restrict=on
	      -device "e1000,netdev=n1,addr=0x9.0,multifunction=on,mac=52:54:00:12:34:90"
	      -device "e1000,netdev=n2,addr=0x9.1,mac=52:54:00:12:34:91")
fi
if [ -n "$share" ]; then
	[ -d "$share" ] || { echo "boot.sh: no such directory $share" >&2; exit 2; }
	dev+=(-fsdev "local,id=fs0,path=$share,security_model=none"
	      -device "virtio-9p-pci,fsdev=fs0,mount_tag=host,addr=0x4")
fi
# Kernel arguments inside -initrd must not contain commas.
kcmd="console=hvc0 earlyprintk=xen loglevel=5 nomodeset"
serial=(-serial stdio)
[ -n "$log" ] && serial=(-serial "file:$log")
set +e
timeout -k 10 "$tmo" qemu-system-x86_64 -accel tcg -machine "$machine" -m 2048 -smp 2 \
	-cpu max -display none -vga none -monitor none -no-reboot -nodefaults \
	"${serial[@]}" -kernel "$xen" -append "$xcmd" \
	-initrd "$kernel $kcmd,$initrd" "${dev[@]}" </dev/null
rc=$?
exit $rc

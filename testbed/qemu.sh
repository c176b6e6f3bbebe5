#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# qemu.sh: boot one emulated machine under QEMU TCG (q35): Xen with a PV dom0
# (--xen), or a plain Linux kernel.  Runs in the foreground; its pid is the
# pid of `timeout`, so that SIGTERM/SIGINT to it reach QEMU.
#
#   qemu.sh --kernel VMLINUZ --initrd IMAGE [--xen XEN [--xen-args ARGS]
#           [--dom0-mem MB]] [--append ARGS] [--mem MB] [--smp N] [--iommu]
#           [--share DIR] [--tools DIR] [--nic SPEC]... [--disk SPEC]... [--ssh PORT] [--log FILE]
#           [--icount SPEC] [--timeout S]
#
# --kernel    the Linux kernel (dom0's under --xen)
# --initrd    its initramfs (testbed/mkimage.sh)
# --xen       the hypervisor: the multiboot ELF "xen" or a xen.gz (unpacked
#             once into build/testbed/xen-unpacked/); QEMU loads it with -kernel
# --xen-args  extra Xen command-line options (e.g. natsume=0000:00:03.0,cpu=1)
# --dom0-mem  dom0's memory in MiB (default 768)
# --append    extra kernel command-line options (no commas under --xen: the
#             kernel line travels inside -initrd)
# --mem       guest RAM in MiB (default 2048); --smp vCPUs (default 2)
# --iommu     emulated VT-d with interrupt remapping (kernel-irqchip=split),
#             and Xen iommu=1: PCI passthrough to a domU
# --share     directory shared as 9p tag "host" (testbed/init mounts it on
#             /mnt/host and runs its job agent there)
# --tools     directory shared read-only as 9p tag "tools" (/mnt/tools): the
#             programs, steps and domU images the jobs use
# --nic SPEC  a NIC on a QEMU socket netdev: every UDP datagram sent to
#             127.0.0.1:PORT arrives as one Ethernet frame (no root, no tap);
#             what the guest sends goes to 127.0.0.1:PORT+1.
#             SPEC = model=e1000e|e1000,port=PORT[,remote=PORT][,addr=SLOT.FN][,mac=MAC][,multifunction]
#             With tap=IFNAME instead of port=PORT the NIC is on that tap device
#             (created beforehand, e.g. inside a network namespace a test owns):
#             a real interface on this side, for programs that send with --iface.
#             Two functions of one slot (addr=0x3.0,multifunction and addr=0x3.1)
#             share the slot's INTA line.  remote= sends to that port instead of
#             PORT+1: a NIC with port=P+1,remote=P of a second QEMU is the other
#             end of the cable of this machine's port=P NIC.
# --disk SPEC a disk controller with its own raw image, for passthrough tests:
#             SPEC = model=nvme,file=IMAGE[,addr=SLOT]  (QEMU's NVMe controller,
#             MSI-X, one namespace; the image is written in place)
# --ssh PORT  a control NIC (e1000, MAC 52:54:00:5e:00:16) on QEMU user
#             networking 198.51.100.0/24, restricted (no way out), with the
#             host's 127.0.0.1:PORT forwarded to 198.51.100.15:22: the ssh
#             server of testbed/ssh-overlay.sh
# --log       serial console log (default: stdout)
# --icount    QEMU's -icount SPEC (e.g. shift=auto,align=off,sleep=on): the
#             emulated clocks (TSC, PIT, HPET, local APIC timers) advance with
#             executed instructions, not with the host's time, so a host stall
#             stalls the machine's time too instead of losing its timer ticks;
#             TCG then emulates every vCPU in one host thread, in turn
# --timeout   kill QEMU after S seconds (default 600); exit 124 then
# QEMU's threads carry names (debug-threads): "CPU N/TCG" emulates pCPU N.
# Exit status: QEMU's (0 after a clean poweroff), 124 on timeout, 2 bad usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PROG=qemu.sh
usage() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit "${1:-2}"; }
die() { echo "$PROG: $*" >&2; exit 2; }
isnum() { case "$1" in ''|*[!0-9]*) return 1 ;; esac; }

kernel= initrd= xen= xen_args= dom0_mem=768 append= mem=2048 smp=2 iommu=0 share= tools= log= tmo=600 sshp= icount=
nics=()
disks=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage 0 ;;
	--iommu) iommu=1; shift; continue ;;
	--kernel|--initrd|--xen|--xen-args|--dom0-mem|--append|--mem|--smp|--share|--tools|--nic|--disk|--ssh|--log|--icount|--timeout)
		[ $# -ge 2 ] || die "$1 needs a value" ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	case "$1" in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--xen) xen=$2 ;;
	--xen-args) xen_args=$2 ;;
	--dom0-mem) dom0_mem=$2 ;;
	--append) append=$2 ;;
	--mem) mem=$2 ;;
	--smp) smp=$2 ;;
	--share) share=$2 ;;
	--tools) tools=$2 ;;
	--nic) nics+=("$2") ;;
	--disk) disks+=("$2") ;;
	--ssh) sshp=$2 ;;
	--log) log=$2 ;;
	--icount) icount=$2 ;;
	--timeout) tmo=$2 ;;
	esac
	shift 2
done
[ -f "$kernel" ] || die "--kernel: no such file '$kernel'"
[ -f "$initrd" ] || die "--initrd: no such file '$initrd'"
for n in dom0_mem mem smp tmo; do isnum "${!n}" && [ "${!n}" -gt 0 ] || die "bad number for $n: '${!n}'"; done
[ -z "$share" ] || [ -d "$share" ] || die "--share: no such directory '$share'"
[ -z "$tools" ] || [ -d "$tools" ] || die "--tools: no such directory '$tools'"
[ -z "$icount" ] || [[ $icount =~ ^(shift=(auto|[0-9]|10)|align=(on|off)|sleep=(on|off))(,(shift=(auto|[0-9]|10)|align=(on|off)|sleep=(on|off)))*$ ]] ||
	die "--icount: bad spec '$icount' (shift=auto|0..10, align=on|off, sleep=on|off, comma-separated)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"

machine=q35
dev=()
if [ $iommu = 1 ]; then
	machine=q35,kernel-irqchip=split
	dev+=(-device intel-iommu,intremap=on)
fi

# NICs: model, socket netdev, PCI address
i=0
for spec in "${nics[@]}"; do
	model= port= remote= addr= mac= mf= tap=
	IFS=, read -r -a kv <<<"$spec"
	for p in "${kv[@]}"; do
		case "$p" in
		model=e1000e|model=e1000) model=${p#model=} ;;
		port=*) port=${p#port=} ;;
		remote=*) remote=${p#remote=} ;;
		tap=*) tap=${p#tap=} ;;
		addr=*) addr=${p#addr=} ;;
		mac=*) mac=${p#mac=} ;;
		multifunction|multifunction=on) mf=,multifunction=on ;;
		*) die "--nic: bad item '$p' in '$spec'" ;;
		esac
	done
	[ -n "$model" ] || die "--nic: model=e1000e or model=e1000 is required ('$spec')"
	if [ -n "$tap" ]; then
		[ -z "$port$remote" ] || die "--nic: port= or tap=, not both ('$spec')"
		[[ $tap =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "--nic: bad tap name in '$spec'"
		dev+=(-netdev "tap,id=n$i,ifname=$tap,script=no,downscript=no")
	else
		isnum "$port" && [ "$port" -gt 1024 ] && [ "$port" -lt 65535 ] || die "--nic: bad port in '$spec'"
		[ -n "$remote" ] || remote=$((port + 1))
		isnum "$remote" && [ "$remote" -gt 1024 ] && [ "$remote" -le 65535 ] || die "--nic: bad remote port in '$spec'"
		dev+=(-netdev "socket,id=n$i,udp=127.0.0.1:$remote,localaddr=127.0.0.1:$port")
	fi
	dev+=(-device "$model,netdev=n$i${addr:+,addr=$addr}${mac:+,mac=$mac}$mf")
	i=$((i + 1))
done
# disk controllers: model, raw image, PCI address
i=0
for spec in "${disks[@]}"; do
	model= file= addr=
	IFS=, read -r -a kv <<<"$spec"
	for p in "${kv[@]}"; do
		case "$p" in
		model=nvme) model=nvme ;;
		file=*) file=${p#file=} ;;
		addr=*) addr=${p#addr=} ;;
		*) die "--disk: bad item '$p' in '$spec'" ;;
		esac
	done
	[ "$model" = nvme ] || die "--disk: model=nvme is required ('$spec')"
	[ -f "$file" ] && [ -w "$file" ] || die "--disk: no writable image file '$file'"
	case "$file" in *,*) die "--disk: the image path must not contain a comma ('$file')" ;; esac
	dev+=(-drive "file=$file,if=none,id=d$i,format=raw"
	      -device "nvme,drive=d$i,serial=nt$i${addr:+,addr=$addr}")
	i=$((i + 1))
done
if [ -n "$sshp" ]; then
	isnum "$sshp" && [ "$sshp" -gt 1024 ] && [ "$sshp" -lt 65536 ] || die "--ssh: bad port '$sshp'"
	dev+=(-netdev "user,id=ctl,net=198.51.100.0/24,host=198.51.100.1,restrict=on,hostfwd=tcp:127.0.0.1:$sshp-198.51.100.15:22"
	      -device "e1000,netdev=ctl,mac=52:54:00:5e:00:16")
fi
if [ -n "$share" ]; then
	dev+=(-fsdev "local,id=fs0,path=$share,security_model=none"
	      -device "virtio-9p-pci,fsdev=fs0,mount_tag=host")
fi
if [ -n "$tools" ]; then
	dev+=(-fsdev "local,id=fs1,path=$tools,security_model=none,readonly=on"
	      -device "virtio-9p-pci,fsdev=fs1,mount_tag=tools")
fi

if [ -n "$xen" ]; then
	[ -f "$xen" ] || die "--xen: no such file '$xen'"
	case "$xen" in
	*.gz)	# QEMU's multiboot loader wants the ELF: unpack once, keyed by content
		key=$(sha256sum "$xen" | cut -c1-16)
		un=${NT_BUILD_TOP:-$top/build}/testbed/xen-unpacked/$key.xen
		if [ ! -f "$un" ]; then
			mkdir -p "$(dirname "$un")"
			gunzip -c "$xen" >"$un.tmp.$$" && mv "$un.tmp.$$" "$un"
		fi
		xen=$un ;;
	esac
	xcmd="console=com1 com1=115200,8n1 dom0_mem=${dom0_mem}M,max:${dom0_mem}M dom0_max_vcpus=$smp"
	# smap=0: with -cpu max a PV dom0 faults at its first instruction otherwise
	xcmd="$xcmd smap=0 bootscrub=0 loglvl=all guest_loglvl=all noreboot=false"
	# spec-ctrl=eager-fpu: TCG's -cpu max says AMD, so Xen would switch the
	# FPU/AVX state lazily (CR0.TS, restore on #NM); under QEMU's TCG that
	# damaged user programs' vector registers in dom0 and the domUs
	# (docs/scenarios.md, "Damaged rows in dom0's hv.csv")
	xcmd="$xcmd spec-ctrl=eager-fpu"
	[ $iommu = 1 ] && xcmd="$xcmd iommu=1"
	xcmd="$xcmd $xen_args"
	kcmd="console=hvc0 earlyprintk=xen loglevel=5 nomodeset $append"
	case "$kcmd" in *,*) die "--append: no commas under --xen (the kernel line rides in -initrd)" ;; esac
	boot=(-kernel "$xen" -append "$xcmd" -initrd "$kernel $kcmd,$initrd")
else
	[ -z "$xen_args" ] || die "--xen-args needs --xen"
	boot=(-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 loglevel=5 $append")
fi
serial=(-serial stdio)
[ -n "$icount" ] && dev+=(-icount "$icount")
[ -n "$log" ] && serial=(-serial "file:$log")
exec timeout -k 10 "$tmo" qemu-system-x86_64 -accel tcg -machine "$machine" -m "$mem" -smp "$smp" \
	-cpu max -display none -vga none -monitor none -no-reboot -nodefaults -name nt,debug-threads=on \
	"${serial[@]}" "${boot[@]}" "${dev[@]}" </dev/null

# SPDX-License-Identifier: GPL-2.0
# dom0-info.sh: what the machine is.  In: NT_OUT.  Out: xl-info.txt,
# xen-cmdline.txt, xl-dmesg-boot.txt, dom0.txt (kernel, CPUs, modules),
# pci.txt (one line per device: BDF vendor:device class driver irq).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
xl info >"$NT_OUT/xl-info.txt" 2>&1 || { echo "dom0-info: xl info failed" >&2; exit 1; }
sed -n 's/^xen_commandline *: //p' "$NT_OUT/xl-info.txt" >"$NT_OUT/xen-cmdline.txt"
xl dmesg >"$NT_OUT/xl-dmesg-boot.txt" 2>&1
{
	echo "kernel=$(uname -r)"
	echo "kernel_cmdline=$(cat /proc/cmdline)"
	echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "uptime_s=$(nt_uptime)"
	echo "modules=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
} >"$NT_OUT/dom0.txt"
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/vendor" ] || continue
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	echo "${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $(cat "$d/class") $drv $(cat "$d/irq" 2>/dev/null)"
done >"$NT_OUT/pci.txt"
exit 0

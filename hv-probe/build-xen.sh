#!/usr/bin/env bash
# build-xen.sh: build a Xen 4.17 hypervisor with the Natsume patch series.
#   build-xen.sh [--upto N] [--out DIR] [--patches DIR] [--jobs N] [--check-only] [--force]
# 1. gets Debian's Xen source package (XEN_DEB_VERSION, default below) with
#    apt-get source, using a private deb-src list under build/xen/apt (the
#    host's apt configuration is not touched),
# 2. unpacks it with dpkg-source -x (which applies Debian's debian/patches),
# 3. checks that every patch of hv-probe/patches/series applies without fuzz
#    (patch --dry-run), then applies them in order (only the first N with
#    --upto N, e.g. --upto 4 is Natsume-Vector without the fast handler),
# 4. builds the hypervisor (make -C xen defconfig; make -C xen).
# Outputs in DIR (default build/xen/out, or build/xen/out-upto-N): xen.gz,
# xen (the 32-bit multiboot ELF that QEMU -kernel loads), xen-syms, config,
# series (the patches applied).  Cached: a second run with the same inputs
# returns at once; a changed series rebuilds from a fresh tree.
# --check-only stops after step 3.  --patches DIR takes the series from DIR
# (default hv-probe/patches).
# Needs: dpkg-dev, build-essential, bison, flex, python3 (hv-probe/deps.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
ver=${XEN_DEB_VERSION:-4.17.5+72-g01140da4e8-1}
mirror=${XEN_DEB_MIRROR:-http://deb.debian.org/debian}
suite=${XEN_DEB_SUITE:-bookworm}
work=$top/build/xen
upto= out= jobs=$(nproc) check_only=0 force=0 pdir=$here/patches
prog=build-xen
die() { echo "$prog: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--upto) upto=${2:-}; shift 2 || usage 2 ;;
	--out) out=${2:-}; shift 2 || usage 2 ;;
	--patches) pdir=${2:-}; shift 2 || usage 2 ;;
	--jobs|-j) jobs=${2:-}; shift 2 || usage 2 ;;
	--check-only) check_only=1; shift ;;
	--force) force=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "$prog: unknown option '$1'" >&2; usage 2 ;;
	esac
done
for n in "$jobs" ${upto:+"$upto"}; do
	case "$n" in ''|*[!0-9]*) echo "$prog: bad number '$n'" >&2; exit 2 ;; esac
done

for t in apt-get dpkg-source patch make gcc bison flex python3 sha256sum; do
	command -v "$t" >/dev/null ||
		die "missing tool '$t' (install the packages of hv-probe/deps.txt: scripts/deps.sh)"
done

# The series.
[ -f "$pdir/series" ] || { echo "$prog: no series file in $pdir" >&2; exit 2; }
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$pdir/series")
[ ${#series[@]} -gt 0 ] || die "empty series file"
if [ -n "$upto" ]; then
	[ "$upto" -ge 1 ] && [ "$upto" -le ${#series[@]} ] ||
		{ echo "$prog: --upto must be 1..${#series[@]}" >&2; exit 2; }
	series=("${series[@]:0:$upto}")
	out=${out:-$work/out-upto-$upto}
fi
out=${out:-$work/out}
for p in "${series[@]}"; do
	[ -f "$pdir/$p" ] || die "series names $p, which is missing"
done
key=$( { echo "$ver"; sed -n '/^# build-key/,$p' "$0"; for p in "${series[@]}"; do
	echo "== $p"; cat "$pdir/$p"; done; } | sha256sum | cut -c1-16)
if [ $force = 0 ] && [ $check_only = 0 ] && [ -f "$out/xen.gz" ] &&
   [ "$(cat "$out/key" 2>/dev/null)" = "$key" ]; then
	echo "$prog: up to date: $out/xen.gz (${#series[@]} patches)"
	exit 0
fi

# build-key: changes below this line rebuild.
# 1. Source package, through a private apt configuration.
apt=$work/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$work/src"
echo "deb-src $mirror $suite main" >"$apt/sources.list"
aopt=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root"
      -q)
dsc=$work/src/xen_${ver#*:}.dsc
if [ ! -f "$dsc" ]; then
	echo "$prog: fetching Debian source package xen=$ver" >&2
	apt-get "${aopt[@]}" update >&2 || die "apt-get update (deb-src $mirror $suite) failed"
	(cd "$work/src" && apt-get "${aopt[@]}" source --download-only "xen=$ver" >&2) ||
		die "apt-get source xen=$ver failed"
	[ -f "$dsc" ] || die "no $dsc after apt-get source"
fi

# 2. Pristine tree with Debian's patches.
pristine=$work/src/xen-$ver
if [ ! -f "$pristine/.nt-ok" ]; then
	rm -rf "$pristine"
	echo "$prog: unpacking with dpkg-source (applies debian/patches)" >&2
	(cd "$work/src" && dpkg-source -q -x "$dsc" "$pristine" >&2) || die "dpkg-source -x failed"
	touch "$pristine/.nt-ok"
fi

# 3. Patch check and application, on a fresh copy of the pristine tree
#    whenever the series changed.
tree=$out/tree
mkdir -p "$out"
applied=$(for p in "${series[@]}"; do sha256sum "$pdir/$p" | cut -c1-64; done)
if [ ! -f "$tree/.nt-applied" ] || [ "$(cat "$tree/.nt-applied")" != "$applied" ]; then
	rm -rf "$tree.new"
	cp -a "$pristine" "$tree.new"
	for p in "${series[@]}"; do
		if ! patch -d "$tree.new" -p1 -F0 -N --dry-run -s <"$pdir/$p" >"$out/patch.log" 2>&1; then
			cat "$out/patch.log" >&2
			die "patch $p does not apply cleanly to xen $ver"
		fi
		patch -d "$tree.new" -p1 -F0 -N -s <"$pdir/$p" >/dev/null ||
			die "patch $p failed"
		echo "$prog: applied $p" >&2
	done
	rm -rf "$tree"
	mv "$tree.new" "$tree"
	echo "$applied" >"$tree/.nt-applied"
else
	echo "$prog: series already applied in $tree" >&2
fi
if [ $check_only = 1 ]; then
	echo "$prog: all ${#series[@]} patches apply cleanly to xen $ver"
	exit 0
fi

# 4. Build.
echo "$prog: building xen (make -C xen -j$jobs), log $out/build.log" >&2
start=$(date +%s)
{
	[ -f "$tree/xen/.config" ] || make -C "$tree/xen" defconfig
	make -C "$tree/xen" olddefconfig
	make -C "$tree/xen" -j"$jobs"
} >"$out/build.log" 2>&1 || { tail -n 40 "$out/build.log" >&2; die "build failed (log $out/build.log)"; }
grep -q '^CONFIG_TRACEBUFFER=y' "$tree/xen/.config" || die "CONFIG_TRACEBUFFER is not set"
cp "$tree/xen/xen.gz" "$tree/xen/xen" "$tree/xen/xen-syms" "$out/"
cp "$tree/xen/.config" "$out/config"
printf '%s\n' "${series[@]}" >"$out/series"
echo "$key" >"$out/key"
echo "$prog: built $out/xen.gz in $(( $(date +%s) - start )) s (${#series[@]} patches, xen $ver)"

# SPDX-License-Identifier: GPL-2.0
# Strict parser of scenario files (docs/scenarios.md).  POSIX awk (mawk, gawk).
#   awk -f scn-parse.awk [-v scn_name=DEFAULT_NAME] [-v fname=NAME_IN_ERRORS] FILE.scn
#   awk -f scn-parse.awk -v kind=inventory [-v fname=...] FILE.hosts
# Prints the scenario in normal form, one "key=value" per line:
#   global keys as "key=value", variant keys as "variant.NAME.key=value",
#   and "variants=NAME NAME ..." in file order.
# With kind=inventory the file is a hosts inventory (docs/hosts.md): the
# same syntax, one section [hosts], its own keys; printed as "key=value".
# Values are normalised: durations in ns, rates as "mbps:N" / "pps:N" / "max" /
# "off", booleans as 1/0, CPUs as a number or "none", CPU lists as "0,1".
# Every error is printed as "FILE:LINE: error: ..." on stderr; exit 2 when
# there was any.

function err(msg, ln) {
	if (ln == "") ln = NR
	printf "%s:%s: error: %s\n", (fname != "" ? fname : FILENAME), ln, msg > "/dev/stderr"
	nerr++
}
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# The hosts inventory (kind=inventory): the machines of the hosts testbed.
# Replaces the scenario's key table; docs/hosts.md has the meaning of each key.
function inventory_keys(    k) {
	for (k in ksec) delete ksec[k]
	for (k in sections) delete sections[k]
	for (k in varok) delete varok[k]
	sections["hosts"] = 1
	secnames = "hosts"
	defkey("xen", "hosts", "host")
	defkey("xen.reboot", "hosts", "bool")
	defkey("xen.reboot_hook", "hosts", "path")
	defkey("xen.boot_timeout", "hosts", "dur")
	defkey("xen.args", "hosts", "xenargs")
	defkey("xen.eval_cpu", "hosts", "cpunum")
	defkey("xen.eval_nic", "hosts", "bdf")
	defkey("xen.load_nic", "hosts", "bdf")
	defkey("xen.load_iface", "hosts", "iface")
	defkey("xen.load_addr", "hosts", "ipv4")
	defkey("xen.dir", "hosts", "path")
	defkey("guest", "hosts", "host")
	defkey("guest.name", "hosts", "name")
	defkey("guest.config", "hosts", "path")
	defkey("guest.addr", "hosts", "ipv4")
	defkey("guest.mac", "hosts", "mac")
	defkey("send", "hosts", "target")
	defkey("send.iface", "hosts", "iface")
	defkey("flood", "hosts", "target")
	defkey("flood.iface", "hosts", "iface")
	defkey("ssh.options", "hosts", "text")
	defkey("ssh.timeout", "hosts", "dur")
}

# Key table: key -> "section type".  Sections a variant may override are
# marked in `varok`.
function defkey(k, sec, type) { ksec[k] = sec; ktype[k] = type }
BEGIN {
	nerr = 0; section = ""; nvar = 0
	defkey("name", "scenario", "name")
	defkey("title", "scenario", "text")
	defkey("testbed", "scenario", "enum:native|qemu-xen|hosts")
	defkey("experiment", "scenario", "enum:net|timer|io")
	defkey("baseline", "scenario", "name")
	defkey("paper", "scenario", "text")

	defkey("flood.rate", "traffic", "rate")
	defkey("flood.size", "traffic", "bytes")
	defkey("flood.backend", "traffic", "enum:sendmmsg|packet|pcap")
	defkey("probe.count", "traffic", "count")
	defkey("probe.interval", "traffic", "dur")
	defkey("probe.size", "traffic", "bytes")
	defkey("timer.period", "traffic", "dur")
	defkey("timer.count", "traffic", "count")

	defkey("flood.cpu", "pinning", "cpu")
	defkey("send.cpu", "pinning", "cpu")
	defkey("send.fifo", "pinning", "prio")
	defkey("recv.cpu", "pinning", "cpu")
	defkey("recv.busy_poll", "pinning", "bool")
	defkey("idle_guard", "pinning", "cpu")
	defkey("rps.cpus", "pinning", "cpus")
	defkey("timer.cpu", "pinning", "cpu")
	defkey("timer.fifo", "pinning", "prio")

	defkey("sources", "probes", "sources")
	defkey("stallmon", "probes", "bool")
	defkey("stallmon.mode", "probes", "enum:tick|spin")
	defkey("stallmon.threshold", "probes", "dur")
	defkey("stallmon.period", "probes", "dur")
	defkey("stallmon.cpus", "probes", "cpus")

	defkey("join_window", "measure", "dur")
	defkey("hist_bin_cycles", "measure", "count")
	# latency.N, period.N and span.N: see measure_key()

	defkey("natsume", "xen", "enum:off|cpu|vector|all|pit")
	defkey("busy_loop", "xen", "bool")
	defkey("nic.load", "xen", "enum:e1000-shared-intx|e1000e-msix")
	defkey("nic.eval", "xen", "enum:e1000e-msix|passthrough")
	defkey("eval.irq", "xen", "enum:intx|msix")
	defkey("eval.pin", "xen", "bool")
	defkey("eval.cpu", "xen", "cpu")
	defkey("dom0.cpus", "xen", "cpus")

	# the passthrough-cost experiment (experiment = io)
	defkey("io.config", "io", "enum:native|passthrough|paravirtual")
	defkey("io.load", "io", "enum:none|cpu|io")
	defkey("io.reps", "io", "count")
	defkey("dd.size", "io", "size")
	defkey("dd.block", "io", "size")
	defkey("iperf.time", "io", "dur")
	defkey("iperf.direction", "io", "enum:receive|send")
	defkey("stress.workers", "io", "count")
	defkey("disk.model", "io", "enum:nvme")
	defkey("disk.size", "io", "size")

	defkey("qemu.smp", "testbed", "count")
	defkey("qemu.mem", "testbed", "count")
	defkey("qemu.icount", "testbed", "enum:off|auto|0|1|2|3|4|5|6|7|8|9|10")
	defkey("inventory", "testbed", "path")

	varok["traffic"] = 1; varok["pinning"] = 1; varok["probes"] = 1; varok["xen"] = 1; varok["io"] = 1
	sections["scenario"] = 1; sections["traffic"] = 1; sections["pinning"] = 1
	sections["probes"] = 1; sections["measure"] = 1; sections["xen"] = 1; sections["testbed"] = 1
	sections["io"] = 1
	secnames = "scenario, traffic, pinning, probes, measure, xen, io, testbed, variant NAME"
	if (kind == "inventory") inventory_keys()

	split("send rx_kernel rx_user hv_entry hv_deliver guest_irq guest_pkt timer guest_irq_exit", evl, " ")
	for (i in evl) events[evl[i]] = 1
	split("send recv hv guest stallmon tick cyclictest", srl, " ")
	for (i in srl) srcs[srl[i]] = 1
}

function hex(s,    i, n, c) {
	n = 0; s = tolower(s)
	for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); n = n * 16 + c - 1 }
	return n
}
# A whole number as text without leading zeros: awk would print v + 0 above
# 2^31 as 3e+09 (mawk's %.6g).
function uint_text(s) { sub(/^0+/, "", s); return s == "" ? "0" : s }
function is_uint(s) { return s ~ /^[0-9]+$/ && length(s) <= 15 }
function is_num(s) { return s ~ /^[0-9]+(\.[0-9]+)?$/ && length(s) <= 20 }

# Normalise value v of type t; sets `nv` and returns 1, or reports and returns 0.
function norm(k, t, v,    n, u, a, i, parts, seen, p, q, mult) {
	if (t == "text") { nv = v; return 1 }
	if (t == "name") {
		if (v !~ /^[a-z0-9][a-z0-9_-]*$/ || length(v) > 64) {
			err(k " must be a name of lowercase letters, digits, '-' and '_' (got '" v "')"); return 0
		}
		nv = v; return 1
	}
	if (t == "host" || t == "target") {
		if (t == "target" && v == "local") { nv = v; return 1 }
		if (v !~ /^([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.:_-]*$/) {
			err(k " must be [user@]host" (t == "target" ? " or local" : "") " (got '" v "')"); return 0
		}
		nv = v; return 1
	}
	if (t == "path") {
		if (v !~ /^[A-Za-z0-9._\/+@:-]+$/) { err(k " must be a path without blanks or shell characters (got '" v "')"); return 0 }
		nv = v; return 1
	}
	if (t == "bdf") {
		# PCI address: [seg:]bus:dev.fn, normalised to 0000:00:03.0
		n = split(v, parts, /[:.]/)
		# (no regex intervals: mawk 1.3.4-20200120 lacks them)
		if (v !~ /^([0-9a-fA-F]+:)?[0-9a-fA-F][0-9a-fA-F]?:[0-1]?[0-9a-fA-F]\.[0-7]$/ ||
		    (n == 4 && length(parts[1]) > 4)) {
			err(k " must be a PCI address like 0000:03:00.0 (got '" v "')"); return 0
		}
		if (n == 3) { parts[4] = parts[3]; parts[3] = parts[2]; parts[2] = parts[1]; parts[1] = "0" }
		nv = sprintf("%04x:%02x:%02x.%d", hex(parts[1]), hex(parts[2]), hex(parts[3]), parts[4]); return 1
	}
	if (t == "xenargs") {
		# boot options go into a GRUB menu entry unquoted: no shell or GRUB
		# script characters, one blank between options
		if (v !~ /^[A-Za-z0-9=,._:\/+@ \t-]+$/) { err(k " must be boot options of letters, digits and = , . _ : / + @ - (got '" v "')"); return 0 }
		nv = v; gsub(/[ \t]+/, " ", nv); return 1
	}
	if (t == "iface") {
		if (v !~ /^[A-Za-z0-9._@-]+$/ || length(v) > 15) { err(k " must be a network interface name (got '" v "')"); return 0 }
		nv = v; return 1
	}
	if (t == "ipv4") {
		n = split(v, parts, ".")
		if (v !~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ || parts[1] > 255 || parts[2] > 255 || parts[3] > 255 || parts[4] > 255) {
			err(k " must be an IPv4 address like 192.0.2.10 (got '" v "')"); return 0
		}
		nv = (parts[1] + 0) "." (parts[2] + 0) "." (parts[3] + 0) "." (parts[4] + 0); return 1
	}
	if (t == "mac") {
		if (v !~ /^[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]$/) { err(k " must be a MAC address like 52:54:00:12:34:03 (got '" v "')"); return 0 }
		nv = tolower(v); return 1
	}
	if (substr(t, 1, 5) == "enum:") {
		n = split(substr(t, 6), a, "|")
		for (i = 1; i <= n; i++) if (v == a[i]) { nv = v; return 1 }
		err(k " must be one of " substr(t, 6) " (got '" v "')"); return 0
	}
	if (t == "bool") {
		if (v == "yes" || v == "true" || v == "on" || v == "1") { nv = 1; return 1 }
		if (v == "no" || v == "false" || v == "off" || v == "0") { nv = 0; return 1 }
		err(k " must be yes or no (got '" v "')"); return 0
	}
	if (t == "count") {
		if (!is_uint(v) || v + 0 < 1) { err(k " must be a whole number >= 1 (got '" v "')"); return 0 }
		nv = uint_text(v); return 1
	}
	if (t == "prio") {
		if (v == "none" || v == "no") { nv = "none"; return 1 }
		if (!is_uint(v) || v + 0 < 1 || v + 0 > 99) { err(k " must be a SCHED_FIFO priority 1..99 or none (got '" v "')"); return 0 }
		nv = v + 0; return 1
	}
	if (t == "cpu") {
		if (v == "none" || v == "any") { nv = "none"; return 1 }
		if (!is_uint(v) || v + 0 > 4095) { err(k " must be a CPU number or none (got '" v "')"); return 0 }
		nv = v + 0; return 1
	}
	if (t == "cpunum") {
		if (!is_uint(v) || v + 0 > 4095) { err(k " must be a CPU number (got '" v "')"); return 0 }
		nv = v + 0; return 1
	}
	if (t == "cpus") {
		if (v == "none") { nv = "none"; return 1 }
		if (v == "all") { nv = "all"; return 1 }
		n = split(v, parts, /[ \t]*,[ \t]*/)
		nv = ""
		for (i = 1; i <= n; i++) {
			if (!is_uint(parts[i]) || parts[i] + 0 > 4095 || (parts[i] + 0) in seen) {
				err(k " must be a list of distinct CPU numbers like 0,1 or none (got '" v "')"); return 0
			}
			seen[parts[i] + 0] = 1
			nv = nv (i > 1 ? "," : "") (parts[i] + 0)
		}
		return 1
	}
	if (t == "bytes") {
		u = v; sub(/[ \t]*(bytes|byte|B)$/, "", u)
		if (!is_uint(u) || u + 0 < 1 || u + 0 > 65507) { err(k " must be a size in bytes 1..65507 (got '" v "')"); return 0 }
		nv = u + 0; return 1
	}
	if (t == "size") {
		# "64 MiB", "1 MiB", "256 KiB", "4096 B": normal form in bytes
		u = v; n = v
		sub(/[ \t]*[A-Za-z]+$/, "", n); sub(/^[0-9]+[ \t]*/, "", u)
		mult = (u == "B" || u == "bytes") ? 1 : (u == "KiB") ? 1024 : (u == "MiB") ? 1048576 : (u == "GiB") ? 1073741824 : 0
		if (!is_uint(n) || !mult || n * mult < 1 || n * mult > 1099511627776) {
			err(k " must be a size like 64 MiB, 256 KiB or 4096 B, at most 1024 GiB (got '" v "')"); return 0
		}
		nv = sprintf("%.0f", n * mult); return 1
	}
	if (t == "dur") {
		# "10 ms", "10ms", "1.5 s", "250 us", "800 ns"
		u = v; n = v
		sub(/[ \t]*[a-z]+$/, "", n); sub(/^[0-9.]+[ \t]*/, "", u)
		if (!is_num(n) || (u != "s" && u != "ms" && u != "us" && u != "ns")) {
			err(k " must be a duration like 10 ms, 250 us or 1.5 s (got '" v "')"); return 0
		}
		mult = (u == "s") ? 1e9 : (u == "ms") ? 1e6 : (u == "us") ? 1e3 : 1
		q = n * mult
		if (q < 1 || q > 3600e9 || q != int(q)) { err(k " must be between 1 ns and 1 hour, in whole ns (got '" v "')"); return 0 }
		nv = sprintf("%.0f", q); return 1
	}
	if (t == "rate") {
		if (v == "max" || v == "off") { nv = v; return 1 }
		u = v; n = v
		sub(/[ \t]*[A-Za-z\/]+$/, "", n); sub(/^[0-9.]+[ \t]*/, "", u)
		if (!is_num(n) || n + 0 <= 0) { err(k " must be like 100 Mbit/s, 8000 pps, max or off (got '" v "')"); return 0 }
		if (u == "Mbit/s" || u == "Mbps" || u == "mbps") { if (n + 0 > 100000) { err(k " above 100000 Mbit/s"); return 0 } nv = "mbps:" n; return 1 }
		if (u == "pps") { if (!is_uint(n) || n + 0 > 100000000) { err(k " pps must be a whole number up to 1e8 (got '" v "')"); return 0 } nv = "pps:" (n + 0); return 1 }
		err(k " must be like 100 Mbit/s, 8000 pps, max or off (got '" v "')"); return 0
	}
	if (t == "sources") {
		n = split(v, parts, /[ \t]*,[ \t]*|[ \t]+/)
		nv = ""
		for (i = 1; i <= n; i++) {
			if (!(parts[i] in srcs) || parts[i] in seen) {
				err(k " must be a list of distinct sources among send, recv, hv, guest, stallmon (got '" v "')"); return 0
			}
			seen[parts[i]] = 1
			nv = nv (i > 1 ? "," : "") parts[i]
		}
		return 1
	}
	if (t == "pair") {
		n = split(v, parts, /[ \t]*:[ \t]*/)
		if (n != 2 || !(parts[1] in events) || !(parts[2] in events) || parts[1] == parts[2]) {
			err(k " must be FROM:TO with two different events among send, rx_kernel, rx_user, hv_entry, hv_deliver, guest_irq, guest_pkt, timer, guest_irq_exit (got '" v "')"); return 0
		}
		nv = parts[1] ":" parts[2]; return 1
	}
	if (t == "event") {
		if (!(v in events)) { err(k " must be an event name such as timer or guest_irq (got '" v "')"); return 0 }
		nv = v; return 1
	}
	err("internal: unknown type " t); return 0
}

# Required keys of an inventory, then its normal form.
function inventory_end(    k, n, i, x, j, keys) {
	if (!("xen" in keyline)) err("missing 'xen' in [hosts] (user@host of the Xen host's dom0)", L)
	if (!("guest" in keyline)) err("missing 'guest' in [hosts] (user@host of the evaluation guest)", L)
	if (!("guest.config" in keyline)) err("missing 'guest.config' in [hosts] (the evaluation guest's xl config on the Xen host)", L)
	if (!("guest.addr" in keyline)) err("missing 'guest.addr' in [hosts] (the evaluation NIC's address in the guest: where the probes go)", L)
	if (!("xen.eval_cpu" in keyline)) err("missing 'xen.eval_cpu' in [hosts] (the pCPU of the evaluation guest)", L)
	if (!("xen.eval_nic" in keyline)) err("missing 'xen.eval_nic' in [hosts] (the PCI address of the evaluation NIC)", L)
	if (("xen.reboot_hook" in keyline) && val["xen.reboot"] != 1)
		err("'xen.reboot_hook' needs 'xen.reboot = yes'", keyline["xen.reboot_hook"])
	if (nerr) { printf "%s: %d error(s)\n", (fname != "" ? fname : FILENAME), nerr > "/dev/stderr"; return }
	if (!("xen.reboot" in val)) val["xen.reboot"] = 0
	if (!("xen.boot_timeout" in val)) val["xen.boot_timeout"] = "300000000000"
	if (!("xen.dir" in val)) val["xen.dir"] = "/var/tmp/natsume-harness"
	if (!("guest.name" in val)) val["guest.name"] = "nt-eval"
	if (!("send" in val)) val["send"] = "local"
	if (!("flood" in val)) val["flood"] = "local"
	if (!("ssh.timeout" in val)) val["ssh.timeout"] = "10000000000"
	n = 0
	for (k in val) keys[++n] = k
	for (i = 2; i <= n; i++) { x = keys[i]; for (j = i - 1; j >= 1 && keys[j] > x; j--) keys[j + 1] = keys[j]; keys[j + 1] = x }
	for (i = 1; i <= n; i++) print keys[i] "=" val[keys[i]]
}

# Type of a [measure] key latency.N / period.N / span.N, or "".
function measure_key(k) {
	if (k ~ /^latency\.[0-9]+$/ && length(k) < 12) return "pair"
	if (k ~ /^period\.[0-9]+$/ && length(k) < 11) return "event"
	if (k ~ /^span\.[0-9]+$/ && length(k) < 9) return "event"
	return ""
}

{
	line = $0
	sub(/\r$/, "", line)
	if (line ~ /[^\t -~]/ && line !~ /^[ \t]*#/) {
		# Only printable ASCII outside comments: catches binary files and
		# smart quotes pasted from a paper.
		err("non-ASCII or control character"); next
	}
	t = trim(line)
	if (t == "" || t ~ /^[#;]/) next
	# inline comment: whitespace then '#'
	sub(/[ \t]+#.*$/, "", t)
	if (t ~ /^\[/) {
		if (kind == "inventory" && t !~ /^\[[a-z]+\]$/) { err("malformed section header '" t "' (an inventory has one section, [hosts])"); section = "?"; next }
		if (t ~ /^\[[ \t]*variant[ \t]*\]$/) { err("[variant] needs a name: [variant NAME]"); section = "?"; next }
		if (t ~ /^\[[a-z]+\]$/) {
			s = substr(t, 2, length(t) - 2)
			if (!(s in sections)) { err("unknown section [" s "] (sections: " secnames ")"); section = "?"; next }
			if (s in seensec) { err("section [" s "] appears twice (first on line " seensec[s] ")"); section = "?"; next }
			seensec[s] = NR; section = s; vname = ""; next
		}
		if (t ~ /^\[variant[ \t]+[^]]*\]$/) {
			v = substr(t, 2, length(t) - 2); sub(/^variant[ \t]+/, "", v); v = trim(v)
			if (v !~ /^[a-z0-9][a-z0-9_-]*$/ || length(v) > 40) { err("variant name '" v "' must be lowercase letters, digits, '-' and '_' (it names a folder)"); section = "?"; next }
			if (v in varline) { err("variant '" v "' defined twice (first on line " varline[v] ")"); section = "?"; next }
			varline[v] = NR; vorder[++nvar] = v; section = "variant"; vname = v; next
		}
		err("malformed section header '" t "' (expected [name] or [variant NAME])"); section = "?"; next
	}
	eq = index(t, "=")
	if (eq == 0) { err("expected 'key = value' or a [section] header, got '" t "'"); next }
	k = trim(substr(t, 1, eq - 1)); v = trim(substr(t, eq + 1))
	if (k !~ /^[a-z][a-z0-9_.]*$/) { err("bad key '" k "'"); next }
	if (section == "") { err("'" k "' before any [section]"); next }
	if (section == "?") next  # already reported
	if (v == "") { err("empty value for '" k "'"); next }

	if (section == "variant") {
		if (k == "description") { type = "text" }
		else if (measure_key(k) != "") { err("'" k "' belongs in [measure] and cannot differ per variant"); next }
		else if (!(k in ksec)) { err("unknown key '" k "' in [variant " vname "]"); next }
		else if (!(ksec[k] in varok)) { err("'" k "' belongs in [" ksec[k] "] and cannot differ per variant"); next }
		else type = ktype[k]
		full = "variant." vname "." k
	} else {
		type = ""
		if (section == "measure") type = measure_key(k)
		if (type == "") {
			if (!(k in ksec)) { err("unknown key '" k "' in [" section "]"); next }
			if (ksec[k] != section) { err("'" k "' belongs in [" ksec[k] "], not [" section "]"); next }
			type = ktype[k]
		}
		full = k
	}
	if (full in keyline) { err("'" k "' set twice (first on line " keyline[full] ")"); next }
	keyline[full] = NR
	if (norm(k, type, v)) val[full] = nv
}

END {
	if (NR == 0 && nerr == 0) { printf "%s: error: empty %s file\n", (fname != "" ? fname : FILENAME), (kind == "inventory" ? "inventory" : "scenario") > "/dev/stderr"; exit 2 }
	L = "end"
	if (kind == "inventory") { inventory_end(); exit nerr ? 2 : 0 }
	# Required keys and cross-checks.
	if (!("testbed" in val) && !("testbed" in keyline)) err("missing 'testbed' in [scenario]", L)
	if (!("experiment" in keyline)) val["experiment"] = "net"
	if (!("name" in keyline)) {
		if (scn_name !~ /^[a-z0-9][a-z0-9_-]*$/) err("missing 'name' in [scenario] (and the file name is not a usable name)", L)
		else val["name"] = scn_name
	}
	if (nvar == 0) err("no [variant NAME] section: a scenario needs at least one variant", L)
	if (val["experiment"] == "net") {
		if (!("probe.count" in keyline)) err("missing 'probe.count' in [traffic]", L)
		if (!("probe.interval" in keyline)) err("missing 'probe.interval' in [traffic]", L)
		if (!("latency.0" in keyline)) err("missing 'latency.0' in [measure] (the primary latency, e.g. send:rx_user)", L)
	} else if (val["experiment"] == "timer") {
		if (!("timer.count" in keyline)) err("missing 'timer.count' in [traffic]", L)
		if (!("period.0" in keyline)) err("missing 'period.0' in [measure] (e.g. timer)", L)
	} else if (val["experiment"] == "io") {
		if (!("io.reps" in keyline)) err("missing 'io.reps' in [io] (repetitions of each workload per variant)", L)
		if (!("dd.size" in keyline)) err("missing 'dd.size' in [io] (the size dd writes and reads, e.g. 64 MiB)", L)
		if (!("iperf.time" in keyline)) err("missing 'iperf.time' in [io] (the length of the iperf3 stream, e.g. 5 s)", L)
		for (i = 1; i <= nvar; i++) {
			if (!(("variant." vorder[i] ".io.config") in keyline) && !("io.config" in keyline))
				err("variant '" vorder[i] "' has no 'io.config' (native, passthrough or paravirtual)", L)
			if (!(("variant." vorder[i] ".io.load") in keyline) && !("io.load" in keyline))
				err("variant '" vorder[i] "' has no 'io.load' (none, cpu or io)", L)
			vl = "variant." vorder[i] "."
			ld = (vl "io.load") in val ? val[vl "io.load"] : val["io.load"]
			fr = (vl "flood.rate") in val ? val[vl "flood.rate"] : ("flood.rate" in val ? val["flood.rate"] : "off")
			if (ld == "io" && fr == "off")
				err("variant '" vorder[i] "' has io.load = io but no flood (set flood.rate in [traffic])", L)
		}
	}
	if ("baseline" in val && !(val["baseline"] in varline))
		err("baseline '" val["baseline"] "' is not one of the variants", keyline["baseline"])
	if (nerr) { printf "%s: %d error(s)\n", (fname != "" ? fname : FILENAME), nerr > "/dev/stderr"; exit 2 }

	vs = ""
	for (i = 1; i <= nvar; i++) vs = vs (i > 1 ? " " : "") vorder[i]
	print "variants=" vs
	if (!("baseline" in val)) val["baseline"] = vorder[1]
	n = 0
	for (k in val) keys[++n] = k
	# Stable output order (insertion sort; files are small).
	for (i = 2; i <= n; i++) { x = keys[i]; for (j = i - 1; j >= 1 && keys[j] > x; j--) keys[j + 1] = keys[j]; keys[j + 1] = x }
	for (i = 1; i <= n; i++) print keys[i] "=" val[keys[i]]
}

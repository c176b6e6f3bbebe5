#!/usr/bin/env bash
# timeout: 300
# nt-analyze convert: CSV -> binary -> CSV is lossless (byte-identical canonical
# CSV; every field, the unknown markers, the extremes of every width, unknown
# flag bits); binary -> CSV -> binary is byte-identical; statistics on the two
# forms agree; a long file crosses the reader's chunk boundaries; IN.meta is
# carried; bad input, --lenient, a full disk and usage errors; no output file
# is left behind on a failure.
. "$(dirname "$0")/lib.sh"
trap 'umount "$w/full" 2>/dev/null; rm -rf "$w"' EXIT
H=source,event,cpu,tsc,irq,vector,seq,dom,aux,flags

# every source, every event, every field at its extremes and unknown
{
	echo "$H"
	echo "hv,hv_entry,0,0,0,0,0,0,0,"
	echo "hv,hv_deliver,65534,18446744073709551615,4294967294,65534,18446744073709551614,65534,18446744073709551614,natsume"
	echo "guest,guest_irq,1,2,,,,,,"
	echo "guest,guest_pkt,,3,24,,17,,2,stalled|trunc32"
	echo "guest,timer,3,4,,236,,,1,late|natsume|converted|stalled|trunc32"
	echo "sender,send,0,918273645501,,,17,,918273640000,late"
	echo "receiver,rx_kernel,1,918273712345,,,17,,,converted"
	echo "receiver,rx_user,1,918273712999,,,17,,,"
	echo "monitor,stall,0,5,,,,,99,"
	echo "monitor,lost,,6,,,,,3,"
	echo "sender,probe_cost,2,7,,,,,48,late|0x40"
	echo "monitor,stall,1,8,,,,,,direct|0xffffffc0"
} >"$w/all.csv"
expect 0 'converted 12 records' "$A" convert "$w/all.csv" "$w/all.bin"
check "$(stat -c %s "$w/all.bin")" $((32 + 12 * 40)) "binary size"
expect 0 '' "$A" convert -q "$w/all.bin" "$w/all2.csv"
cmp -s "$w/all.csv" "$w/all2.csv" && check ok ok "csv->bin->csv" || check differ identical "csv->bin->csv"
expect 0 '' "$A" convert -q "$w/all2.csv" "$w/all2.bin"
cmp -s "$w/all.bin" "$w/all2.bin" && check ok ok "bin->csv->bin" || check differ identical "bin->csv->bin"
# --format overrides the name; "-" is stdout
expect 0 '' "$A" convert -q --format csv "$w/all.bin" "$w/x.dat"
cmp -s "$w/all.csv" "$w/x.dat" && check ok ok "--format csv" || check differ identical "--format csv"
"$A" convert -q --format bin "$w/all.csv" - >"$w/stdout.bin"
cmp -s "$w/all.bin" "$w/stdout.bin" && check ok ok "to stdout" || check differ identical "to stdout"
# non-canonical spellings (numeric flags, leading zeros, CRLF) give the same records
printf '%s\r\nsender,send,0,0918273645501,,,17,,918273640000,1\r\nreceiver,rx_kernel,01,918273712345,,,17,,,0x4\r\n' "$H" >"$w/odd.csv"
expect 0 '' "$A" convert -q "$w/odd.csv" "$w/odd.bin"
expect 0 '' "$A" convert -q "$w/odd.bin" "$w/odd2.csv"
check "$(sed -n 2,3p "$w/odd2.csv" | tr '\n' ' ')" \
	"sender,send,0,918273645501,,,17,,918273640000,late receiver,rx_kernel,1,918273712345,,,17,,,converted " \
	"non-canonical input, canonical output"

# a long file (several 1 MiB chunks, lines across their boundaries): the two
# forms give the same statistics, and the round trip is exact
awk 'BEGIN { print "'$H'"; t = 1000000; srand(7)
	for (i = 0; i < 60000; i++) { t += 100000 + int(rand() * 1000); x = 20000 + int(rand() * rand() * 70000)
		printf "sender,send,0,%.0f,,,%d,,%.0f,\n", t, i, t - 5
		if (i % 997 == 0) printf "monitor,stall,0,%.0f,,,,,%d,\n", t + 1, 500
		printf "receiver,rx_kernel,1,%.0f,,,%d,,,converted\n", t + x, i } }' >"$w/long.csv"
expect 0 '' "$A" convert -q "$w/long.csv" "$w/long.bin"
expect 0 '' "$A" convert -q "$w/long.bin" "$w/long2.csv"
cmp -s "$w/long.csv" "$w/long2.csv" && check ok ok "long round trip" || check differ identical "long round trip"
for f in long.csv long.bin; do
	"$A" stats --json --latency send:rx_kernel --join-window-cycles 1000000 "$w/$f" 2>/dev/null |
		sed 's/"files": \[[^]]*\]//' >"$w/$f.json"
done
cmp -s "$w/long.csv.json" "$w/long.bin.json" && check ok ok "stats CSV = stats binary" ||
	{ check differ identical "stats CSV = stats binary"; diff "$w/long.csv.json" "$w/long.bin.json" | head; }

# IN.meta is carried to OUT.meta with the conversion noted
printf 'tsc_hz=2596130000\nhost=x\n' >"$w/long.csv.meta"
expect 0 '' "$A" convert -q "$w/long.csv" "$w/m.bin"
check "$(sed -n 's/^tsc_hz=//p' "$w/m.bin.meta")" 2596130000 "meta carried"
check "$(sed -n 's/^converted_records=//p' "$w/m.bin.meta")" $(($(wc -l <"$w/long.csv") - 1)) "converted_records"

# bad input: an error with its line, no output left; --lenient skips and counts
printf '%s\nsender,send,0,1,,,1,,,\nsender,send,0,x,,,2,,,\nsender,send,0,3,,,3,,,\n' "$H" >"$w/bad.csv"
expect 1 'bad\.csv:3: bad tsc field' "$A" convert "$w/bad.csv" "$w/bad.bin"
check "$(ls "$w" | grep -c '^bad\.bin')" 0 "no output after an error"
expect 0 'converted 2 records \(1 malformed rows skipped\)' "$A" convert --lenient "$w/bad.csv" "$w/bad.bin"
head -c 100 "$w/all.bin" >"$w/trunc.bin"
expect 1 'truncated: 28 trailing bytes at byte offset 72' "$A" convert "$w/trunc.bin" "$w/trunc.csv"
check "$(ls "$w" | grep -c '^trunc\.csv')" 0 "no output after a truncated input"
# usage
expect 2 'same file' "$A" convert "$w/all.csv" "$w/all.csv"
expect 2 'want IN and OUT' "$A" convert "$w/all.csv"
expect 2 "bad value for --format: 'xml'" "$A" convert --format xml "$w/all.csv" "$w/y"
expect 1 'nosuch\.csv' "$A" convert "$w/nosuch.csv" "$w/y.bin"
expect 0 '' "$A" convert --help

# a full disk: the error is said, nothing is left under the output's name
if [ "$(id -u)" = 0 ] && mkdir -p "$w/full" && mount -t tmpfs -o size=64k tmpfs "$w/full" 2>/dev/null; then
	expect 1 'No space left on device' "$A" convert "$w/long.csv" "$w/full/long.bin"
	check "$(ls "$w/full" | wc -l)" 0 "nothing left on the full disk"
	umount "$w/full"
else
	echo "(full-disk case skipped: needs root and tmpfs)"
fi

finish test-convert

#!/usr/bin/env bash
# timeout: 300
# Malformed input: errors name the file and line (CSV) or byte offset (binary),
# exit 1; --lenient skips and counts bad rows; usage errors exit 2.
. "$(dirname "$0")/lib.sh"
H=source,event,cpu,tsc,irq,vector,seq,dom,aux,flags
L=(--latency send:rx_kernel)

# json KEY VALUE: a top-level or measure field in the last stdout
jget() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$w/out')); print(eval(sys.argv[1]))" "$1"; }

good="sender,send,0,100,,,1,,,
receiver,rx_kernel,1,150,,,1,,,converted"
printf '%s\n%s\nsender,send,0,1x0,,,2,,,\n' "$H" "$good" >"$w/badnum.csv"
expect 1 'badnum\.csv:4: bad tsc field .1x0.' "$A" stats "${L[@]}" "$w/badnum.csv"
printf '%s\n%s\nsender,send,0,100,,,2,,\n' "$H" "$good" >"$w/cols.csv"
expect 1 'cols\.csv:4: 9 fields, expected 10' "$A" stats "${L[@]}" "$w/cols.csv"
printf '%s\nsender,sned,0,100,,,2,,,\n' "$H" >"$w/ev.csv"
expect 1 "ev\.csv:2: unknown event 'sned'" "$A" stats "${L[@]}" "$w/ev.csv"
printf '%s\nsender,send,70000,100,,,2,,,\n' "$H" >"$w/cpu.csv"
expect 1 "cpu\.csv:2: bad cpu field '70000'" "$A" stats "${L[@]}" "$w/cpu.csv"
printf '%s\nsender,send,0,18446744073709551616,,,2,,,\n' "$H" >"$w/big.csv"
expect 1 "big\.csv:2: bad tsc field" "$A" stats "${L[@]}" "$w/big.csv"
printf '%s\nsender,send,0,,,,2,,,\n' "$H" >"$w/notsc.csv"
expect 1 "notsc\.csv:2: bad tsc field ''" "$A" stats "${L[@]}" "$w/notsc.csv"
printf '%s\nsender,send,0,5,,,2,,,bogus\n' "$H" >"$w/flags.csv"
expect 1 "flags\.csv:2: bad flags field 'bogus'" "$A" stats "${L[@]}" "$w/flags.csv"
: >"$w/empty.csv"
expect 1 'empty\.csv: empty file' "$A" stats "${L[@]}" "$w/empty.csv"
printf 'a,b,c\n%s\n' "$good" >"$w/hdr.csv"
expect 1 "hdr\.csv:1: header is not" "$A" stats "${L[@]}" "$w/hdr.csv"
# CRLF line ends and a blank line: still the right line number (4)
printf '%s\r\n%s\r\n\r\nsender,send,0,x,,,3,,,\r\n' "$H" "sender,send,0,100,,,1,,," >"$w/crlf.csv"
expect 1 'crlf\.csv:4: bad tsc' "$A" stats "${L[@]}" "$w/crlf.csv"
# a stray quote: the format has no quoting, so a quote is a bad character of
# its field, reported at its own line (inside a field or opening one)
printf '%s\n%s\nsen"der,send,0,100,,,2,,,\n' "$H" "$good" >"$w/quote.csv"
expect 1 "quote\\.csv:4: unknown source 'sen\"der'" "$A" stats "${L[@]}" "$w/quote.csv"
printf '%s\n%s\n"sender,send,0,100,,,2,,,\n%s\n' "$H" "$good" "$good" >"$w/quote2.csv"
expect 1 "quote2\\.csv:4: unknown source '\"sender'" "$A" stats "${L[@]}" "$w/quote2.csv"
expect 1 'nope\.csv: No such file' "$A" stats "${L[@]}" "$w/nope.csv"

# --lenient: bad rows skipped (with a warning naming the line) and counted
cat "$w/badnum.csv" >"$w/len.csv"
printf 'sender,send,0,100,,,7,,\nsen"der,send,0,100,,,2,,,\nsender,send,0,300,,,3,,,\nreceiver,rx_kernel,1,340,,,3,,,\n' >>"$w/len.csv"
expect 0 'warning: .*len\.csv:4: bad tsc field.*skipped' "$A" stats --json --lenient "${L[@]}" "$w/len.csv"
check "$(jget "d['bad_rows_skipped']")" 3 "lenient bad row count"
check "$(jget "d['measures'][0]['count']")" 2 "lenient sample count"
check "$(jget "d['measures'][0]['cycles']['max']")" 50 "lenient max"
# a quote opening a field costs its row only: the warning names line 9, the
# row on line 10 (a quote in its flags) is bad too, the rows after them (lines
# 11-16) are read (libcsv's quoting swallowed the rest of the file as one
# quoted field: 4 bad rows, 2 samples)
printf '"sender,send,0,400,,,4,,,\nreceiver,rx_kernel,1,420,,,4,,,"\n' >>"$w/len.csv"
for i in 5 6 7; do printf 'sender,send,0,%d00,,,%d,,,\nreceiver,rx_kernel,1,%d10,,,%d,,,\n' $i $i $i $i >>"$w/len.csv"; done
expect 0 "warning: .*len\\.csv:9: unknown source '\"sender'.*skipped" "$A" stats --json --lenient "${L[@]}" "$w/len.csv"
n=$((n + 1))
grep -q "len\.csv:10: bad flags field" "$w/err" || { echo "FAIL: no warning for line 10"; fail=$((fail + 1)); }
check "$(jget "d['bad_rows_skipped']")" 5 "lenient bad rows with quotes"
check "$(jget "d['measures'][0]['count']")" 5 "lenient samples after a quote"

# binary: header and truncation
bin() { # bin FILE NRECS EXTRA_BYTES [MAGIC]
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
path, n, extra = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
magic = sys.argv[4].encode() if len(sys.argv) > 4 else b"NTREC\r\n\x1a"
with open(path, "wb") as f:
    f.write(magic + struct.pack("<II", 1, 40) + b"\0" * 16)
    for i in range(n):
        ev, src = (1, 3) if i % 2 == 0 else (2, 4)
        f.write(struct.pack("<QQQIIHHHBB", 1000 + 10 * i, i // 2, 2**64 - 1, 2**32 - 1, 0, 0xffff, 0xffff, 0, src, ev))
    f.write(b"\x01" * extra)
PY
}
bin "$w/ok.bin" 6 0
expect 0 '' "$A" stats --json "${L[@]}" "$w/ok.bin"
check "$(jget "d['measures'][0]['count']")" 3 "binary sample count"
bin "$w/trunc.bin" 6 7
expect 1 'trunc\.bin: truncated: 7 trailing bytes at byte offset 272' "$A" stats "${L[@]}" "$w/trunc.bin"
expect 0 'warning: .*trunc\.bin: truncated: 7 trailing bytes.*lenient' "$A" stats --json --lenient "${L[@]}" "$w/trunc.bin"
check "$(jget "d['measures'][0]['count']")" 3 "truncated binary, lenient: records before the cut"
bin "$w/magic.bin" 2 0 'NOTREC!!'
expect 1 'magic\.bin: not a record file \(bad magic\)' "$A" stats "${L[@]}" "$w/magic.bin"
head -c 20 "$w/ok.bin" >"$w/short.bin"
expect 1 'short\.bin: truncated: 20 bytes' "$A" stats "${L[@]}" "$w/short.bin"
: >"$w/empty.bin"
expect 1 'empty\.bin: empty file' "$A" stats "${L[@]}" "$w/empty.bin"
/usr/bin/python3 -c "
import struct
f=open('$w/badev.bin','wb'); f.write(b'NTREC\r\n\x1a'+struct.pack('<II',1,40)+b'\0'*16)
f.write(struct.pack('<QQQIIHHHBB',1,1,0,0,0,0,0,0,3,99))"
expect 1 'badev\.bin: record 0 at byte offset 32: bad source 3 / event 99' "$A" stats "${L[@]}" "$w/badev.bin"

# usage errors: exit 2
expect 2 'missing command' "$A"
expect 2 "unknown command 'frob'" "$A" frob
expect 2 'give a measure' "$A" stats "$w/ok.bin"
expect 2 'no input FILE' "$A" stats "${L[@]}"
expect 2 'unknown event' "$A" stats --latency send:nothing "$w/ok.bin"
expect 2 'FROM and TO are the same' "$A" stats --latency send:send "$w/ok.bin"
expect 2 "unknown option '--frobnicate'" "$A" stats --frobnicate "${L[@]}" "$w/ok.bin"
expect 2 "bad value for --tsc-hz: '-5'" "$A" stats --tsc-hz -5 "${L[@]}" "$w/ok.bin"
# a frequency that is no TSC's (printed inf before): refused
expect 2 "bad value for --tsc-hz: '1e-300'" "$A" stats --tsc-hz 1e-300 "${L[@]}" "$w/ok.bin"
expect 2 "bad value for --hist-bin: '0'" "$A" stats --hist-bin 0 "${L[@]}" "$w/ok.bin"
expect 2 'want exactly one DIR' "$A" run
expect 2 "bad value for --confidence: '2'" "$A" compare --confidence 2 "$w"
expect 1 'not a folder' "$A" run "$w/nope"
expect 0 '' "$A" --help
expect 0 '' "$A" stats --help
expect 0 '' "$A" run --help
expect 0 '' "$A" compare --help

finish test-input

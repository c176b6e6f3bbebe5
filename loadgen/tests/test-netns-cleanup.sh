#!/usr/bin/env bash
# timeout: 60
# The loadgen tests' helper library removes every network namespace it made,
# also when the test exits early (regression: `A=$(mkns a)` ran mkns in a
# subshell, the cleanup list stayed empty and the namespaces leaked).
. "$(dirname "$0")/lib.sh"
need_netns
child=$tmp/child.sh
cat >"$child" <<EOS
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
mkns A a
mkns B b
echo "\$\$ \$A \$B"
ip netns list | grep -q "^\$A\b" || exit 3
exit 5 # an early exit, as a failing test does
EOS
out=$(bash "$child"); rc=$?
expect_eq "child exit" "$rc" 5
read -r cpid na nb <<<"$out"
expect_eq "namespace names" "$na $nb" "nt-loadgen-$cpid-a nt-loadgen-$cpid-b"
left=$(ip netns list | awk '{print $1}' | grep -c "^nt-loadgen-$cpid-")
expect_eq "namespaces left by the child" "$left" 0
finish test-netns-cleanup

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# The guest-probe QEMU test with the guest running as Xen's PV dom0 (Debian's
# stock Xen 4.17): interrupts reach Linux as Xen pirqs and event channels, the
# timer is Xen's; the same checks as test-qemu-probe.sh except the local APIC
# timer mode (a PV kernel has none).
NT_GP_MODE=xen-dom0 exec "$(dirname "$0")/test-qemu-probe.sh" "$@"

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace records written by the Natsume probe patches (hv-probe/patches/) into
 * Xen's trace buffers, and decoded by the collector (hv-probe/collector/).
 * Xen 4.17's public/trace.h does not have them: the patch series adds the same
 * constants there.  Keep the two in step.
 *
 * Class TRC_HW (0x0080), sub-class 0x4 (0x00804000, free in 4.17).
 * Every record has cycles=1 (64-bit header TSC = the time the record was
 * written).  The measured stamps travel in the payload, taken with
 * rdtsc_ordered() at the probe points; the record is written after the
 * measured work, so that tracing cost stays outside the measured interval.
 */
#ifndef NATSUME_TRACE_H
#define NATSUME_TRACE_H

#define TRC_HW_NATSUME          0x00804000
/* Hypervisor interrupt entry, written at the end of do_IRQ for guest-bound
 * interrupts and the Natsume vector.  The entry TSC is read in the interrupt
 * entry stub (common_interrupt) right after the registers are saved, before
 * the speculation-control and CR3 work; with the LATE flag it was
 * read at the first statement of do_IRQ instead (the first interrupt on a
 * CPU after tracing was enabled, or an interrupt that reached do_IRQ through
 * a VM exit):
 *  d0,d1 entry TSC lo,hi   d2 vector   d3 irq (0xffffffff if none)
 *  d4 flags (NATSUME_TRC_F_*)   d5 probe cost: the cycles this CPU spent
 *  writing all the records (DELIVERs + ENTRY) of its previous traced
 *  interrupt (0 if unknown, e.g. the first one)
 *  d6 cycles from the entry stamp to the first statement of
 *  do_IRQ: the stub's speculation and CR3 work (0 with LATE) */
#define TRC_HW_NATSUME_ENTRY    (TRC_HW_NATSUME + 0x1)
/* Guest notification, written after the guest was notified:
 *  d0,d1 notify TSC lo,hi (just before send_guest_pirq / vmsi delivery /
 *        the Natsume handler's delivery)
 *  d2,d3 entry TSC lo,hi of the same interrupt (0,0 if not carried)
 *  d4 irq   d5 vector << 16 | domid (vector 0xffff if unknown)
 *  d6 flags (NATSUME_TRC_F_*; the HVM path never sets NATSUME) */
#define TRC_HW_NATSUME_DELIVER  (TRC_HW_NATSUME + 0x2)
/* Boot/config: the natsume= option as parsed, written on the first traced
 * interrupt of the Natsume vector after the device's MSI was bound to it
 * (once per binding, so a second trace session of the same boot may not
 * see it):
 *  d0 seg<<16|bdf   d1 pcpu   d2 vector   d3 state (0 off, 1 armed, 2 bound) */
#define TRC_HW_NATSUME_CONFIG   (TRC_HW_NATSUME + 0x3)

/* Flags.  Xen's public/trace.h (patch 0001) names them TRC_HW_NATSUME_F_*.
 *  NATSUME alone: the dedicated vector, handled by the stock path (patch 4,
 *  "Natsume-Vector" without the handler); NATSUME|DIRECT: the lightweight
 *  Natsume handler (patch 5). */
#define NATSUME_TRC_F_NATSUME   0x1 /* Natsume vector / handler path */
#define NATSUME_TRC_F_GUEST     0x2 /* interrupt bound to a guest (IRQ_GUEST) */
#define NATSUME_TRC_F_PV        0x4 /* delivered through an event channel */
#define NATSUME_TRC_F_HVM       0x8 /* delivered through hvm_dirq_assist / vMSI */
#define NATSUME_TRC_F_DIRECT    0x10 /* the Natsume fast handler */
#define NATSUME_TRC_F_LATE      0x20 /* ENTRY: stamped in do_IRQ, not the stub */

#endif

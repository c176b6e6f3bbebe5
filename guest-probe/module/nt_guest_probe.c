// SPDX-License-Identifier: GPL-2.0
/*
 * nt_guest_probe: TSC stamps at the entry of chosen interrupt handlers in a
 * Linux guest, tied to the periodic sender's packet sequence numbers.
 *
 * Stamping points (all kernel tracepoints, no kprobes):
 *   irq:irq_handler_entry       guest_irq  (chosen IRQs, by number or name)
 *   irq:irq_handler_exit        guest_irq_exit (irq_exit=1: the same
 *                                interrupts, aux = their entry stamp)
 *   irq_vectors:local_timer_entry  timer   (timer=apic)
 *   a module hrtimer (hard irq)    timer   (timer=hrtimer)
 *   irq:irq_handler_entry of one IRQ  timer (timer=irq: timer_irq, or
 *                                  timer=virq: a Xen VIRQ the module binds)
 *   net:napi_gro_receive_entry, net:netif_receive_skb_entry,
 *   net:netif_rx_entry             guest_pkt (UDP payload with the nt magic)
 *
 * Every stamp is a struct nt_rec (include/nt/record.h) stored in a per-CPU
 * single-producer/single-consumer ring.  Producers run with interrupts off on
 * their own CPU (hard irq context, or local_irq_save in the receive path), so
 * a ring never has two writers at once; the only consumer is read() on
 * /dev/nt_guest_probe, serialised by a mutex.  Nothing is allocated on the
 * stamping path; a full ring drops the record and counts it, and the next
 * record that fits is preceded by a `lost` record carrying the count.
 *
 * read() blocks while every ring is empty (EAGAIN with O_NONBLOCK) and poll()
 * reports POLLIN when a record is waiting.  A sleeping reader "arms" the
 * producers; the first stamp after that wakes it (see ntgp_arm()), so the
 * stamping path pays one load of a flag and no memory barrier.
 *
 * A guest_pkt record carries irq = the last chosen IRQ stamped on the same
 * CPU and aux = the TSC of that guest_irq stamp; the reader (nt-guest-read)
 * copies the seq of the first packet after an IRQ stamp into that guest_irq
 * record.  NAPI runs the receive path on the CPU that took the interrupt.
 *
 * Control: module parameters, also writable at run time through
 * /sys/module/nt_guest_probe/parameters/{irqs,names,run_id,port}; the read
 * only stamp_tsc_start is the TSC when stamping began (the start of the
 * recording window the reader declares).
 * Statistics and the self-measured probe cost: /proc/nt_guest_probe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/uaccess.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/skbuff.h>
#include <linux/if_ether.h>
#include <linux/hrtimer.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/utsname.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <asm/irq_vectors.h>
#include <xen/xen.h>
#include <xen/events.h>

/* record.h defines the C99 limit names (UINT64_MAX...) for the kernel too. */
#include "nt/record.h"
#include "nt/payload.h"
#include "ntgp_parse.h"
#include "ntgp_ring.h"

#define NTGP_NAME      "nt_guest_probe"
#define NTGP_MAX_IRQ   4096
#define NTGP_MAX_NAMES 8
#define NTGP_NAME_LEN  32
#define NTGP_MIN_REC   16u
#define NTGP_MAX_REC   (1u << 20)
#define NTGP_CAL_BATCH 256
#define NTGP_CAL_BATCHES 16

/* ---------------------------------------------------------------- config */

struct ntgp_cfg {
	unsigned long irq_bits[BITS_TO_LONGS(NTGP_MAX_IRQ)];
	unsigned int nirqs;
	unsigned int nnames;
	struct {
		char s[NTGP_NAME_LEN];
		u8 len;
		u8 prefix; /* trailing '*': match names that start with s */
	} names[NTGP_MAX_NAMES];
	bool any_run;
	u32 run_id;
	u16 port; /* UDP destination port, 0 = any */
	struct rcu_head rcu;
};

/*
 * Until the module is live, parameters edit ntgp_cfg_boot in place (so a
 * refused load leaks nothing); afterwards every change publishes a fresh copy
 * under RCU and the stamping path never sees a half-written configuration.
 */
static struct ntgp_cfg ntgp_cfg_boot = { .any_run = true };
static struct ntgp_cfg __rcu *ntgp_cfg;
static bool ntgp_live;
static DEFINE_MUTEX(ntgp_cfg_lock);

static void ntgp_cfg_free(struct ntgp_cfg *c)
{
	if (c && c != &ntgp_cfg_boot)
		kfree_rcu(c, rcu);
}

enum { NTGP_TIMER_OFF, NTGP_TIMER_APIC, NTGP_TIMER_HRTIMER, NTGP_TIMER_IRQ,
       NTGP_TIMER_VIRQ };
static const char *const ntgp_timer_names[] = { "off", "apic", "hrtimer",
						"irq", "virq" };

static unsigned int buf_records = 8192;
static int timer_mode = NTGP_TIMER_OFF;
static unsigned int timer_period_us = 1000;
static int timer_cpu = -1;
static int timer_irq = -1;	/* timer=irq: the IRQ; timer=virq: bound IRQ */
static int timer_virq = -1;	/* timer=virq: the Xen VIRQ */
static bool rx_hook = true;
static bool exit_hook;
/*
 * The TSC when the module began stamping: its rings are ready and no probe,
 * timer or VIRQ is registered yet, so every stamp it takes is later.  The
 * start of its recording window (nt-guest-read: guest.stamp_tsc_start); read
 * only, through the parameter stamp_tsc_start.
 */
static u64 ntgp_stamp_tsc_start;

/* ------------------------------------------------------------------ rings */

/* struct ntgp_ring, ntgp_fill, ntgp_put, ntgp_cost: common/ntgp_ring.h */

static struct ntgp_ring __percpu *ntgp_rings;
static DEFINE_MUTEX(ntgp_read_lock);
static unsigned int ntgp_read_cpu;

/* a reader waits in read() or poll(): the next stamp wakes it */
static DECLARE_WAIT_QUEUE_HEAD(ntgp_wq);
static bool ntgp_armed;
static DEFINE_MUTEX(ntgp_arm_lock);

/* After storing a record, with interrupts still off. */
static __always_inline void ntgp_kick(void)
{
	if (unlikely(READ_ONCE(ntgp_armed))) {
		WRITE_ONCE(ntgp_armed, false);
		wake_up_interruptible(&ntgp_wq);
	}
}

/*
 * Testing aid: fail_alloc=N makes the N-th allocation of the module from now
 * on fail (1 = the next one), like the kernel's fail-nth for one task; the
 * Debian kernels the tests boot have no CONFIG_FAULT_INJECTION.
 */
static atomic_t ntgp_fail_nth = ATOMIC_INIT(0);

static bool ntgp_alloc_fails(void)
{
	/* counts down while positive; the allocation that reaches 0 fails */
	return atomic_dec_if_positive(&ntgp_fail_nth) == 0;
}

#define NTGP_ALLOC(expr) (ntgp_alloc_fails() ? NULL : (expr))

/* ----------------------------------------------------------- IRQ stamping */

static __always_inline bool ntgp_name_match(const struct ntgp_cfg *c,
					    const char *name)
{
	unsigned int i;

	if (!name)
		return false;
	for (i = 0; i < c->nnames; i++) {
		if (c->names[i].prefix) {
			if (!strncmp(name, c->names[i].s, c->names[i].len))
				return true;
		} else if (!strcmp(name, c->names[i].s)) {
			return true;
		}
	}
	return false;
}

/*
 * Chosen by number: stamp once per interrupt, at the first handler of the
 * line (a shared line runs one irq_handler_entry per action).  Chosen by
 * name: stamp that device's handler.
 */
/*
 * First handler of each line as last seen, to spare the descriptor lookup on
 * the stamping path.  Only compared, never dereferenced: a stale entry costs
 * one lookup (or, if freed memory came back as a later handler of the same
 * line, at most one extra stamp).
 */
static struct irqaction *ntgp_first[NTGP_MAX_IRQ];

/* Is action the first handler of the line irq (irq < NTGP_MAX_IRQ)? */
static __always_inline bool ntgp_first_action(int irq, struct irqaction *action)
{
	struct irq_data *d;
	struct irqaction *first;

	if (likely(READ_ONCE(ntgp_first[irq]) == action))
		return true;
	d = irq_get_irq_data(irq);
	if (!d)
		return true;
	first = READ_ONCE(irq_data_to_desc(d)->action);
	WRITE_ONCE(ntgp_first[irq], first);
	return first == action;
}

enum { NTGP_NOT_CHOSEN, NTGP_BY_NUMBER, NTGP_BY_NAME };

static __always_inline int ntgp_irq_chosen(const struct ntgp_cfg *c, int irq,
					   struct irqaction *action)
{
	if ((unsigned int)irq < NTGP_MAX_IRQ && test_bit(irq, c->irq_bits))
		return ntgp_first_action(irq, action) ? NTGP_BY_NUMBER :
							NTGP_NOT_CHOSEN;
	if (c->nnames && ntgp_name_match(c, action->name))
		return NTGP_BY_NAME;
	return NTGP_NOT_CHOSEN;
}

static noinline bool ntgp_irq_on(struct ntgp_ring *r, const struct ntgp_cfg *c,
				 u64 tsc, int irq, struct irqaction *action)
{
	int how;

	if (!c)
		return false;
	how = ntgp_irq_chosen(c, irq, action);
	if (how == NTGP_NOT_CHOSEN)
		return false;
	ntgp_put(r, tsc, NT_EV_GUEST_IRQ, irq, NT_NONE16, NT_NONE64,
		 NT_NONE64);
	r->last_irq = irq;
	r->last_irq_tsc = tsc;
	r->open_action = action;
	r->open_line = how == NTGP_BY_NUMBER;
	ntgp_cost(r, tsc);
	return true;
}

/*
 * timer=irq/virq: the timer IRQ's interrupts become timer records (once per
 * interrupt, at the first handler of the line), not guest_irq records.
 */
static noinline bool ntgp_timer_irq_on(struct ntgp_ring *r, u64 tsc, int irq,
				       struct irqaction *action)
{
	if (!ntgp_first_action(irq, action))
		return false;
	ntgp_put(r, tsc, NT_EV_TIMER, irq, NT_NONE16, NT_NONE64, NT_NONE64);
	ntgp_cost(r, tsc);
	return true;
}

static void ntgp_probe_irq(void *data, int irq, struct irqaction *action)
{
	u64 tsc = rdtsc();
	struct ntgp_ring *r = this_cpu_ptr(ntgp_rings);

	if (unlikely(irq == READ_ONCE(timer_irq))) {
		if (ntgp_timer_irq_on(r, tsc, irq, action))
			ntgp_kick();
		return;
	}
	if (ntgp_irq_on(r, rcu_dereference_sched(ntgp_cfg), tsc, irq, action))
		ntgp_kick();
}

/*
 * irq_handler_exit of the interrupt stamped last on this CPU: for a line
 * chosen by number after its last handler (the whole line's work), for a
 * handler chosen by name after that handler.  Hard interrupt handlers do not
 * nest, so one open stamp per CPU is enough.  The TSC is read first; aux
 * carries the entry stamp, so the record alone gives the duration.
 */
static void ntgp_probe_irq_exit(void *data, int irq, struct irqaction *action,
				int ret)
{
	u64 tsc = rdtsc();
	struct ntgp_ring *r = this_cpu_ptr(ntgp_rings);
	const void *open = r->open_action;

	if (!open || r->last_irq != (u32)irq)
		return;
	if (r->open_line ? READ_ONCE(action->next) != NULL : action != open)
		return;
	r->open_action = NULL;
	ntgp_put(r, tsc, NT_EV_GUEST_IRQ_EXIT, irq, NT_NONE16, NT_NONE64,
		 r->last_irq_tsc);
}

/* ---------------------------------------------------------------- timers */

static void ntgp_probe_local_timer(void *data, int vector)
{
	u64 tsc = rdtsc();
	struct ntgp_ring *r;

	if (timer_cpu >= 0 && raw_smp_processor_id() != timer_cpu)
		return;
	r = this_cpu_ptr(ntgp_rings);
	ntgp_put(r, tsc, NT_EV_TIMER, NT_NONE32, (u16)vector, NT_NONE64,
		 NT_NONE64);
	ntgp_cost(r, tsc);
	ntgp_kick();
}

static struct hrtimer ntgp_hrtimer;
static ktime_t ntgp_period;

static enum hrtimer_restart ntgp_hrtimer_fn(struct hrtimer *t)
{
	u64 tsc = rdtsc();
	struct ntgp_ring *r = this_cpu_ptr(ntgp_rings);
	u64 n = hrtimer_forward_now(t, ntgp_period);

	/* aux = periods this expiry stands for (1, or more if some were missed) */
	ntgp_put(r, tsc, NT_EV_TIMER, NT_NONE32, NT_NONE16, NT_NONE64, n);
	r->hr_ticks++;
	if (n > 1)
		r->hr_overruns += n - 1;
	ntgp_cost(r, tsc);
	ntgp_kick();
	return HRTIMER_RESTART;
}

static void ntgp_hrtimer_start(void *unused)
{
	hrtimer_start(&ntgp_hrtimer, ktime_add(ktime_get(), ntgp_period),
		      HRTIMER_MODE_ABS_PINNED_HARD);
}

/*
 * timer=virq: the handler of the bound VIRQ only counts; the stamp is taken
 * by the irq_handler_entry probe just before it, like for any timer IRQ.
 */
static atomic64_t ntgp_virq_ticks = ATOMIC64_INIT(0);

static irqreturn_t ntgp_virq_handler(int irq, void *dev_id)
{
	atomic64_inc(&ntgp_virq_ticks);
	return IRQ_HANDLED;
}

static int ntgp_virq_bind(void)
{
	int irq;

	if (!xen_domain()) {
		pr_err("timer=virq: not a Xen guest\n");
		return -ENODEV;
	}
	irq = bind_virq_to_irqhandler(timer_virq, timer_cpu, ntgp_virq_handler,
				      IRQF_NO_THREAD, NTGP_NAME "-timer", NULL);
	if (irq < 0) {
		pr_err("timer=virq: cannot bind VIRQ %d on CPU %d: %d\n",
		       timer_virq, timer_cpu, irq);
		return irq;
	}
	if (irq >= NTGP_MAX_IRQ) {
		unbind_from_irqhandler(irq, NULL);
		pr_err("timer=virq: VIRQ %d got IRQ %d, above %d\n", timer_virq,
		       irq, NTGP_MAX_IRQ - 1);
		return -ERANGE;
	}
	WRITE_ONCE(timer_irq, irq);
	pr_info("timer=virq: VIRQ %d bound to IRQ %d on CPU %d\n", timer_virq,
		irq, timer_cpu);
	return 0;
}

/* ------------------------------------------------------------ rx packets */

/*
 * The packet's stamp and the interrupt it is tied to (the last chosen IRQ
 * stamped on this CPU) are read in one interrupts-off section: an interrupt
 * landing between the two reads would otherwise tie the packet to an
 * interrupt stamped after the packet itself (on a shared line under a flood,
 * about one packet in a hundred).  So tsc >= aux always holds in a guest_pkt
 * record; the stamp is taken after the payload was parsed.
 */
static void ntgp_probe_rx(void *data, const struct sk_buff *skb)
{
	u64 tsc;
	u8 buf[NTGP_PARSE_MAX];
	const struct ntgp_cfg *c;
	const u8 *p;
	struct ntgp_pkt pk;
	struct ntgp_ring *r;
	unsigned long flags;
	unsigned int n;
	u32 proto = ntohs(skb->protocol);

	if (proto != NTGP_ETH_P_IP && proto != NTGP_ETH_P_IPV6)
		return;
	n = min_t(unsigned int, skb->len, NTGP_PARSE_MAX);
	p = skb_header_pointer(skb, 0, n, buf);
	if (!p || ntgp_parse_l3(proto, p, n, skb->len, &pk) != NTGP_OK)
		return;
	c = rcu_dereference_sched(ntgp_cfg);
	if (!c || (!c->any_run && pk.run_id != c->run_id) ||
	    (c->port && pk.dport != c->port))
		return;
	local_irq_save(flags);
	tsc = rdtsc();
	r = this_cpu_ptr(ntgp_rings);
	ntgp_put(r, tsc, NT_EV_GUEST_PKT, r->last_irq, NT_NONE16, pk.seq,
		 r->last_irq == NT_NONE32 ? NT_NONE64 : r->last_irq_tsc);
	ntgp_kick();
	local_irq_restore(flags);
}

/* ------------------------------------------------------------ tracepoints */

struct ntgp_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool want, registered;
};

enum { NTGP_TP_IRQ, NTGP_TP_TIMER, NTGP_TP_RX0, NTGP_TP_RX1, NTGP_TP_RX2,
       NTGP_TP_IRQ_EXIT };

static struct ntgp_tp ntgp_tps[] = {
	[NTGP_TP_IRQ] = { "irq_handler_entry", ntgp_probe_irq },
	[NTGP_TP_TIMER] = { "local_timer_entry", ntgp_probe_local_timer },
	[NTGP_TP_RX0] = { "napi_gro_receive_entry", ntgp_probe_rx },
	[NTGP_TP_RX1] = { "netif_receive_skb_entry", ntgp_probe_rx },
	[NTGP_TP_RX2] = { "netif_rx_entry", ntgp_probe_rx },
	[NTGP_TP_IRQ_EXIT] = { "irq_handler_exit", ntgp_probe_irq_exit },
};

static void ntgp_tp_lookup(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ntgp_tps); i++)
		if (!strcmp(tp->name, ntgp_tps[i].name))
			ntgp_tps[i].tp = tp;
}

static void ntgp_tp_unregister_all(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ntgp_tps); i++) {
		if (!ntgp_tps[i].registered)
			continue;
		tracepoint_probe_unregister(ntgp_tps[i].tp, ntgp_tps[i].probe,
					    NULL);
		ntgp_tps[i].registered = false;
	}
	/* no probe runs any more after this */
	tracepoint_synchronize_unregister();
}

static int ntgp_tp_register_all(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(ntgp_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(ntgp_tps); i++) {
		if (!ntgp_tps[i].want)
			continue;
		if (!ntgp_tps[i].tp) {
			pr_err("tracepoint %s not found in this kernel\n",
			       ntgp_tps[i].name);
			return -ENOENT;
		}
		err = tracepoint_probe_register(ntgp_tps[i].tp,
						ntgp_tps[i].probe, NULL);
		if (err) {
			pr_err("cannot register on tracepoint %s: %d\n",
			       ntgp_tps[i].name, err);
			return err;
		}
		ntgp_tps[i].registered = true;
	}
	return 0;
}

/* ------------------------------------------------------------ parameters */

/* Copy a parameter value without surrounding blanks (sysfs adds '\n'). */
static int ntgp_param_copy(const char *val, char *buf, size_t len,
			   const char *what)
{
	size_t n;

	val = skip_spaces(val ? val : "");
	n = strlen(val);
	while (n && isspace(val[n - 1]))
		n--;
	if (n >= len) {
		pr_err("%s: value too long (%zu bytes, at most %zu)\n", what, n,
		       len - 1);
		return -EINVAL;
	}
	memcpy(buf, val, n);
	buf[n] = '\0';
	return 0;
}

/* Apply `fn` to a copy of the current configuration and publish it. */
static int ntgp_cfg_update(int (*fn)(struct ntgp_cfg *c, char *arg), char *arg)
{
	struct ntgp_cfg *old, *c;
	int err;

	mutex_lock(&ntgp_cfg_lock);
	if (!ntgp_live) {
		/* module parameters at load time: nothing stamps yet */
		struct ntgp_cfg tmp = ntgp_cfg_boot;

		err = fn(&tmp, arg);
		if (!err)
			ntgp_cfg_boot = tmp;
		mutex_unlock(&ntgp_cfg_lock);
		return err;
	}
	c = NTGP_ALLOC(kmalloc(sizeof(*c), GFP_KERNEL));
	if (!c) {
		mutex_unlock(&ntgp_cfg_lock);
		return -ENOMEM;
	}
	old = rcu_dereference_protected(ntgp_cfg,
					lockdep_is_held(&ntgp_cfg_lock));
	memcpy(c, old, sizeof(*c));
	err = fn(c, arg);
	if (err) {
		mutex_unlock(&ntgp_cfg_lock);
		kfree(c);
		return err;
	}
	rcu_assign_pointer(ntgp_cfg, c);
	mutex_unlock(&ntgp_cfg_lock);
	ntgp_cfg_free(old);
	return 0;
}

/* The configuration parameters show: the live one, or the load-time one. */
static const struct ntgp_cfg *ntgp_cfg_now(void)
{
	const struct ntgp_cfg *c = rcu_dereference(ntgp_cfg);

	return c ? c : &ntgp_cfg_boot;
}

static int ntgp_set_irqs_fn(struct ntgp_cfg *c, char *s)
{
	char *tok, *dash;
	unsigned int irq, last, n = 0;

	bitmap_zero(c->irq_bits, NTGP_MAX_IRQ);
	if (!strcmp(s, "none"))
		s[0] = '\0';
	while ((tok = strsep(&s, ",")) != NULL) {
		tok = strim(tok);
		if (!*tok) {
			if (s) /* empty item in the middle: "1,,2" */
				goto bad_empty;
			break;
		}
		/* a number or a range a-b (the form reading the file gives) */
		dash = strchr(tok, '-');
		if (dash)
			*dash++ = '\0';
		if (kstrtouint(tok, 0, &irq) ||
		    (dash && kstrtouint(dash, 0, &last))) {
			pr_err("irqs: '%s%s%s' is not an IRQ number or range (want e.g. irqs=11,24-25)\n",
			       tok, dash ? "-" : "", dash ? dash : "");
			return -EINVAL;
		}
		if (!dash)
			last = irq;
		if (last < irq || last >= NTGP_MAX_IRQ) {
			pr_err("irqs: %u-%u is out of range (0..%u)\n", irq, last,
			       NTGP_MAX_IRQ - 1);
			return -EINVAL;
		}
		for (; irq <= last; irq++)
			if (!test_and_set_bit(irq, c->irq_bits))
				n++;
	}
	c->nirqs = n;
	return 0;
bad_empty:
	pr_err("irqs: empty item in the list\n");
	return -EINVAL;
}

static int ntgp_set_irqs(const char *val, const struct kernel_param *kp)
{
	char buf[512];
	int err = ntgp_param_copy(val, buf, sizeof(buf), "irqs");

	return err ? err : ntgp_cfg_update(ntgp_set_irqs_fn, buf);
}

static int ntgp_get_irqs(char *out, const struct kernel_param *kp)
{
	const struct ntgp_cfg *c;
	int len;

	rcu_read_lock();
	c = ntgp_cfg_now();
	len = c && c->nirqs ?
		scnprintf(out, PAGE_SIZE, "%*pbl\n", NTGP_MAX_IRQ, c->irq_bits) :
		scnprintf(out, PAGE_SIZE, "none\n");
	rcu_read_unlock();
	return len;
}

static int ntgp_set_names_fn(struct ntgp_cfg *c, char *s)
{
	char *tok;
	unsigned int n = 0;

	memset(c->names, 0, sizeof(c->names));
	c->nnames = 0;
	if (!strcmp(s, "none"))
		s[0] = '\0';
	while ((tok = strsep(&s, ",")) != NULL) {
		size_t len, i;
		bool prefix = false;

		tok = strim(tok);
		len = strlen(tok);
		if (!len) {
			if (s) {
				pr_err("names: empty item in the list\n");
				return -EINVAL;
			}
			break;
		}
		if (tok[len - 1] == '*') {
			prefix = true;
			tok[--len] = '\0';
		}
		if (!len || len >= NTGP_NAME_LEN) {
			pr_err("names: '%s%s' must have 1..%d characters\n",
			       tok, prefix ? "*" : "", NTGP_NAME_LEN - 1);
			return -EINVAL;
		}
		for (i = 0; i < len; i++) {
			if (!isgraph(tok[i]) || tok[i] == '*') {
				pr_err("names: '%s' has a character that cannot be in a handler name (only a trailing '*' is a wildcard)\n",
				       tok);
				return -EINVAL;
			}
		}
		if (n == NTGP_MAX_NAMES) {
			pr_err("names: at most %d names\n", NTGP_MAX_NAMES);
			return -EINVAL;
		}
		memcpy(c->names[n].s, tok, len);
		c->names[n].len = len;
		c->names[n].prefix = prefix;
		n++;
	}
	c->nnames = n;
	return 0;
}

static int ntgp_set_names(const char *val, const struct kernel_param *kp)
{
	char buf[NTGP_MAX_NAMES * (NTGP_NAME_LEN + 2)];
	int err = ntgp_param_copy(val, buf, sizeof(buf), "names");

	return err ? err : ntgp_cfg_update(ntgp_set_names_fn, buf);
}

static int ntgp_get_names(char *out, const struct kernel_param *kp)
{
	const struct ntgp_cfg *c;
	unsigned int i;
	int len = 0;

	rcu_read_lock();
	c = ntgp_cfg_now();
	for (i = 0; c && i < c->nnames; i++)
		len += scnprintf(out + len, PAGE_SIZE - len, "%s%s%s",
				 i ? "," : "", c->names[i].s,
				 c->names[i].prefix ? "*" : "");
	rcu_read_unlock();
	if (!len)
		len = scnprintf(out, PAGE_SIZE, "none");
	len += scnprintf(out + len, PAGE_SIZE - len, "\n");
	return len;
}

static int ntgp_set_run_fn(struct ntgp_cfg *c, char *s)
{
	u32 v;

	if (!strcmp(s, "any") || !*s) {
		c->any_run = true;
		return 0;
	}
	if (kstrtou32(s, 0, &v)) {
		pr_err("run_id: '%s' is not 'any' or a number 0..4294967295\n", s);
		return -EINVAL;
	}
	c->any_run = false;
	c->run_id = v;
	return 0;
}

static int ntgp_set_run(const char *val, const struct kernel_param *kp)
{
	char buf[32];
	int err = ntgp_param_copy(val, buf, sizeof(buf), "run_id");

	return err ? err : ntgp_cfg_update(ntgp_set_run_fn, buf);
}

static int ntgp_get_run(char *out, const struct kernel_param *kp)
{
	const struct ntgp_cfg *c;
	int len;

	rcu_read_lock();
	c = ntgp_cfg_now();
	len = !c || c->any_run ? scnprintf(out, PAGE_SIZE, "any\n") :
		scnprintf(out, PAGE_SIZE, "%u\n", c->run_id);
	rcu_read_unlock();
	return len;
}

static int ntgp_set_port_fn(struct ntgp_cfg *c, char *s)
{
	u16 v;

	if (kstrtou16(s, 0, &v)) {
		pr_err("port: '%s' is not a UDP port 0..65535 (0 = any)\n", s);
		return -EINVAL;
	}
	c->port = v;
	return 0;
}

static int ntgp_set_port(const char *val, const struct kernel_param *kp)
{
	char buf[16];
	int err = ntgp_param_copy(val, buf, sizeof(buf), "port");

	return err ? err : ntgp_cfg_update(ntgp_set_port_fn, buf);
}

static int ntgp_get_port(char *out, const struct kernel_param *kp)
{
	const struct ntgp_cfg *c;
	int len;

	rcu_read_lock();
	c = ntgp_cfg_now();
	len = scnprintf(out, PAGE_SIZE, "%u\n", c ? c->port : 0);
	rcu_read_unlock();
	return len;
}

static int ntgp_set_buf(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < NTGP_MIN_REC || v > NTGP_MAX_REC ||
	    (v & (v - 1))) {
		pr_err("buf_records: '%s' must be a power of two %u..%u (records per CPU)\n",
		       val, NTGP_MIN_REC, NTGP_MAX_REC);
		return -EINVAL;
	}
	buf_records = v;
	return 0;
}

static int ntgp_set_timer(const char *val, const struct kernel_param *kp)
{
	char buf[16];
	unsigned int i;

	if (ntgp_param_copy(val, buf, sizeof(buf), "timer"))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(ntgp_timer_names); i++) {
		if (!strcmp(buf, ntgp_timer_names[i])) {
			timer_mode = i;
			return 0;
		}
	}
	pr_err("timer: '%s' is not off, apic, hrtimer, irq or virq\n", buf);
	return -EINVAL;
}

static int ntgp_get_timer(char *out, const struct kernel_param *kp)
{
	return scnprintf(out, PAGE_SIZE, "%s\n", ntgp_timer_names[timer_mode]);
}

static int ntgp_set_period(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < 20 || v > 1000000) {
		pr_err("timer_period_us: '%s' must be 20..1000000 (microseconds)\n",
		       val);
		return -EINVAL;
	}
	timer_period_us = v;
	return 0;
}

static int ntgp_set_tcpu(const char *val, const struct kernel_param *kp)
{
	int v;

	if (kstrtoint(val, 0, &v) || v < -1 || v >= nr_cpu_ids) {
		pr_err("timer_cpu: '%s' must be -1 (all, apic mode) or a CPU 0..%u\n",
		       val, nr_cpu_ids - 1);
		return -EINVAL;
	}
	timer_cpu = v;
	return 0;
}

static int ntgp_set_exit(const char *val, const struct kernel_param *kp)
{
	char buf[8];

	if (ntgp_param_copy(val, buf, sizeof(buf), "irq_exit") ||
	    kstrtobool(buf, &exit_hook)) {
		pr_err("irq_exit: '%s' is not 0 or 1 (stamp the handlers' exit)\n",
		       val);
		return -EINVAL;
	}
	return 0;
}

static int ntgp_set_tirq(const char *val, const struct kernel_param *kp)
{
	int v;

	if (kstrtoint(val, 0, &v) || v < 0 || v >= NTGP_MAX_IRQ) {
		pr_err("timer_irq: '%s' must be an IRQ 0..%d\n", val,
		       NTGP_MAX_IRQ - 1);
		return -EINVAL;
	}
	timer_irq = v;
	return 0;
}

static int ntgp_set_tvirq(const char *val, const struct kernel_param *kp)
{
	int v;

	if (kstrtoint(val, 0, &v) || v < 0 || v >= NR_VIRQS) {
		pr_err("timer_virq: '%s' must be a Xen VIRQ 0..%d\n", val,
		       NR_VIRQS - 1);
		return -EINVAL;
	}
	timer_virq = v;
	return 0;
}

static int ntgp_set_fail(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v > INT_MAX) {
		pr_err("fail_alloc: '%s' is not a count 0..%d\n", val, INT_MAX);
		return -EINVAL;
	}
	atomic_set(&ntgp_fail_nth, v);
	return 0;
}

static int ntgp_get_fail(char *out, const struct kernel_param *kp)
{
	return scnprintf(out, PAGE_SIZE, "%d\n", atomic_read(&ntgp_fail_nth));
}

/* A parameter the module sets itself: refused at load time. */
static int ntgp_set_ro(const char *val, const struct kernel_param *kp)
{
	pr_err("%s: set by the module, not settable\n", kp->name);
	return -EINVAL;
}

static const struct kernel_param_ops ntgp_irqs_ops = {
	.set = ntgp_set_irqs, .get = ntgp_get_irqs };
static const struct kernel_param_ops ntgp_names_ops = {
	.set = ntgp_set_names, .get = ntgp_get_names };
static const struct kernel_param_ops ntgp_run_ops = {
	.set = ntgp_set_run, .get = ntgp_get_run };
static const struct kernel_param_ops ntgp_port_ops = {
	.set = ntgp_set_port, .get = ntgp_get_port };
static const struct kernel_param_ops ntgp_buf_ops = {
	.set = ntgp_set_buf, .get = param_get_uint };
static const struct kernel_param_ops ntgp_timer_ops = {
	.set = ntgp_set_timer, .get = ntgp_get_timer };
static const struct kernel_param_ops ntgp_period_ops = {
	.set = ntgp_set_period, .get = param_get_uint };
static const struct kernel_param_ops ntgp_tcpu_ops = {
	.set = ntgp_set_tcpu, .get = param_get_int };
static const struct kernel_param_ops ntgp_exit_ops = {
	.set = ntgp_set_exit, .get = param_get_bool };
static const struct kernel_param_ops ntgp_tirq_ops = {
	.set = ntgp_set_tirq, .get = param_get_int };
static const struct kernel_param_ops ntgp_tvirq_ops = {
	.set = ntgp_set_tvirq, .get = param_get_int };
static const struct kernel_param_ops ntgp_ro_ull_ops = {
	.set = ntgp_set_ro, .get = param_get_ullong };
static const struct kernel_param_ops ntgp_fail_ops = {
	.set = ntgp_set_fail, .get = ntgp_get_fail };

module_param_cb(irqs, &ntgp_irqs_ops, NULL, 0644);
MODULE_PARM_DESC(irqs, "IRQ numbers to stamp, e.g. 11,24 (once per interrupt, first handler of the line); writable at run time");
module_param_cb(names, &ntgp_names_ops, NULL, 0644);
MODULE_PARM_DESC(names, "handler names to stamp (as in /proc/interrupts), e.g. eth0-rx-0,eth1; a trailing * matches a prefix; writable at run time");
module_param_cb(run_id, &ntgp_run_ops, NULL, 0644);
MODULE_PARM_DESC(run_id, "only packets with this sender run_id make guest_pkt records ('any' = all, default)");
module_param_cb(port, &ntgp_port_ops, NULL, 0644);
MODULE_PARM_DESC(port, "only UDP packets to this destination port (0 = any, default)");
module_param_cb(buf_records, &ntgp_buf_ops, &buf_records, 0444);
MODULE_PARM_DESC(buf_records, "ring size in records per CPU, a power of two 16..1048576 (default 8192)");
module_param_cb(timer, &ntgp_timer_ops, NULL, 0444);
MODULE_PARM_DESC(timer, "timer stamps: off (default), apic (every local APIC timer interrupt), hrtimer (a periodic hard hrtimer of timer_period_us), irq (every interrupt of timer_irq), virq (Xen: bind the VIRQ timer_virq and stamp its interrupts)");
module_param_cb(timer_period_us, &ntgp_period_ops, &timer_period_us, 0444);
MODULE_PARM_DESC(timer_period_us, "hrtimer mode period in microseconds, 20..1000000 (default 1000)");
module_param_cb(timer_cpu, &ntgp_tcpu_ops, &timer_cpu, 0444);
MODULE_PARM_DESC(timer_cpu, "CPU of the timer stamps: -1 = all CPUs in apic mode, CPU 0 in hrtimer and virq mode (default -1)");
module_param_cb(timer_irq, &ntgp_tirq_ops, &timer_irq, 0444);
MODULE_PARM_DESC(timer_irq, "timer=irq: the IRQ whose interrupts are the timer (stamped as timer records); timer=virq: shows the IRQ the VIRQ was bound to");
module_param_cb(timer_virq, &ntgp_tvirq_ops, &timer_virq, 0444);
MODULE_PARM_DESC(timer_virq, "timer=virq: the Xen VIRQ to bind (17 = VIRQ_NATSUME_PIT of the patched Xen: a global VIRQ, bound on CPU 0)");
module_param_named(rx, rx_hook, bool, 0444);
MODULE_PARM_DESC(rx, "stamp packets carrying the nt payload on the receive path (default 1)");
module_param_cb(irq_exit, &ntgp_exit_ops, &exit_hook, 0444);
MODULE_PARM_DESC(irq_exit, "also stamp the exit of the stamped handlers: guest_irq_exit, aux = entry stamp (default 0)");
module_param_cb(fail_alloc, &ntgp_fail_ops, NULL, 0600);
MODULE_PARM_DESC(fail_alloc, "testing: make the N-th allocation of the module from now on fail (0 = none, default)");
module_param_cb(stamp_tsc_start, &ntgp_ro_ull_ops, &ntgp_stamp_tsc_start, 0444);
MODULE_PARM_DESC(stamp_tsc_start, "read only: the TSC when the module began stamping (before its probes, timer and VIRQ)");

/* ----------------------------------------------------------- calibration */

static int ntgp_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

struct ntgp_cal_arg {
	struct ntgp_ring *scratch;
	const struct ntgp_cfg *cfg;
	int irq;
	struct irqaction *action;
	u64 batch[NTGP_CAL_BATCHES];
};

/*
 * Runs on the measured CPU with interrupts off (IPI context): the same
 * function the irq_handler_entry probe calls (filter by number, first-handler
 * check, store), into a scratch ring, NTGP_CAL_BATCH times per batch.
 */
static void ntgp_cal_cpu(void *p)
{
	struct ntgp_cal_arg *a = p;
	unsigned int b, i;

	for (b = 0; b < NTGP_CAL_BATCHES; b++) {
		u64 t0 = rdtsc_ordered(), t1;

		for (i = 0; i < NTGP_CAL_BATCH; i++)
			ntgp_irq_on(a->scratch, a->cfg, rdtsc(), a->irq,
				    a->action);
		t1 = rdtsc_ordered();
		a->batch[b] = (t1 - t0) / NTGP_CAL_BATCH;
		a->scratch->tail = a->scratch->head; /* consume */
	}
}

static void ntgp_calibrate(void)
{
	struct ntgp_cal_arg *a;
	struct ntgp_cfg *cfg;
	struct nt_rec *rec;
	int cpu, irq;

	a = NTGP_ALLOC(kzalloc(sizeof(*a), GFP_KERNEL));
	cfg = NTGP_ALLOC(kzalloc(sizeof(*cfg), GFP_KERNEL));
	rec = NTGP_ALLOC(kcalloc(NTGP_CAL_BATCH, sizeof(*rec), GFP_KERNEL));
	if (a)
		a->scratch = NTGP_ALLOC(kzalloc(sizeof(*a->scratch), GFP_KERNEL));
	if (!a || !cfg || !a->scratch || !rec) {
		pr_warn("calibration skipped: out of memory\n");
		goto out;
	}
	a->scratch->rec = rec;
	a->scratch->mask = NTGP_CAL_BATCH - 1;
	/* a real IRQ with a handler, so the first-handler lookup is real */
	a->irq = -1;
	for (irq = 0; irq < 256 && a->irq < 0; irq++) {
		struct irq_data *d = irq_get_irq_data(irq);

		if (d && READ_ONCE(irq_data_to_desc(d)->action)) {
			a->irq = irq;
			a->action = READ_ONCE(irq_data_to_desc(d)->action);
		}
	}
	if (a->irq < 0) {
		pr_warn("calibration skipped: no IRQ with a handler below 256\n");
		goto out;
	}
	set_bit(a->irq, cfg->irq_bits);
	cfg->nirqs = 1;
	cfg->any_run = true;
	a->cfg = cfg;
	for_each_online_cpu(cpu) {
		struct ntgp_ring *r = per_cpu_ptr(ntgp_rings, cpu);

		if (smp_call_function_single(cpu, ntgp_cal_cpu, a, 1))
			continue;
		sort(a->batch, NTGP_CAL_BATCHES, sizeof(u64), ntgp_cmp_u64,
		     NULL);
		r->cal_min = a->batch[0];
		r->cal_median = a->batch[NTGP_CAL_BATCHES / 2];
		pr_info("cpu %d: probe cost %llu cycles per stamp (median of %d batches of %d, min %llu; TSC)\n",
			cpu, r->cal_median, NTGP_CAL_BATCHES, NTGP_CAL_BATCH,
			r->cal_min);
	}
out:
	kfree(rec);
	if (a)
		kfree(a->scratch);
	kfree(a);
	kfree(cfg);
}

/* ------------------------------------------------------------ user space */

/* Copy up to max records from the rings to ubuf: records, or -EFAULT. */
static ssize_t ntgp_drain(char __user *ubuf, size_t max)
{
	size_t done = 0;
	unsigned int k, ncpu = nr_cpu_ids;

	for (k = 0; k < ncpu && done < max; k++) {
		unsigned int cpu = (ntgp_read_cpu + k) % ncpu;
		struct ntgp_ring *r;
		u64 head, tail, n;

		if (!cpu_possible(cpu))
			continue;
		r = per_cpu_ptr(ntgp_rings, cpu);
		head = smp_load_acquire(&r->head);
		tail = r->tail;
		n = min_t(u64, head - tail, max - done);
		while (n) {
			u32 at = tail & r->mask;
			u64 chunk = min_t(u64, n, (u64)r->mask + 1 - at);

			if (copy_to_user(ubuf + done * sizeof(struct nt_rec),
					 &r->rec[at],
					 chunk * sizeof(struct nt_rec))) {
				smp_store_release(&r->tail, tail);
				return done ? done : -EFAULT;
			}
			tail += chunk;
			done += chunk;
			n -= chunk;
		}
		smp_store_release(&r->tail, tail);
	}
	ntgp_read_cpu = (ntgp_read_cpu + 1) % ncpu;
	return done;
}

static bool ntgp_pending(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ntgp_ring *r = per_cpu_ptr(ntgp_rings, cpu);

		if (smp_load_acquire(&r->head) != READ_ONCE(r->tail))
			return true;
	}
	return false;
}

/*
 * Make the next stamp wake the reader, without a memory barrier on the
 * stamping path.  Producers run with interrupts off, i.e. inside RCU
 * read-side critical sections.  After synchronize_rcu() every producer either
 * finished before it, and its record is visible to the caller's next
 * ntgp_pending(), or started after ntgp_armed was set and sees it; that one
 * wakes ntgp_wq after its store, under the wait queue's lock, which orders the
 * store before the woken reader's check.  The grace period (milliseconds) is
 * only paid when the rings are empty, and batches what arrives meanwhile.
 */
static void ntgp_arm(void)
{
	mutex_lock(&ntgp_arm_lock);
	if (!READ_ONCE(ntgp_armed)) {
		WRITE_ONCE(ntgp_armed, true);
		synchronize_rcu();
	}
	mutex_unlock(&ntgp_arm_lock);
}

static ssize_t ntgp_read(struct file *f, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	size_t max = len / sizeof(struct nt_rec);
	ssize_t n;

	if (!max)
		return -EINVAL;
	for (;;) {
		if (mutex_lock_interruptible(&ntgp_read_lock))
			return -ERESTARTSYS;
		n = ntgp_drain(ubuf, max);
		mutex_unlock(&ntgp_read_lock);
		if (n)
			return n < 0 ? n : n * sizeof(struct nt_rec);
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ntgp_arm();
		if (wait_event_interruptible(ntgp_wq, ntgp_pending()))
			return -ERESTARTSYS;
	}
}

static __poll_t ntgp_poll(struct file *f, poll_table *pt)
{
	poll_wait(f, &ntgp_wq, pt);
	if (ntgp_pending())
		return EPOLLIN | EPOLLRDNORM;
	ntgp_arm();
	return ntgp_pending() ? EPOLLIN | EPOLLRDNORM : 0;
}

/* One reader at a time: two would split the stream between them. */
static atomic_t ntgp_open_count = ATOMIC_INIT(0);

static int ntgp_open(struct inode *inode, struct file *f)
{
	if (atomic_cmpxchg(&ntgp_open_count, 0, 1))
		return -EBUSY;
	return nonseekable_open(inode, f);
}

static int ntgp_release(struct inode *inode, struct file *f)
{
	WRITE_ONCE(ntgp_armed, false);
	atomic_set(&ntgp_open_count, 0);
	return 0;
}

static const struct file_operations ntgp_fops = {
	.owner = THIS_MODULE,
	.open = ntgp_open,
	.release = ntgp_release,
	.read = ntgp_read,
	.poll = ntgp_poll,
	.llseek = noop_llseek,
};

static struct miscdevice ntgp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = NTGP_NAME,
	.fops = &ntgp_fops,
	.mode = 0400,
};

static int ntgp_stats_show(struct seq_file *m, void *v)
{
	const struct ntgp_cfg *c;
	int cpu;

	seq_printf(m, "version=1\nkernel=%s\ntsc_khz=%u\nbuf_records=%u\n",
		   init_utsname()->release, tsc_khz, buf_records);
	seq_printf(m, "timer=%s\ntimer_period_us=%u\ntimer_cpu=%d\nrx=%d\nirq_exit=%d\n",
		   ntgp_timer_names[timer_mode], timer_period_us, timer_cpu,
		   rx_hook, exit_hook);
	seq_printf(m, "timer_irq=%d\ntimer_virq=%d\nvirq_ticks=%lld\n",
		   READ_ONCE(timer_irq), timer_virq,
		   (long long)atomic64_read(&ntgp_virq_ticks));
	rcu_read_lock();
	c = ntgp_cfg_now();
	if (c)
		seq_printf(m, "irqs=%*pbl\nnirqs=%u\nnnames=%u\n",
			   NTGP_MAX_IRQ, c->irq_bits, c->nirqs, c->nnames);
	rcu_read_unlock();
	seq_printf(m, "cost_every=%d\ncal_batch=%d\ncal_batches=%d\n",
		   NTGP_COST_EVERY, NTGP_CAL_BATCH, NTGP_CAL_BATCHES);
	for_each_possible_cpu(cpu) {
		struct ntgp_ring *r = per_cpu_ptr(ntgp_rings, cpu);

		/* racy snapshot of counters: each value is a single load */
		seq_printf(m, "cpu=%d stamps=%llu lost=%llu head=%llu tail=%llu cost_n=%llu cost_sum=%llu cost_min=%llu cost_max=%llu cal_median=%llu cal_min=%llu hr_ticks=%llu hr_overruns=%llu\n",
			   cpu, READ_ONCE(r->stamps), READ_ONCE(r->lost_total),
			   READ_ONCE(r->head), READ_ONCE(r->tail),
			   READ_ONCE(r->cost_n), READ_ONCE(r->cost_sum),
			   READ_ONCE(r->cost_min), READ_ONCE(r->cost_max),
			   r->cal_median, r->cal_min, READ_ONCE(r->hr_ticks),
			   READ_ONCE(r->hr_overruns));
	}
	return 0;
}

/* ------------------------------------------------------------ init, exit */

static struct proc_dir_entry *ntgp_proc;
static bool ntgp_misc_on, ntgp_hrtimer_on, ntgp_virq_on;

static void ntgp_free_rings(void)
{
	int cpu;

	if (!ntgp_rings)
		return;
	for_each_possible_cpu(cpu)
		vfree(per_cpu_ptr(ntgp_rings, cpu)->rec);
	free_percpu(ntgp_rings);
	ntgp_rings = NULL;
}

static void ntgp_teardown(void)
{
	if (ntgp_misc_on)
		misc_deregister(&ntgp_misc);
	ntgp_misc_on = false;
	proc_remove(ntgp_proc);
	ntgp_proc = NULL;
	if (ntgp_hrtimer_on)
		hrtimer_cancel(&ntgp_hrtimer);
	ntgp_hrtimer_on = false;
	if (ntgp_virq_on)
		unbind_from_irqhandler(timer_irq, NULL);
	ntgp_virq_on = false;
	ntgp_tp_unregister_all();
	ntgp_free_rings();
	mutex_lock(&ntgp_cfg_lock);
	ntgp_live = false;
	/* no reader is left (probes unregistered and synchronised) */
	ntgp_cfg_free(rcu_dereference_protected(ntgp_cfg, 1));
	RCU_INIT_POINTER(ntgp_cfg, NULL);
	mutex_unlock(&ntgp_cfg_lock);
}

static int __init ntgp_init(void)
{
	int cpu, err;

	if (!boot_cpu_has(X86_FEATURE_TSC)) {
		pr_err("this CPU has no TSC\n");
		return -ENODEV;
	}
	if (timer_mode == NTGP_TIMER_HRTIMER || timer_mode == NTGP_TIMER_VIRQ) {
		if (timer_cpu < 0)
			timer_cpu = 0;
		if (!cpu_online(timer_cpu)) {
			pr_err("timer_cpu: CPU %d is not online\n", timer_cpu);
			return -EINVAL;
		}
	}
	if ((timer_mode == NTGP_TIMER_IRQ) != (timer_irq >= 0)) {
		pr_err("timer_irq: needs timer=irq, and timer=irq needs it\n");
		return -EINVAL;
	}
	if ((timer_mode == NTGP_TIMER_VIRQ) != (timer_virq >= 0)) {
		pr_err("timer_virq: needs timer=virq, and timer=virq needs it\n");
		return -EINVAL;
	}
	mutex_lock(&ntgp_cfg_lock);
	rcu_assign_pointer(ntgp_cfg, &ntgp_cfg_boot);
	ntgp_live = true;
	mutex_unlock(&ntgp_cfg_lock);
	ntgp_rings = NTGP_ALLOC(alloc_percpu(struct ntgp_ring));
	if (!ntgp_rings) {
		pr_err("cannot allocate the per-CPU ring descriptors\n");
		err = -ENOMEM;
		goto fail;
	}
	for_each_possible_cpu(cpu) {
		struct ntgp_ring *r = per_cpu_ptr(ntgp_rings, cpu);

		r->last_irq = NT_NONE32;
		r->mask = buf_records - 1;
		r->rec = NTGP_ALLOC(vzalloc_node(sizeof(struct nt_rec) *
						 buf_records, cpu_to_node(cpu)));
		if (!r->rec) {
			pr_err("cannot allocate %u records for CPU %d\n",
			       buf_records, cpu);
			err = -ENOMEM;
			goto fail;
		}
	}
	ntgp_calibrate();

	/* the start of the recording window: nothing can stamp before it */
	ntgp_stamp_tsc_start = rdtsc_ordered();
	ntgp_tps[NTGP_TP_IRQ].want = true;
	ntgp_tps[NTGP_TP_TIMER].want = timer_mode == NTGP_TIMER_APIC;
	ntgp_tps[NTGP_TP_RX0].want = rx_hook;
	ntgp_tps[NTGP_TP_RX1].want = rx_hook;
	ntgp_tps[NTGP_TP_RX2].want = rx_hook;
	ntgp_tps[NTGP_TP_IRQ_EXIT].want = exit_hook;
	err = ntgp_tp_register_all();
	if (err)
		goto fail;
	if (timer_mode == NTGP_TIMER_VIRQ) {
		err = ntgp_virq_bind();
		if (err)
			goto fail;
		ntgp_virq_on = true;
	}
	if (timer_mode == NTGP_TIMER_HRTIMER) {
		ntgp_period = ns_to_ktime((u64)timer_period_us * NSEC_PER_USEC);
		hrtimer_init(&ntgp_hrtimer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_ABS_PINNED_HARD);
		ntgp_hrtimer.function = ntgp_hrtimer_fn;
		ntgp_hrtimer_on = true;
		err = smp_call_function_single(timer_cpu, ntgp_hrtimer_start,
					       NULL, 1);
		if (err) {
			pr_err("cannot start the timer on CPU %d: %d\n",
			       timer_cpu, err);
			goto fail;
		}
	}
	ntgp_proc = proc_create_single(NTGP_NAME, 0444, NULL, ntgp_stats_show);
	if (!ntgp_proc) {
		pr_err("cannot create /proc/%s\n", NTGP_NAME);
		err = -ENOMEM;
		goto fail;
	}
	err = misc_register(&ntgp_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", NTGP_NAME, err);
		goto fail;
	}
	ntgp_misc_on = true;
	pr_info("loaded: %u records per CPU, timer=%s, rx=%d, irq_exit=%d, tsc_khz=%u\n",
		buf_records, ntgp_timer_names[timer_mode], rx_hook, exit_hook,
		tsc_khz);
	return 0;
fail:
	ntgp_teardown();
	return err;
}

static void __exit ntgp_exit(void)
{
	ntgp_teardown();
	pr_info("unloaded\n");
}

module_init(ntgp_init);
module_exit(ntgp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TSC stamps at guest interrupt handler entry, tied to packet sequence numbers");
MODULE_AUTHOR("natsume-harness");

// SPDX-License-Identifier: GPL-2.0
/*
 * Live mode: enable Xen's trace buffers with only the selected event classes,
 * map t_info and every CPU's buffer from DOMID_XEN, and consume the records
 * with the producer/consumer protocol of xen/public/trace.h:
 *   read prod; rmb; read cons; copy [cons, prod) (indices run modulo
 *   2 * data_size); mb; write cons = prod.
 * Wake-ups come from VIRQ_TBUF (Xen raises it when a buffer passes half
 * full) and from a poll timeout, so records never wait longer than poll_ms.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xentoollog.h>
#include <xen/trace.h>

#include "live.h"
#include "ring.h"

#define PAGE 4096u

struct live {
	const char *prog;
	xentoollog_logger_stdiostream *log;
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	xenevtchn_handle *xce;
	int port;
	struct t_info *tinfo;
	unsigned tinfo_pages;
	unsigned ncpu;
	struct t_buf **meta;   /* per CPU, NULL when no buffer */
	uint8_t *copy;         /* one window, linearised */
	int enabled;
	uint64_t raw_off;      /* position in the xentrace-format stream */
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int read_small(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t k = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[k] = '\0';
	while (k && (buf[k - 1] == '\n' || buf[k - 1] == ' '))
		buf[--k] = '\0';
	return 0;
}

int live_check(const char *prog)
{
	char type[64] = "", caps[256] = "";
	int have_type = read_small("/sys/hypervisor/type", type, sizeof(type)) == 0;
	int have_caps = read_small("/proc/xen/capabilities", caps, sizeof(caps)) == 0;
	int have_privcmd = access("/dev/xen/privcmd", F_OK) == 0 || access("/proc/xen/privcmd", F_OK) == 0;
	if (!(have_type && strcmp(type, "xen") == 0) && !have_caps && !have_privcmd) {
		fprintf(stderr,
			"%s: not running on Xen: /sys/hypervisor/type is %s%s%s, no /proc/xen/capabilities, "
			"no /dev/xen/privcmd (live mode needs dom0 of a Xen host; use `decode FILE` for a "
			"file that xentrace wrote)\n",
			prog, have_type ? "\"" : "absent", have_type ? type : "", have_type ? "\"" : "");
		return 1;
	}
	if (have_caps && !strstr(caps, "control_d")) {
		fprintf(stderr, "%s: this is a Xen guest (domU), not dom0: /proc/xen/capabilities has no "
				"control_d\n", prog);
		return 1;
	}
	if (!have_privcmd) {
		fprintf(stderr, "%s: Xen is present but /dev/xen/privcmd is missing: modprobe xen-privcmd "
				"(and mount xenfs on /proc/xen)\n", prog);
		return 1;
	}
	return 0;
}

static void cleanup(struct live *L)
{
	if (L->enabled && L->xch) {
		if (xc_tbuf_disable(L->xch) != 0)
			fprintf(stderr, "%s: warning: xc_tbuf_disable: %s\n", L->prog, strerror(errno));
		L->enabled = 0;
	}
	if (L->meta) {
		for (unsigned i = 0; i < L->ncpu; i++)
			if (L->meta[i])
				xenforeignmemory_unmap(L->fmem, L->meta[i], L->tinfo->tbuf_size);
		free(L->meta);
		L->meta = NULL;
	}
	if (L->tinfo)
		xenforeignmemory_unmap(L->fmem, L->tinfo, L->tinfo_pages);
	L->tinfo = NULL;
	if (L->xce) {
		if (L->port >= 0)
			xenevtchn_unbind(L->xce, (evtchn_port_t)L->port);
		xenevtchn_close(L->xce);
		L->xce = NULL;
	}
	if (L->fmem)
		xenforeignmemory_close(L->fmem);
	L->fmem = NULL;
	if (L->xch)
		xc_interface_close(L->xch);
	L->xch = NULL;
	if (L->log)
		xtl_logger_destroy((xentoollog_logger *)L->log);
	L->log = NULL;
	free(L->copy);
	L->copy = NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Consume one CPU's buffer.  Returns bytes consumed, or -1 (error) / -2
 * (the decoder stopped: count reached) to stop. */
static long consume(struct live *L, struct xt_dec *d, const struct live_opts *o, unsigned cpu,
		    unsigned long ds)
{
	struct t_buf *tb = L->meta[cpu];
	struct xt_ring ring = {
		.cons = &tb->cons, .prod = &tb->prod, .data = (const uint8_t *)(tb + 1), .size = (uint32_t)ds,
	};
	char why[160];
	long got = xt_ring_take(&ring, L->copy, why, sizeof(why));
	if (got == 0)
		return 0;
	if (got < 0) {
		d->overruns++;
		d->errors++;
		if (!d->err[0])
			snprintf(d->err, sizeof(d->err), "cpu %u: %s", cpu, why);
		return 0;
	}
	uint32_t win = (uint32_t)got;
	if (o->raw) {
		uint8_t h[12];
		put32(h, XT_CPU_CHANGE_HDR);
		put32(h + 4, cpu);
		put32(h + 8, win);
		if (fwrite(h, 1, 12, o->raw) != 12 || fwrite(L->copy, 1, win, o->raw) != win) {
			fprintf(stderr, "%s: writing the raw trace: %s\n", L->prog, strerror(errno));
			return -1;
		}
	}
	uint64_t at = L->raw_off + 12; /* the window's records in the xentrace-format stream */
	L->raw_off += 12 + win;
	if (o->no_decode) /* the caller decodes the raw file later (that counts the bytes) */
		return (long)win;
	d->in_bytes += 12 + win;
	if (xt_dec_window(d, cpu, L->copy, win, at) != 0)
		return d->stopped ? -2 : -1;
	return (long)win;
}

static long drain(struct live *L, struct xt_dec *d, const struct live_opts *o, unsigned long ds)
{
	long total = 0;
	for (unsigned cpu = 0; cpu < L->ncpu; cpu++) {
		if (!L->meta[cpu])
			continue;
		long k = consume(L, d, o, cpu, ds);
		if (k < 0)
			return k;
		total += k;
	}
	return total;
}

int live_run(const char *prog, struct xt_dec *d, const struct live_opts *o, struct live_info *info)
{
	struct live L = { .prog = prog, .port = -1 };
	int rc = 1;
	memset(info, 0, sizeof(*info));

	if (live_check(prog))
		return 1;
	xentoollog_level lvl = o->verbose >= 2 ? XTL_DEBUG : o->verbose == 1 ? XTL_INFO : XTL_ERROR;
	L.log = xtl_createlogger_stdiostream(stderr, lvl, XTL_STDIOSTREAM_HIDE_PROGRESS);
	if (!L.log) {
		fprintf(stderr, "%s: cannot create the xentoollog logger\n", prog);
		return 1;
	}
	xentoollog_logger *lg = (xentoollog_logger *)L.log;
	L.xch = xc_interface_open(lg, lg, 0);
	if (!L.xch) {
		fprintf(stderr, "%s: cannot open the Xen control interface (/dev/xen/privcmd): %s; run as root "
				"in dom0 with xen-privcmd loaded\n", prog, strerror(errno));
		goto out;
	}
	xc_physinfo_t pi = { 0 };
	if (xc_physinfo(L.xch, &pi) != 0) {
		fprintf(stderr, "%s: xc_physinfo: %s\n", prog, strerror(errno));
		goto out;
	}
	info->tsc_hz = (double)pi.cpu_khz * 1000.0;
	info->nr_cpus = pi.nr_cpus;
	info->max_cpu_id = pi.max_cpu_id;
	int ver = xc_version(L.xch, XENVER_version, NULL);
	xen_extraversion_t extra = { 0 };
	xen_changeset_info_t cs = { 0 };
	xc_version(L.xch, XENVER_extraversion, &extra);
	xc_version(L.xch, XENVER_changeset, &cs);
	extra[sizeof(extra) - 1] = '\0';
	cs[sizeof(cs) - 1] = '\0';
	snprintf(info->xen_version, sizeof(info->xen_version), "%d.%d%s", ver >> 16, ver & 0xffff, extra);
	snprintf(info->xen_changeset, sizeof(info->xen_changeset), "%s", cs);

	L.fmem = xenforeignmemory_open(lg, 0);
	if (!L.fmem) {
		fprintf(stderr, "%s: xenforeignmemory_open: %s\n", prog, strerror(errno));
		goto out;
	}
	if (xc_tbuf_set_evt_mask(L.xch, o->evt_mask) != 0) {
		fprintf(stderr, "%s: xc_tbuf_set_evt_mask(0x%08x): %s\n", prog, o->evt_mask, strerror(errno));
		goto out;
	}
	if (o->cpumap) {
		xc_cpumap_t map = xc_cpumap_alloc(L.xch);
		if (!map) {
			fprintf(stderr, "%s: xc_cpumap_alloc: %s\n", prog, strerror(errno));
			goto out;
		}
		int any = 0;
		for (unsigned c = 0; c <= pi.max_cpu_id && c < XT_MAX_CPUS; c++)
			if (o->cpumap[c / 8] & (1u << (c % 8))) {
				xc_cpumap_setcpu((int)c, map);
				any = 1;
			}
		if (!any) {
			free(map);
			fprintf(stderr, "%s: --cpu selects no CPU of this host (max cpu id %u)\n", prog,
				pi.max_cpu_id);
			goto out;
		}
		int r = xc_tbuf_set_cpu_mask(L.xch, map);
		free(map);
		if (r != 0) {
			fprintf(stderr, "%s: xc_tbuf_set_cpu_mask: %s\n", prog, strerror(errno));
			goto out;
		}
	}
	unsigned long mfn = 0, tsize = 0;
	errno = 0;
	if (xc_tbuf_enable(L.xch, o->pages, &mfn, &tsize) != 0 || mfn == 0 || tsize == 0) {
		fprintf(stderr, "%s: xc_tbuf_enable(%u pages): %s (is Xen built with CONFIG_TRACEBUFFER?)\n",
			prog, o->pages, errno ? strerror(errno) : "no buffer returned");
		goto out;
	}
	L.enabled = 1;
	L.tinfo_pages = (unsigned)((tsize + PAGE - 1) / PAGE);
	xen_pfn_t *pfns = calloc(L.tinfo_pages > 65535 ? L.tinfo_pages : 65535, sizeof(*pfns));
	if (!pfns) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	for (unsigned i = 0; i < L.tinfo_pages; i++)
		pfns[i] = mfn + i;
	L.tinfo = xenforeignmemory_map(L.fmem, DOMID_XEN, PROT_READ, L.tinfo_pages, pfns, NULL);
	if (!L.tinfo) {
		fprintf(stderr, "%s: mapping t_info (mfn 0x%lx, %u pages) from DOMID_XEN: %s\n", prog, mfn,
			L.tinfo_pages, strerror(errno));
		free(pfns);
		goto out;
	}
	unsigned tb_pages = L.tinfo->tbuf_size;
	size_t tinfo_words = (size_t)L.tinfo_pages * PAGE / 4;
	info->tbuf_pages = tb_pages;
	if (tb_pages == 0) {
		fprintf(stderr, "%s: Xen reports trace buffers of 0 pages\n", prog);
		free(pfns);
		goto out;
	}
	unsigned long ds = (unsigned long)tb_pages * PAGE - sizeof(struct t_buf);
	info->data_size = ds;
	L.ncpu = pi.max_cpu_id + 1;
	/* the mfn_offset[] array must lie inside t_info */
	while (L.ncpu && sizeof(uint16_t) * (1 + (size_t)L.ncpu) > (size_t)L.tinfo_pages * PAGE)
		L.ncpu--;
	L.meta = calloc(L.ncpu ? L.ncpu : 1, sizeof(*L.meta));
	L.copy = malloc(ds);
	if (!L.meta || !L.copy) {
		fprintf(stderr, "%s: out of memory\n", prog);
		free(pfns);
		goto out;
	}
	for (unsigned c = 0; c < L.ncpu; c++) {
		unsigned offw = L.tinfo->mfn_offset[c];
		if (offw == 0)
			continue; /* offline CPU or not in the mask */
		if ((size_t)offw + tb_pages > tinfo_words) {
			fprintf(stderr, "%s: t_info: cpu %u MFN list at word %u runs past t_info\n", prog, c, offw);
			free(pfns);
			goto out;
		}
		const uint32_t *list = (const uint32_t *)L.tinfo + offw;
		for (unsigned j = 0; j < tb_pages; j++)
			pfns[j] = list[j];
		L.meta[c] = xenforeignmemory_map(L.fmem, DOMID_XEN, PROT_READ | PROT_WRITE, tb_pages, pfns, NULL);
		if (!L.meta[c]) {
			fprintf(stderr, "%s: mapping the cpu %u trace buffer (%u pages): %s\n", prog, c, tb_pages,
				strerror(errno));
			free(pfns);
			goto out;
		}
		info->mapped_cpus++;
	}
	free(pfns);
	if (!info->mapped_cpus) {
		fprintf(stderr, "%s: Xen gave no CPU a trace buffer\n", prog);
		goto out;
	}

	L.xce = xenevtchn_open(lg, 0);
	if (L.xce) {
		xenevtchn_port_or_error_t p = xenevtchn_bind_virq(L.xce, VIRQ_TBUF);
		if (p < 0) {
			fprintf(stderr, "%s: warning: cannot bind VIRQ_TBUF (%s); polling every %u ms\n", prog,
				strerror(errno), o->poll_ms);
			xenevtchn_close(L.xce);
			L.xce = NULL;
		} else {
			L.port = p;
			info->evtchn = 1;
		}
	} else {
		fprintf(stderr, "%s: warning: xenevtchn_open: %s; polling every %u ms\n", prog, strerror(errno),
			o->poll_ms);
	}

	double t0 = now_s(), last_tick = t0;
	int fail = 0;
	while (!o->stopping()) {
		double t = now_s();
		if (o->duration_s > 0 && t - t0 >= o->duration_s)
			break;
		int tmo = (int)o->poll_ms;
		if (o->duration_s > 0) {
			double left_ms = (o->duration_s - (t - t0)) * 1000.0;
			if (left_ms < tmo)
				tmo = left_ms < 1 ? 1 : (int)left_ms;
		}
		if (L.xce) {
			struct pollfd pfd = { .fd = xenevtchn_fd(L.xce), .events = POLLIN };
			int r = poll(&pfd, 1, tmo);
			if (r < 0 && errno != EINTR) {
				fprintf(stderr, "%s: poll: %s\n", prog, strerror(errno));
				fail = 1;
				break;
			}
			if (r > 0) {
				xenevtchn_port_or_error_t p = xenevtchn_pending(L.xce);
				if (p >= 0)
					xenevtchn_unmask(L.xce, (evtchn_port_t)p);
				info->wake_virq++;
			} else {
				info->wake_timeout++;
			}
		} else {
			struct timespec ts = { tmo / 1000, (long)(tmo % 1000) * 1000000L };
			nanosleep(&ts, NULL);
			info->wake_timeout++;
		}
		long k = drain(&L, d, o, ds);
		if (k == -2)
			break; /* count reached */
		if (k < 0) {
			fail = 1;
			break;
		}
		if (o->tick && now_s() - last_tick >= 1.0) {
			o->tick(o->tick_ctx);
			last_tick = now_s();
		}
	}
	info->elapsed_s = now_s() - t0;
	/* stop Xen writing, then take what it wrote before that */
	if (xc_tbuf_disable(L.xch) != 0)
		fprintf(stderr, "%s: warning: xc_tbuf_disable: %s\n", prog, strerror(errno));
	L.enabled = 0;
	if (!fail && !d->stopped && drain(&L, d, o, ds) == -1)
		fail = 1;
	rc = fail;
out:
	cleanup(&L);
	return rc;
}

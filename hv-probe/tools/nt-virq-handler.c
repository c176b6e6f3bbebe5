// SPDX-License-Identifier: GPL-2.0
/*
 * nt-virq-handler: make a domain the handler of a global Xen VIRQ
 * (XEN_DOMCTL_set_virq_handler through libxenctrl), in dom0.
 *
 * The patched Xen's natsume-pit= option (patch 6) sends every tick of the PIT
 * it hands over as the global VIRQ_NATSUME_PIT (17) to the domain registered
 * for it, by default dom0.  Xen's toolstack has no command for this domctl.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>

#define PROG "nt-virq-handler"
#define VIRQ_NATSUME_PIT 17 /* VIRQ_ARCH_1 on x86 (patch 6) */
#define NR_VIRQS 24

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " DOMID [VIRQ]\n"
		"Make domain DOMID the handler of the global VIRQ (default %d,\n"
		"VIRQ_NATSUME_PIT of the patched Xen's natsume-pit= option).  Run as\n"
		"root in dom0.  Exit: 0 done, 1 Xen refused or is absent, 2 bad usage.\n",
		VIRQ_NATSUME_PIT);
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*out = strtoul(s, &end, 0);
	return (errno || *end || *out > max) ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long domid, virq = VIRQ_NATSUME_PIT;
	xc_interface *xch;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3) {
		usage(stderr);
		return 2;
	}
	if (parse_num(argv[1], 0x7fef, &domid)) {
		fprintf(stderr, PROG ": '%s' is not a domain id (0..32751)\n", argv[1]);
		return 2;
	}
	if (argc == 3 && parse_num(argv[2], NR_VIRQS - 1, &virq)) {
		fprintf(stderr, PROG ": '%s' is not a VIRQ (0..%d)\n", argv[2], NR_VIRQS - 1);
		return 2;
	}
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch) {
		fprintf(stderr, PROG ": cannot open the Xen control interface "
			"(not in dom0, not root, or privcmd missing)\n");
		return 1;
	}
	rc = xc_domain_set_virq_handler(xch, (uint32_t)domid, (int)virq);
	if (rc) {
		fprintf(stderr, PROG ": Xen refused VIRQ %lu for d%lu: %s\n", virq, domid,
			strerror(errno));
		xc_interface_close(xch);
		return 1;
	}
	xc_interface_close(xch);
	printf(PROG ": d%lu handles VIRQ %lu\n", domid, virq);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* The kernel's route to an IPv4 destination (rtnetlink RTM_GETROUTE): output
 * interface and gateway, for the raw-frame back ends of nt-flood. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"

static int route_parse(const char *buf, size_t len, int *oif, struct in_addr *gw, int *has_gw)
{
	for (const struct nlmsghdr *nh = (const void *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			errno = e->error ? -e->error : EPROTO;
			return -1;
		}
		if (nh->nlmsg_type != RTM_NEWROUTE)
			continue;
		const struct rtmsg *rt = NLMSG_DATA(nh);
		size_t al = RTM_PAYLOAD(nh);
		*has_gw = 0;
		*oif = 0;
		for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, al); a = RTA_NEXT(a, al)) {
			if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
				memcpy(oif, RTA_DATA(a), sizeof(int));
			else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == 4) {
				memcpy(gw, RTA_DATA(a), 4);
				*has_gw = 1;
			}
		}
		if (*oif > 0)
			return 0;
		errno = ENETUNREACH;
		return -1;
	}
	errno = EPROTO;
	return -1;
}

int lg_route_get(const struct sockaddr_in *dst, int *oif, struct in_addr *gw, int *has_gw)
{
	struct {
		struct nlmsghdr n;
		struct rtmsg r;
		char attrs[32];
	} req;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = 1;
	req.r.rtm_family = AF_INET;
	req.r.rtm_dst_len = 32;
	struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.n.nlmsg_len));
	a->rta_type = RTA_DST;
	a->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(a), &dst->sin_addr, 4);
	req.n.nlmsg_len = NLMSG_ALIGN(req.n.nlmsg_len) + RTA_LENGTH(4);

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	char buf[8192];
	ssize_t n = -1;
	if (send(fd, &req, req.n.nlmsg_len, 0) == (ssize_t)req.n.nlmsg_len)
		n = recv(fd, buf, sizeof(buf), 0);
	int e = errno;
	close(fd);
	if (n <= 0) {
		errno = n == 0 ? EPROTO : e;
		return -1;
	}
	return route_parse(buf, (size_t)n, oif, gw, has_gw);
}

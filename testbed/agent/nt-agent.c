// SPDX-License-Identifier: GPL-2.0
/*
 * nt-agent: the job channel of a machine reached over a network link (the
 * emulated testbed's evaluation guest, on its control link to dom0).
 *
 *   nt-agent serve PORT [--stop FILE]       serve requests on TCP PORT
 *   nt-agent req ADDR PORT [--timeout S]    send one request (stdin), print the answer
 *
 * One request per connection: a first line
 *   RUN CMD     run CMD with /bin/sh -c in /, stdin /dev/null; the answer is
 *               its output (stdout and stderr), then a line nt-rc=N (its exit
 *               status; 128+SIG when a signal ended it), on a line of its own
 *   GET PATH    the bytes of the file PATH (nothing when it cannot be read)
 * anything else is answered with "nt-rc=2 bad request".  The server handles
 * each connection in its own process, so a long step does not block a GET,
 * and ends when FILE exists (checked every second).  Descriptors are
 * close-on-exec: a program a step leaves running holds only its own output,
 * never the connection.  The client connects within 5 s, then copies the
 * answer until the server closes, at most S seconds (default 900): exit 0,
 * 1 when it cannot connect, 124 after S seconds.
 *
 * Busybox nc did this before, and crashed now and then as a client (SIGSEGV
 * in the middle of an answer); this program is small enough to test on the
 * host (testbed/tests/test-testbed.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "nt-agent"
#define LINE_MAX_BYTES 65536

static int usage(void)
{
	fprintf(stderr, "usage: " PROG " serve PORT [--stop FILE] | " PROG " req ADDR PORT [--timeout S]\n");
	return 2;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static long parse_num(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < lo || v > hi)
		return -1;
	return v;
}

/* ---- the server -------------------------------------------------------- */

/* The request line (without its newline) into buf; -1 when there is none. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return n ? 0 : -1;
}

static void do_get(int c, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[65536];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(c, buf, (size_t)r))
			break;
	close(fd);
}

/* Run cmd, its output to c through a pipe (so that the status line starts a
 * line of its own), then nt-rc=N. */
static void do_run(int c, const char *cmd)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		dprintf(c, "nt-rc=125 %s\n", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (chdir("/") != 0)
			_exit(125);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char buf[65536], last = '\n';
	ssize_t r;
	while ((r = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		last = buf[r - 1];
		write_all(c, buf, (size_t)r);
	}
	close(pfd[0]);
	int st = 0, rc = 125;
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	dprintf(c, "%snt-rc=%d\n", last == '\n' ? "" : "\n", rc);
}

static void serve_one(int c)
{
	char line[LINE_MAX_BYTES];
	alarm(30); /* a client that connects and says nothing */
	int got = read_line(c, line, sizeof(line));
	alarm(0);
	if (got == 0) {
		if (strncmp(line, "RUN ", 4) == 0)
			do_run(c, line + 4);
		else if (strncmp(line, "GET ", 4) == 0)
			do_get(c, line + 4);
		else
			dprintf(c, "nt-rc=2 bad request\n");
	}
	shutdown(c, SHUT_WR);
	close(c);
}

static int serve(long port, const char *stop)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 16) != 0) {
		fprintf(stderr, PROG ": port %ld: %s\n", port, strerror(errno));
		return 1;
	}
	signal(SIGCHLD, SIG_IGN); /* the connections' processes reap themselves */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct stat st;
		if (stop && stat(stop, &st) == 0)
			return 0;
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			continue;
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			close(s);
			signal(SIGCHLD, SIG_DFL);
			serve_one(c);
			_exit(0);
		}
		close(c);
	}
}

/* ---- the client -------------------------------------------------------- */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* connect within tmo_ms; the socket or -1 */
static int connect_to(const char *host, const char *port, int tmo_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, PROG ": '%s' is not a numeric IPv4 address\n", host);
		return -1;
	}
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, sizeof(a));
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = s, .events = POLLOUT };
		int err = 0;
		socklen_t l = sizeof(err);
		rc = poll(&p, 1, tmo_ms) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && !err ? 0 : -1;
		if (err)
			errno = err;
		else if (rc)
			errno = ETIMEDOUT;
	}
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot connect to %s:%s: %s\n", host, port, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	fcntl(s, F_SETFL, 0);
	return s;
}

static int req(const char *host, const char *port, long tmo)
{
	signal(SIGPIPE, SIG_IGN);
	char line[LINE_MAX_BYTES];
	size_t n = fread(line, 1, sizeof(line) - 1, stdin);
	if (!n || line[n - 1] != '\n')
		line[n++] = '\n';
	int s = connect_to(host, port, 5000);
	if (s < 0)
		return 1;
	if (write_all(s, line, n) != 0) {
		fprintf(stderr, PROG ": sending the request: %s\n", strerror(errno));
		close(s);
		return 1;
	}
	shutdown(s, SHUT_WR);
	double end = now_s() + (double)tmo;
	char buf[65536];
	for (;;) {
		int left = (int)((end - now_s()) * 1000);
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, left) == 0) {
			fprintf(stderr, PROG ": no end of the answer within %ld s\n", tmo);
			close(s);
			return 124;
		}
		ssize_t r = read(s, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (write_all(1, buf, (size_t)r) != 0)
			break;
	}
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "serve") == 0) {
		long port = parse_num(argv[2], 1, 65535);
		const char *stop = NULL;
		if (argc == 5 && strcmp(argv[3], "--stop") == 0)
			stop = argv[4];
		else if (argc != 3)
			return usage();
		return port < 0 ? usage() : serve(port, stop);
	}
	if (argc >= 4 && strcmp(argv[1], "req") == 0) {
		long tmo = 900;
		if (argc == 6 && strcmp(argv[4], "--timeout") == 0)
			tmo = parse_num(argv[5], 1, 86400);
		else if (argc != 4)
			return usage();
		if (tmo < 0 || parse_num(argv[3], 1, 65535) < 0)
			return usage();
		return req(argv[2], argv[3], tmo);
	}
	return usage();
}

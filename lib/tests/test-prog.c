// SPDX-License-Identifier: GPL-2.0
/* The program skeleton (lib/prog.c, run.c, sig.c): parsing, messages, exit
 * codes, stoppable sleeps, an interrupted calibration, the close step and
 * its metadata.  Each case that exits runs in a child. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tests/nt_test.h"
#include "nt/meta.h"
#include "nt/prog.h"

enum { K_COUNT = 256, K_FLAG };

struct fake {
	uint64_t count;
	int flag;
};

static int fake_opt(struct nt_prog *p, int key, const char *arg)
{
	struct fake *f = p->ctx;
	if (key == K_COUNT)
		return nt_parse_u64(arg, 1, 1000, &f->count);
	f->flag = 1;
	return 0;
}

static void fake_validate(struct nt_prog *p)
{
	struct fake *f = p->ctx;
	if (!f->count)
		nt_usage(p, "--count is required");
}

static void fake_meta(struct nt_prog *p, FILE *m)
{
	struct fake *f = p->ctx;
	nt_meta_put(m, "count_planned", "%llu", (unsigned long long)f->count);
}

static const struct nt_opt fake_opts[] = {
	{ "count", "N", K_COUNT, "how many, 1..1000" },
	{ "flag", NULL, K_FLAG, "a flag\nwith a second line" },
	{ NULL, NULL, 0, NULL },
};

static struct fake F;
static struct nt_prog P;

static void fake_init(void)
{
	memset(&F, 0, sizeof(F));
	P = (struct nt_prog){ .name = "nt-fake", .synopsis = "--count N [options]", .about = "A test program.",
			      .common = NT_C_RECORDS | NT_C_DURATION | NT_C_CPU, .opts = fake_opts,
			      .opt = fake_opt, .validate = fake_validate, .meta = fake_meta, .source = "sender",
			      .ctx = &F };
}

/* Run nt_prog_parse on argv in a child; its exit code and stderr/stdout. */
static int parse_child(char **argv, char *err, size_t errlen, char *out, size_t outlen)
{
	int pe[2], po[2];
	if (pipe(pe) || pipe(po))
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pe[1], 2);
		dup2(po[1], 1);
		int argc = 0;
		while (argv[argc])
			argc++;
		fake_init();
		nt_prog_parse(&P, argc, argv);
		_exit(99);
	}
	close(pe[1]);
	close(po[1]);
	ssize_t n = read(pe[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	size_t got = 0;
	while (got + 1 < outlen && (n = read(po[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pe[0]);
	close(po[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int one_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return nl && nl[1] == '\0';
}

static void test_parse(void)
{
	char err[1024], out[8192];
	struct {
		char *argv[8];
		int rc;
		const char *err; /* part of the one-line message */
	} cases[] = {
		{ { "nt-fake", "--count", "5", "--check", NULL }, 0, NULL },
		{ { "nt-fake", "--help", NULL }, 0, NULL },
		{ { "nt-fake", "-h", NULL }, 0, NULL },
		{ { "nt-fake", "--version", NULL }, 0, NULL },
		{ { "nt-fake", NULL }, 2, "nt-fake: --count is required (see nt-fake --help)" },
		{ { "nt-fake", "--count", "0", NULL }, 2, "bad value for --count: '0'" },
		{ { "nt-fake", "--count", NULL }, 2, "option '--count' needs an argument" },
		{ { "nt-fake", "--bogus", NULL }, 2, "unknown option '--bogus'" },
		{ { "nt-fake", "-x", NULL }, 2, "unknown option '-x'" },
		{ { "nt-fake", "--count", "5", "extra", NULL }, 2, "unexpected argument 'extra'" },
		{ { "nt-fake", "--count", "5", "--format", "xml", NULL }, 2, "bad value for --format: 'xml'" },
		{ { "nt-fake", "--count", "5", "--duration", "10xs", NULL }, 2, "bad value for --duration" },
		{ { "nt-fake", "--count", "5", "-c", "1-0", NULL }, 2, "bad value for --cpu: '1-0'" },
		{ { "nt-fake", "--count", "5", "--cal-ms", "5", NULL }, 2, "bad value for --cal-ms: '5'" },
		{ { "nt-fake", "--count", "5", "-o", "", NULL }, 2, "bad value for --out" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_child(cases[i].argv, err, sizeof(err), out, sizeof(out));
		CHECK_EQ_U64(rc, cases[i].rc);
		if (cases[i].err) {
			CHECK(strstr(err, cases[i].err) != NULL);
			CHECK(one_line(err));
			CHECK(strncmp(err, "nt-fake: ", 9) == 0);
			if (!strstr(err, cases[i].err) || !one_line(err))
				fprintf(stderr, "  case %zu: stderr '%s'\n", i, err);
		} else {
			CHECK(err[0] == '\0');
		}
	}
	char *help[] = { "nt-fake", "--help", NULL };
	parse_child(help, err, sizeof(err), out, sizeof(out));
	const char *want[] = { "usage: nt-fake --count N [options]", "--count N", "--flag", "with a second line",
			       "-o, --out FILE", "-f, --format csv|bin", "--meta FILE", "-d, --duration DUR",
			       "-c, --cpu LIST", "--cal-ms MS", "-q, --quiet", "--check", "--version",
			       "-h, --help", "Exit: 0 done", NULL };
	for (int i = 0; want[i]; i++) {
		CHECK(strstr(out, want[i]) != NULL);
		if (!strstr(out, want[i]))
			fprintf(stderr, "  help lacks '%s'\n", want[i]);
	}
	char *ver[] = { "nt-fake", "--version", NULL };
	parse_child(ver, err, sizeof(err), out, sizeof(out));
	char line[128];
	snprintf(line, sizeof(line), "nt-fake %s\n", nt_version());
	CHECK_STR(out, line);
	CHECK(strcmp(nt_version(), "unknown") != 0);

	/* in-process: values land where they belong */
	fake_init();
	char *ok[] = { "nt-fake", "--count=7", "--flag", "-o", "x.bin", "-d", "1.5s", "--cpu", "0,2-3", "-q", NULL };
	nt_prog_parse(&P, 10, ok);
	CHECK_EQ_U64(F.count, 7);
	CHECK(F.flag == 1 && P.quiet == 1);
	CHECK_STR(P.out, "x.bin");
	CHECK_EQ_U64(P.duration_ns, 1500000000ull);
	CHECK_EQ_U64(P.ncpus, 3);
	CHECK(nt_prog_cpu_at(&P, 0) == 0 && nt_prog_cpu_at(&P, 1) == 2 && nt_prog_cpu_at(&P, 2) == 3);
	CHECK(nt_prog_cpu_at(&P, 3) == -1);
	CHECK_EQ_U64(P.cal_ms, NT_CAL_MS_DEFAULT);
}

/* --cpu with a CPU this process may not use is a usage error. */
static void test_cpu_check(void)
{
	cpu_set_t s;
	sched_getaffinity(0, sizeof(s), &s);
	int missing = -1;
	for (int c = 0; c < NT_CPUS_MAX && missing < 0; c++)
		if (!CPU_ISSET(c, &s))
			missing = c;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		char cpu[16];
		snprintf(cpu, sizeof(cpu), "%d", missing);
		char *argv[] = { "nt-fake", "--count", "1", "--cpu", cpu, NULL };
		fake_init();
		nt_prog_parse(&P, 5, argv);
		nt_prog_cpus_check(&P);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

static void *kill_later(void *arg)
{
	nt_signals_block_thread();
	struct timespec ts = { 0, 50 * 1000000L };
	nanosleep(&ts, NULL);
	kill(getpid(), *(int *)arg);
	return NULL;
}

/* A signal ends nt_sleep_until at once and nt_prog_clock during its window. */
static void test_signals(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		static int sig = SIGTERM;
		nt_signals_install();
		pthread_t th;
		pthread_create(&th, NULL, kill_later, &sig);
		int64_t t0 = nt_mono_ns();
		int rc = nt_sleep_ns(5000000000LL);
		int64_t el = nt_mono_ns() - t0;
		pthread_join(th, NULL);
		_exit(rc == -1 && nt_stopping() == SIGTERM && el < 2000000000LL ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char dir[] = "/tmp/nt-test-prog-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char out[128], meta[160], v[256];
	snprintf(out, sizeof(out), "%s/c.csv", dir);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		static int sig = SIGINT;
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		char *argv[] = { "nt-fake", "--count", "3", "-o", out, "--cal-ms", "3000", NULL };
		fake_init();
		nt_prog_parse(&P, 7, argv);
		pthread_t th;
		pthread_create(&th, NULL, kill_later, &sig);
		int64_t t0 = nt_mono_ns();
		int rc = nt_prog_start(&P) == 0 && nt_prog_clock(&P) == 0 ? 0 : 1;
		int64_t el = nt_mono_ns() - t0;
		pthread_join(th, NULL);
		if (rc != 1 || el > 1000000000LL)
			_exit(3);
		_exit(nt_prog_close(&P, NT_EXIT_OK));
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 130);
	snprintf(meta, sizeof(meta), "%s.meta", out);
	CHECK(nt_meta_get(meta, "exit_status", v, sizeof(v)) == 0);
	CHECK_STR(v, "130");
	CHECK(nt_meta_get(meta, "stop_signal", v, sizeof(v)) == 0);
	CHECK_STR(v, "SIGINT");
	CHECK(nt_meta_get(meta, "stop_reason", v, sizeof(v)) == 0);
	CHECK_STR(v, "during TSC calibration");
	CHECK(nt_meta_get(meta, "records", v, sizeof(v)) == 0);
	CHECK_STR(v, "0");
	CHECK(nt_meta_get(meta, "tsc_hz", v, sizeof(v)) == 1); /* no clock: not claimed */
	unlink(meta);
	unlink(out);
	rmdir(dir);
}

/* A whole run: records, source losses, the envelope and the program's keys. */
static void test_close(void)
{
	char dir[] = "/tmp/nt-test-prog-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char out[128], meta[160], v[4096];
	snprintf(out, sizeof(out), "%s/r.bin", dir);
	char *argv[] = { "nt-fake", "--count", "9", "-o", out, "--cal-ms", "20", "-q", NULL };
	fake_init();
	nt_prog_parse(&P, 8, argv);
	CHECK(nt_prog_start(&P) == 0);
	CHECK(nt_prog_clock(&P) == 0);
	for (int i = 0; i < 9; i++) {
		struct nt_rec r = nt_rec_blank(NT_SRC_SENDER, NT_EV_SEND);
		r.tsc = nt_rdtsc();
		nt_writer_put(P.w, &r);
	}
	nt_prog_lost(&P, 4, "buffer full");
	nt_prog_stop_reason(&P, "count reached");
	CHECK_EQ_U64(nt_prog_close(&P, NT_EXIT_OK), 0);
	snprintf(meta, sizeof(meta), "%s.meta", out);
	struct {
		const char *k, *v;
	} want[] = { { "program", "nt-fake" }, { "program_version", nt_version() }, { "source", "sender" },
		     { "format", "bin" }, { "records", "9" }, { "records_lost", "4" },
		     { "records_lost_at_source", "4 buffer full" }, { "exit_status", "0" },
		     { "stop_reason", "count reached" }, { "count_planned", "9" }, { "clock", "TSC" }, { NULL, NULL } };
	for (int i = 0; want[i].k; i++) {
		CHECK(nt_meta_get(meta, want[i].k, v, sizeof(v)) == 0);
		CHECK_STR(v, want[i].v);
	}
	CHECK(nt_meta_get(meta, "command", v, sizeof(v)) == 0);
	CHECK(strstr(v, "nt-fake --count 9 -o ") == v);
	const char *keys[] = { "started", "finished", "host", "tsc_hz", "tsc_hz_method", NULL };
	for (int i = 0; keys[i]; i++)
		CHECK(nt_meta_get(meta, keys[i], v, sizeof(v)) == 0 && v[0]);
	CHECK(nt_meta_get(meta, "stop_signal", v, sizeof(v)) == 1);
	unlink(meta);
	unlink(out);
	rmdir(dir);
}

int main(void)
{
	test_parse();
	test_cpu_check();
	test_signals();
	test_close();
	return nt_test_done("test-prog");
}

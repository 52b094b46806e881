// SPDX-License-Identifier: GPL-2.0
/*
 * fpwmem: guest memory workloads for the live migration test
 * (selftests/migration-test.sh) and the benchmark (selftests/bench.sh).
 *
 *   fpwmem verify [-m MIB] [-r KIB] [-c SLOTS] [-C TTY] [-s FILE] [-t SEC] [-x] [-f] [-k]
 *		  [-g KIB] [-z|-S|-O|-R]
 *	Fill MIB MiB (256) with known content and keep a checksum per page.
 *	Until told to verify, rewrite KIB KiB (256) of it every 10 ms and
 *	replace one of SLOTS (32) churn buffers of 1 MiB (munmap, mmap, fill)
 *	every 50 ms, updating the checksums, so that pages are written and
 *	pages freed and allocated again while the guest migrates. On "verify"
 *	check every page of the region and of the churn buffers, print
 *	"FPW-RESULT migration-verify PASS|FAIL ..." and exit (status 0 on
 *	PASS). "check N" does the same checks in place after the guest's Nth
 *	migration (once the driver has seen N DONEs, at most 10 s later) and
 *	goes on (FPW-MIG-CHECK). -x flips one byte of the region before verifying without
 *	updating its checksum: the verification must then fail. -f also
 *	fragments the rest of free memory as the fragmented scenario does
 *	(order-0 holes next to kept pages) and checks the kept pages too.
 *	-k churns harder: a churn buffer of 1 to 256 pages (a random power of
 *	two) is checked, unmapped, mapped and filled every 10 ms, so freed
 *	blocks of every small order are allocated and written again at once.
 *	-g KIB maps, fills and keeps KIB KiB more every 10 ms from "start"
 *	on (at most 128 MiB), checked with the rest: the guest takes fresh
 *	free memory while hinting rounds run. -z freezes every task (suspend
 *	to idle with pm_test=freezer, thawed 1 s later) as soon as the driver
 *	is seen holding blocks, and prints what the kernel logged. On that
 *	cue instead: -S suspends to idle for real (pm_test none), woken by
 *	an RTC alarm 3 s later; -O offlines every online ZONE_MOVABLE memory
 *	block (a pc-dimm onlined movable), -R unloads the balloon driver and
 *	loads it again (a module), each in a thread that "verify" waits for
 *	(at most 120 s) before it checks. The verify line ends with
 *	verified_pages= (every page checked) and bad_total= (every bad one).
 *
 *   fpwmem idle|idle-dirty|fragmented|frag-mixed|busy [-C TTY] [-s FILE] [-t SEC]
 *	Benchmark scenarios. idle: nothing. idle-dirty: write most of free
 *	memory into a file on a tmpfs of its own, delete it (free memory
 *	holding stale data). fragmented: touch most of free memory, then free
 *	every page whose pfn is odd (every other page when pagemap gives no
 *	pfns), so that free memory is order-0 holes among pages kept.
 *	frag-mixed (a holdout: nothing was tuned on it): touch most of free
 *	memory, then, in pfn order, in each aligned group of 16 pages an order
 *	k of 0 to 3 drawn by a PRNG of fixed seed and one half of each aligned
 *	2^(k+1) pages freed: free memory in aligned blocks of orders 0 to 3
 *	whose buddies are kept, half of the memory touched (freed_blocks= per
 *	order on FPW-MIG-READY). busy:
 *	a ring of 8 chunks of 16 MiB, the oldest unmapped and a new one
 *	mapped and written, in a loop; its throughput over 5 s before
 *	FPW-MIG-READY (baseline_mib_per_s) and over the migration (between
 *	"start" and "report") are reported.
 *	With the patched driver's statistics file, a thread reads its
 *	held_bytes every 10 ms (HELD_PERIOD_MS) from FPW-MIG-READY to
 *	"report": FPW-MIG-HELD, the peak and time-weighted mean of the memory
 *	the driver held over the migration.
 *	On "report" print what was measured and exit.
 *
 *   fpwmem alloc-all [-p PERCENT]
 *	Allocate and touch PERCENT (90) of MemFree in 4 MiB chunks; every
 *	freshly faulted page must read as zeroes. Prints
 *	"FPW-RESULT migration-after-alloc PASS|FAIL ...".
 *
 * Common options:
 *   -C TTY   command channel, a serial port the host writes lines into
 *            (default /dev/ttyS1)
 *   -s FILE  free page hint statistics of the patched virtio_balloon
 *            (default: the first /sys/kernel/debug/virtio_balloon/<dev>/
 *            free_page_hint); polled every 100 ms to record each round
 *            (verify: every 20 ms until a round was seen holding blocks)
 *   -t SEC   give up waiting for the final command after SEC s (900)
 *
 * Console lines (stdout, one line each, for the host to parse):
 *   FPW-MIG-READY mode=M memtotal_kb=N memfree_kb=N used_kb=N ...
 *   FPW-MIG-START memtotal_kb=N memfree_kb=N used_kb=N   ("start" received)
 *   FPW-MIG-BUDDYINFO <zone> c0 ... c10
 *   FPW-MIG-VMSTAT when=ready|start|report name=value ...
 *   FPW-MIG-IN-ROUND held_bytes=N rounds=N   (verify: the driver first seen
 *                                             holding blocks, once)
 *   FPW-MIG-FREEZE rc=N write_ms=N user=S kernel=S   (verify -z: freezing
 *                                             on that cue; S the elapsed
 *                                             seconds the kernel logged)
 *   FPW-MIG-S2IDLE rc=N boot_ms=N mono_ms=N entry=0|1 exit=0|1 wakeup_irq=I
 *                                             (verify -S; the write's duration
 *                                             by either clock)
 *   FPW-MIG-OFFLINE blocks=N offlined=N failed=N ms=N held_at_cue=B first_error=E memtotal_kb=N
 *   FPW-MIG-RELOAD rmmod_rc=N rmmod_ms=N held_at_cue=B nr_free_held_after_rmmod=N
 *		    modprobe_rc=N modprobe_ms=N bound=0|1
 *   FPW-MIG-ROUND n=N cmd_id=N end=E time_us=N pages=N ranges=N buffers=N batches=N
 *		   ring_full_waits=N rekicks=N blocks=c0,...,c10
 *   FPW-MIG-HINT rounds=N seen=N pages_total=N time_us_sum=N blocks_seen=N time_us_seen=N ...
 *		  reloads=N ranges_per_buffer=N
 *                                             (blocks and time of the rounds seen;
 *                                             reloads: the counters went back, a
 *                                             driver loaded again)
 *   FPW-MIG-HELD samples=N bad=N period_ms=10 seconds=S peak_kb=N mean_kb=N kib_s=X held_ms=N cpu_ms=X
 *                                             (scenarios, patched driver: held
 *                                             memory, sampled; kib_s its integral,
 *                                             held_ms the time anything was held,
 *                                             cpu_ms the sampler's own CPU time)
 *   FPW-MIG-BUSY mib=N seconds=S mib_per_s=R
 *   FPW-MIG-END mode=M
 *   FPW-MIG-CHECK n=N PASS|FAIL ...          ("check N": every page checked
 *                                             in place after migration N)
 *   FPW-MIG-CHECK-HINT n=N present=P held_bytes=B done_received=D released_early_blocks=E
 *		        rounds=R                  (R: rounds the driver ended so far)
 * Commands (lines on TTY): start, check N, verify, report, wake (ignored:
 * a line that wakes a guest in suspend to idle).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define MIB (1024UL * 1024UL)
#define NR_ORDERS 11
#define MAX_ROUNDS 64

static const char *prog = "fpwmem";

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "%s: error: ", prog);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *map(size_t len, int nohuge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (nohuge)
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* ---- content and checksums ------------------------------------------ */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Fill a page with content that depends on (tag, gen); return its checksum */
static uint64_t page_fill(uint64_t *p, uint64_t tag, uint64_t gen);

static uint64_t page_sum(const uint64_t *p)
{
	uint64_t h = 0x6a09e667f3bcc909ULL;
	unsigned int i;

	for (i = 0; i < WORDS; i += 2) {
		h = (h ^ p[i]) * 0x100000001b3ULL;
		h = (h ^ p[i + 1]) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	return h;
}

static uint64_t page_fill(uint64_t *p, uint64_t tag, uint64_t gen)
{
	uint64_t x = splitmix(tag * 0x10001ULL ^ (gen << 40) ^ 0x46505721ULL);
	unsigned int i;

	p[0] = 0x46505700000000ULL | (tag & 0xffffffffULL);	/* "FPW" + tag */
	p[1] = gen;
	for (i = 2; i < WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	return page_sum(p);
}

static int page_is_zero(const uint64_t *p)
{
	unsigned int i;

	for (i = 0; i < WORDS; i++)
		if (p[i])
			return 0;
	return 1;
}

/* ---- /proc and debugfs ---------------------------------------------- */

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void print_mem(const char *tag, const char *extra)
{
	long total = meminfo_kb("MemTotal"), fr = meminfo_kb("MemFree");

	printf("%s %smemtotal_kb=%ld memfree_kb=%ld used_kb=%ld available_kb=%ld\n",
	       tag, extra ? extra : "", total, fr, total - fr,
	       meminfo_kb("MemAvailable"));
	fflush(stdout);
}

static void print_buddyinfo(void)
{
	char line[512];
	FILE *f = fopen("/proc/buddyinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "zone");
		char *q;

		if (!p)
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		/* "Node 0, zone   Normal  c0 c1 ..." -> "Normal c0 c1 ..." */
		q = line + strlen(line);
		while (q > p && isspace((unsigned char)q[-1]))
			*--q = 0;
		printf("FPW-MIG-BUDDYINFO %s\n", p);
	}
	fclose(f);
	fflush(stdout);
}

/* The compaction and reclaim counters of /proc/vmstat */
static void print_vmstat(const char *when)
{
	static const char *const keys[] = {
		"compact_stall", "compact_fail", "compact_success",
		"compact_migrate_scanned", "compact_free_scanned",
		"compact_isolated", "compact_daemon_wake", "pgscan_kswapd",
		"pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
		"allocstall_normal", "allocstall_movable", "allocstall_dma32",
		"pgmigrate_success", "pageoutrun", "oom_kill", "thp_fault_alloc",
		"thp_fault_fallback", NULL,
	};
	char line[256];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return;
	printf("FPW-MIG-VMSTAT when=%s", when);
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long long v;
		int k;

		if (sscanf(line, "%127s %llu", name, &v) != 2)
			continue;
		for (k = 0; keys[k]; k++)
			if (!strcmp(name, keys[k]))
				break;
		if (keys[k])
			printf(" %s=%llu", name, v);
	}
	printf("\n");
	fclose(f);
	fflush(stdout);
}

struct round {
	unsigned long long cmd_id, time_us, pages, ranges, buffers, blocks[NR_ORDERS];
	unsigned long long batches, ring_full_waits, rekicks;
	char end[16];
};

struct hintstats {
	const char *path;
	int present;
	unsigned long long rounds, pages_total, done;
	unsigned long long first_rounds;	/* rounds when we started */
	long long time_total, first_time_total;	/* us, -1: not exported */
	struct round last;
	struct round seen[MAX_ROUNDS];
	int nseen, dropped;
	unsigned long long missed;
	unsigned long long held;	/* held_bytes at the last read */
	unsigned long long early;	/* released_early_blocks, likewise */
	unsigned long long ranges_per_buffer;	/* likewise */
	int in_round_shown;		/* FPW-MIG-IN-ROUND printed */
	int reloads;			/* the counters went back: a new driver */
	unsigned long long rounds_base;	/* rounds of the drivers before it */
};

static int hint_read(struct hintstats *hs, unsigned long long *rounds,
		     struct round *last)
{
	char buf[2048], *line, *save = NULL;
	ssize_t n;
	int fd;
	unsigned long long v;

	if (!hs->path)
		return -1;
	fd = open(hs->path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	*rounds = 0;
	hs->time_total = -1;
	memset(last, 0, sizeof(*last));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "rounds_complete: %llu", &v) == 1 ||
		    sscanf(line, "rounds_stopped: %llu", &v) == 1 ||
		    sscanf(line, "rounds_failed: %llu", &v) == 1 ||
		    sscanf(line, "rounds_stalled: %llu", &v) == 1 ||
		    sscanf(line, "rounds_suspended: %llu", &v) == 1)
			*rounds += v;
		else if (sscanf(line, "pages_total: %llu", &v) == 1)
			hs->pages_total = v;
		else if (sscanf(line, "time_us_total: %llu", &v) == 1)
			hs->time_total = v;
		else if (sscanf(line, "done_received: %llu", &v) == 1)
			hs->done = v;
		else if (sscanf(line, "last_cmd_id: %llu", &v) == 1)
			last->cmd_id = v;
		else if (sscanf(line, "last_time_us: %llu", &v) == 1)
			last->time_us = v;
		else if (sscanf(line, "last_pages: %llu", &v) == 1)
			last->pages = v;
		else if (sscanf(line, "last_ranges: %llu", &v) == 1)
			last->ranges = v;
		else if (sscanf(line, "last_buffers: %llu", &v) == 1)
			last->buffers = v;
		else if (sscanf(line, "last_batches: %llu", &v) == 1)
			last->batches = v;
		else if (sscanf(line, "last_ring_full_waits: %llu", &v) == 1)
			last->ring_full_waits = v;
		else if (sscanf(line, "last_rekicks: %llu", &v) == 1)
			last->rekicks = v;
		else if (sscanf(line, "ranges_per_buffer: %llu", &v) == 1)
			hs->ranges_per_buffer = v;
		else if (sscanf(line, "held_bytes: %llu", &v) == 1)
			hs->held = v;
		else if (sscanf(line, "released_early_blocks: %llu", &v) == 1)
			hs->early = v;
		else if (sscanf(line, "last_end: %15s", last->end) == 1)
			;
		else if (!strncmp(line, "last_blocks_by_order:", 21)) {
			char *p = line + 21, *e;
			int o;

			for (o = 0; o < NR_ORDERS; o++) {
				last->blocks[o] = strtoull(p, &e, 10);
				if (e == p)
					break;
				p = e;
			}
		}
	}
	return 0;
}

static void hint_init(struct hintstats *hs, const char *path)
{
	glob_t g;
	struct round last;

	memset(hs, 0, sizeof(*hs));
	if (path) {
		hs->path = path;
	} else if (!glob("/sys/kernel/debug/virtio_balloon/*/free_page_hint", 0, NULL, &g)) {
		if (g.gl_pathc)
			hs->path = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	if (hint_read(hs, &hs->rounds, &last) == 0) {
		hs->present = 1;
		hs->first_rounds = hs->rounds;
		hs->first_time_total = hs->time_total;
		hs->last = last;
	}
}

/*
 * Record the round that ended since the last poll, if any. The first time
 * the driver holds blocks (a round is walking), say so once: the host's
 * cue to disturb a round in progress.
 */
/*
 * What happens on the cue (the driver first seen holding blocks):
 *   -z  freeze the guest's tasks (suspend to idle with pm_test=freezer)
 *   -S  suspend to idle for real, woken by an RTC alarm
 *   -O  offline the ZONE_MOVABLE memory blocks (a pc-dimm's), in a thread
 *   -R  rmmod and modprobe virtio_balloon, in a thread
 */
enum cue_action { CUE_NONE, CUE_FREEZE, CUE_S2IDLE, CUE_OFFLINE, CUE_RELOAD };
static enum cue_action cue_action;

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * The elapsed time the kernel logged for the last "Freezing WHAT completed"
 * (or "failed") in its log, into out ("n/a" if none).
 */
static void freeze_elapsed(const char *log, const char *what, char *out, size_t len)
{
	char key[96];
	const char *p, *last = NULL;

	snprintf(out, len, "n/a");
	snprintf(key, sizeof(key), "Freezing %s ", what);
	for (p = strstr(log, key); p; p = strstr(p + 1, key))
		last = p;
	if (!last)
		return;
	last += strlen(key);
	if (!strncmp(last, "completed (elapsed ", 19))
		sscanf(last + 19, "%15[0-9.]", out);
	else
		snprintf(out, len, "failed");
}

/*
 * Freeze every task as suspend to idle does, with pm_test=freezer: the kernel
 * thaws them again after pm_test_delay (1 s). A hinting round in progress must
 * not hold up the freezer (its work is on a freezable workqueue).
 */
static void freeze_now(void)
{
	struct timespec a, b;
	char *log = malloc(1 << 20), user[16], kern[16];
	long ms;
	int rc, n;

	rc = write_str("/sys/power/pm_test", "freezer");
	if (!rc)
		rc = write_str("/sys/module/suspend/parameters/pm_test_delay", "1");
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (!rc)
		rc = write_str("/sys/power/state", "freeze");
	clock_gettime(CLOCK_MONOTONIC, &b);
	write_str("/sys/power/pm_test", "none");
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	n = log ? klogctl(3, log, (1 << 20) - 1) : -1;	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0)
		n = 0;
	if (log)
		log[n] = 0;
	freeze_elapsed(log ? log : "", "user space processes", user, sizeof(user));
	freeze_elapsed(log ? log : "", "remaining freezable tasks", kern, sizeof(kern));
	printf("FPW-MIG-FREEZE rc=%d write_ms=%ld user=%s kernel=%s\n", rc, ms, user, kern);
	fflush(stdout);
	free(log);
}

/* The kernel log so far (SYSLOG_ACTION_READ_ALL), NUL-terminated; free() it */
static char *klog_read(void)
{
	char *log = malloc(1 << 20);
	int n;

	if (!log)
		return NULL;
	n = klogctl(3, log, (1 << 20) - 1);
	log[n > 0 ? n : 0] = 0;
	return log;
}

/* Does the kernel log have a line with TEXT after offset FROM? */
static int klog_has(const char *log, size_t from, const char *text)
{
	return log && strlen(log) >= from && strstr(log + from, text) != NULL;
}

static double clock_ms(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/*
 * -S: suspend to idle (echo freeze > /sys/power/state, pm_test none), woken
 * by the CMOS RTC's alarm WAKE_S seconds later or by a line on the command
 * channel (its serial port made a wakeup source): QEMU 7.2's pc machine
 * does not wake a guest in suspend to idle by the RTC alarm (IRQ 8 is not
 * a wakeup interrupt when the RTC wakes through ACPI, and QEMU raises the
 * ACPI RTC status only to wake from S3), so the host writes "wake" 3 s
 * after FPW-MIG-S2IDLE-ENTER. The write returns once the system resumed.
 * Prints FPW-MIG-S2IDLE rc=N (-2: no RTC wakealarm, -3: pm_test set)
 * boot_ms=N mono_ms=N entry=0|1 exit=0|1 wakeup_irq=... (the write's
 * duration by CLOCK_BOOTTIME and CLOCK_MONOTONIC; where the timekeeping
 * goes on in suspend to idle, as here, both are the time suspended)
 */
#define S2IDLE_WAKE_S "3"

static const char *cmd_tty = "/dev/ttyS1";

static void s2idle_now(void)
{
	char *log = klog_read(), irq[32] = "n/a", test[64] = "";
	size_t from = log ? strlen(log) : 0;
	double b0, m0, b1, m1;
	int rc, fd;
	ssize_t n;

	free(log);
	fd = open("/sys/power/pm_test", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, test, sizeof(test) - 1);
		test[n > 0 ? n : 0] = 0;
		close(fd);
	}
	rc = write_str("/sys/class/rtc/rtc0/wakealarm", "0");
	if (!rc)
		rc = write_str("/sys/class/rtc/rtc0/wakealarm", "+" S2IDLE_WAKE_S);
	if (rc)
		rc = -2;
	else if (test[0] && !strstr(test, "[none]"))
		rc = -3;
	if (!rc) {
		char wake[128];

		snprintf(wake, sizeof(wake), "/sys/class/tty/%s/power/wakeup",
			 strrchr(cmd_tty, '/') ? strrchr(cmd_tty, '/') + 1 : cmd_tty);
		printf("FPW-MIG-S2IDLE-ENTER tty_wakeup=%d\n", write_str(wake, "enabled"));
		fflush(stdout);
	}
	b0 = clock_ms(CLOCK_BOOTTIME);
	m0 = clock_ms(CLOCK_MONOTONIC);
	if (!rc)
		rc = write_str("/sys/power/state", "freeze");
	b1 = clock_ms(CLOCK_BOOTTIME);
	m1 = clock_ms(CLOCK_MONOTONIC);
	fd = open("/sys/power/pm_wakeup_irq", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, irq, sizeof(irq) - 1);
		irq[n > 0 ? n : 0] = 0;
		irq[strcspn(irq, "\n")] = 0;
		close(fd);
	}
	log = klog_read();
	printf("FPW-MIG-S2IDLE rc=%d boot_ms=%.0f mono_ms=%.0f entry=%d exit=%d wakeup_irq=%s\n",
	       rc, b1 - b0, m1 - m0, klog_has(log, from, "PM: suspend entry (s2idle)"),
	       klog_has(log, from, "PM: suspend exit"), irq[0] ? irq : "n/a");
	fflush(stdout);
	free(log);
}

/* The value of NAME in /proc/vmstat, or -1 */
static long long vmstat_value(const char *name)
{
	char line[256], key[128];
	long long v, found = -1;
	FILE *f;

	/*
	 * Fold every CPU's counter deltas first: /proc/vmstat alone shows
	 * the global counters, which lag them by up to the per-cpu
	 * thresholds until vmstat_update runs (pages held and released a
	 * moment ago may still show there).
	 */
	f = fopen("/proc/sys/vm/stat_refresh", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld", key, &v) == 2 && !strcmp(key, name)) {
			found = v;
			break;
		}
	fclose(f);
	return found;
}

/* A thread the cue starts (-O, -R); verify waits for it (at most CUE_WAIT_S) */
#define CUE_WAIT_S 120

struct cue_thread {
	pthread_t thread;
	int started, done;
	unsigned long long held;	/* held_bytes at the cue */
};

static struct cue_thread cue_thr;

/*
 * -O: offline every online ZONE_MOVABLE memory block (the pc-dimm's, onlined
 * movable), while the round that gave the cue holds blocks: an offline waits
 * until the range's held blocks are released. Prints FPW-MIG-OFFLINE
 * blocks=N offlined=N failed=N ms=N held_at_cue=B first_error=E
 * memtotal_kb=N (MemTotal after).
 */
static void *offline_thread(void *arg)
{
	struct cue_thread *c = arg;
	const char *mem = "/sys/devices/system/memory";
	char path[320], zones[64], err[160] = "none";
	unsigned int nblocks = 0, done = 0, failed = 0;
	double t0 = now();
	glob_t g;
	size_t i;

	if (!glob("/sys/devices/system/memory/memory*", 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++) {
			FILE *f;
			int rc;

			snprintf(path, sizeof(path), "%s/valid_zones", g.gl_pathv[i]);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (!fgets(zones, sizeof(zones), f))
				zones[0] = 0;
			fclose(f);
			/* An online block of ZONE_MOVABLE reads exactly "Movable". */
			if (strcmp(zones, "Movable\n"))
				continue;
			nblocks++;
			snprintf(path, sizeof(path), "%s/state", g.gl_pathv[i]);
			rc = write_str(path, "offline");
			if (rc) {
				failed++;
				if (failed == 1)
					snprintf(err, sizeof(err), "%s:%s",
						 g.gl_pathv[i] + strlen(mem) + 1, strerror(-rc));
			} else {
				done++;
			}
		}
		globfree(&g);
	}
	printf("FPW-MIG-OFFLINE blocks=%u offlined=%u failed=%u ms=%.0f held_at_cue=%llu first_error=%s memtotal_kb=%ld\n",
	       nblocks, done, failed, (now() - t0) * 1000, c->held, err, meminfo_kb("MemTotal"));
	fflush(stdout);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * -R: unload the balloon driver while the round that gave the cue holds
 * blocks, and load it again. The removed driver must have given back every
 * held block (nr_free_held of /proc/vmstat 0 once rmmod returned); the new
 * one must bind the device. Prints FPW-MIG-RELOAD rmmod_rc=N rmmod_ms=N
 * held_at_cue=B nr_free_held_after_rmmod=N modprobe_rc=N modprobe_ms=N
 * bound=0|1.
 */
static void *reload_thread(void *arg)
{
	struct cue_thread *c = arg;
	double t0 = now(), t1, t2;
	int rm, mp, bound = 0, i;
	long long held_after;
	glob_t g;

	rm = system("rmmod virtio_balloon");
	t1 = now();
	held_after = vmstat_value("nr_free_held");
	mp = system("modprobe virtio_balloon");
	t2 = now();
	for (i = 0; i < 50 && !bound; i++) {
		if (!glob("/sys/bus/virtio/drivers/virtio_balloon/virtio*", 0, NULL, &g)) {
			bound = g.gl_pathc > 0;
			globfree(&g);
		}
		if (!bound)
			usleep(100000);
	}
	printf("FPW-MIG-RELOAD rmmod_rc=%d rmmod_ms=%.0f held_at_cue=%llu nr_free_held_after_rmmod=%lld"
	       " modprobe_rc=%d modprobe_ms=%.0f bound=%d\n", rm, (t1 - t0) * 1000, c->held,
	       held_after, mp, (t2 - t1) * 1000, bound);
	fflush(stdout);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void cue_start(void *(*fn)(void *), unsigned long long held)
{
	cue_thr.held = held;
	if (pthread_create(&cue_thr.thread, NULL, fn, &cue_thr)) {
		printf("fpwmem: cannot start the cue's thread\n");
		fflush(stdout);
		return;
	}
	cue_thr.started = 1;
}

/* Before verifying: the cue's thread ended (at most CUE_WAIT_S s). */
static void cue_wait(void)
{
	double until = now() + CUE_WAIT_S;

	if (!cue_thr.started)
		return;
	while (!__atomic_load_n(&cue_thr.done, __ATOMIC_ACQUIRE) && now() < until)
		usleep(100000);
	if (__atomic_load_n(&cue_thr.done, __ATOMIC_ACQUIRE)) {
		pthread_join(cue_thr.thread, NULL);
	} else {
		printf("FPW-MIG-CUE-TIMEOUT the cue's thread did not end within %d s\n", CUE_WAIT_S);
		fflush(stdout);
	}
	cue_thr.started = 0;
}

static void hint_poll(struct hintstats *hs)
{
	unsigned long long rounds;
	struct round last;

	if (!hs->present || hint_read(hs, &rounds, &last))
		return;
	/* A driver loaded again counts from 0: go on from the old total. */
	if (rounds + hs->rounds_base < hs->rounds) {
		hs->rounds_base = hs->rounds;
		hs->reloads++;
	}
	rounds += hs->rounds_base;
	if (hs->held && !hs->in_round_shown) {
		printf("FPW-MIG-IN-ROUND held_bytes=%llu rounds=%llu\n", hs->held, rounds);
		fflush(stdout);
		hs->in_round_shown = 1;
		switch (cue_action) {
		case CUE_FREEZE: freeze_now(); break;
		case CUE_S2IDLE: s2idle_now(); break;
		case CUE_OFFLINE: cue_start(offline_thread, hs->held); break;
		case CUE_RELOAD: cue_start(reload_thread, hs->held); break;
		case CUE_NONE: break;
		}
	}
	if (rounds == hs->rounds)
		return;
	hs->missed += rounds - hs->rounds - 1;
	hs->rounds = rounds;
	hs->last = last;
	if (hs->nseen < MAX_ROUNDS)
		hs->seen[hs->nseen++] = last;
	else
		hs->dropped++;
}

static void hint_print(struct hintstats *hs)
{
	unsigned long long sum_us = 0, max_pages = 0, below10 = 0, blocks_seen = 0, seen_us = 0;
	int i, o, imax = -1;

	if (!hs->present) {
		printf("FPW-MIG-HINT present=0 file=%s\n", hs->path ? hs->path : "none");
		fflush(stdout);
		return;
	}
	hint_poll(hs);
	for (i = 0; i < hs->nseen; i++) {
		struct round *r = &hs->seen[i];

		printf("FPW-MIG-ROUND n=%d cmd_id=%llu end=%s time_us=%llu pages=%llu ranges=%llu buffers=%llu"
		       " batches=%llu ring_full_waits=%llu rekicks=%llu blocks=",
		       i, r->cmd_id, r->end, r->time_us, r->pages, r->ranges, r->buffers,
		       r->batches, r->ring_full_waits, r->rekicks);
		for (o = 0; o < NR_ORDERS; o++)
			printf("%s%llu", o ? "," : "", r->blocks[o]);
		printf("\n");
		sum_us += r->time_us;
		for (o = 0; o < NR_ORDERS - 1; o++)
			below10 += r->blocks[o];
		for (o = 0; o < NR_ORDERS; o++)
			blocks_seen += r->blocks[o];
		if (r->pages > max_pages || imax < 0) {
			max_pages = r->pages;
			imax = i;
		}
	}
	/*
	 * The driver's total also counts rounds too short for the 100 ms poll;
	 * blocks_seen and time_us_seen are those of the rounds seen, the
	 * cost per block.
	 */
	seen_us = sum_us;
	if (hs->time_total >= 0 && hs->first_time_total >= 0 && !hs->reloads)
		sum_us = hs->time_total - hs->first_time_total;
	printf("FPW-MIG-HINT present=1 rounds=%llu seen=%d missed=%llu pages_total=%llu done_received=%llu"
	       " time_us_sum=%llu blocks_below_max_order=%llu blocks_seen=%llu time_us_seen=%llu"
	       " max_round_pages=%llu max_round_buffers=%llu max_round_blocks=",
	       hs->rounds - hs->first_rounds, hs->nseen, hs->missed + hs->dropped,
	       hs->pages_total, hs->done, sum_us, below10, blocks_seen, seen_us, max_pages,
	       imax >= 0 ? hs->seen[imax].buffers : 0ULL);
	for (o = 0; o < NR_ORDERS; o++)
		printf("%s%llu", o ? "," : "", imax >= 0 ? hs->seen[imax].blocks[o] : 0ULL);
	printf(" reloads=%d ranges_per_buffer=%llu\n", hs->reloads, hs->ranges_per_buffer);
	fflush(stdout);
}

/* ---- held memory sampler (benchmark scenarios) ------------------------ */

/*
 * A thread that reads the driver's held_bytes every HELD_PERIOD_MS from
 * FPW-MIG-READY until the final figures (which span the migration, source
 * then destination), and keeps their peak and their integral over time.
 * It keeps the debugfs file open and reads it again from offset 0 (a seq
 * file makes its text anew at offset 0); it parses the held_bytes line
 * only. Its own CPU time is reported (cpu_ms).
 */
#define HELD_PERIOD_MS 10

struct heldsampler {
	pthread_t thread;
	int fd, running, stop;
	unsigned long long samples, bad, peak, last;
	double t_first, t_last;
	double byte_s;		/* integral of held bytes over time */
	double held_s;		/* time with something held */
	double cpu_s;		/* the thread's own CPU time */
};

/* held_bytes of the driver's statistics, or -1 */
static long long held_read(int fd)
{
	char buf[512], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* "\n" first: "peak_held_bytes: " ends the same way. */
	p = strstr(buf, "\nheld_bytes: ");
	if (!p)
		return -1;
	return strtoll(p + 13, NULL, 10);
}

static void held_sample(struct heldsampler *h)
{
	long long v = held_read(h->fd);
	double t = now();

	if (v < 0) {
		h->bad++;
		return;
	}
	if (h->samples) {
		/* The value read holds until the next one. */
		h->byte_s += (double)h->last * (t - h->t_last);
		if (h->last)
			h->held_s += t - h->t_last;
	} else {
		h->t_first = t;
	}
	h->t_last = t;
	h->last = v;
	if ((unsigned long long)v > h->peak)
		h->peak = v;
	h->samples++;
}

static void *held_thread(void *arg)
{
	struct heldsampler *h = arg;
	struct timespec next, t, cpu;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		held_sample(h);
		next.tv_nsec += HELD_PERIOD_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		/* More than a period late (a busy vCPU, a stopped guest): on from now. */
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - next.tv_sec) * 1000000000LL + t.tv_nsec - next.tv_nsec >
		    HELD_PERIOD_MS * 1000000LL)
			next = t;
	}
	held_sample(h);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	h->cpu_s = cpu.tv_sec + cpu.tv_nsec / 1e9;
	return NULL;
}

/* Start sampling the statistics file of hs, if the driver has one. */
static void held_start(struct heldsampler *h, const struct hintstats *hs)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (!hs->present || !hs->path)
		return;
	h->fd = open(hs->path, O_RDONLY);
	if (h->fd < 0)
		return;
	if (pthread_create(&h->thread, NULL, held_thread, h)) {
		close(h->fd);
		h->fd = -1;
		return;
	}
	h->running = 1;
}

/*
 * Stop the sampler and print FPW-MIG-HELD: the samples, the period, the
 * seconds sampled, the peak and the time-weighted mean of held bytes in KiB
 * over them, their integral (kib_s, KiB x s: the mean over any window that
 * covers every round is kib_s / its length), the time something was held,
 * and the sampler's CPU time. Nothing without the driver's file.
 */
static void held_stop(struct heldsampler *h)
{
	double span;

	if (!h->running)
		return;
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	pthread_join(h->thread, NULL);
	close(h->fd);
	h->running = 0;
	span = h->samples > 1 ? h->t_last - h->t_first : 0;
	printf("FPW-MIG-HELD samples=%llu bad=%llu period_ms=%d seconds=%.2f peak_kb=%llu mean_kb=%.0f"
	       " kib_s=%.1f held_ms=%.0f cpu_ms=%.1f\n", h->samples, h->bad, HELD_PERIOD_MS, span,
	       h->peak / 1024, span > 0 ? h->byte_s / span / 1024 : 0.0, h->byte_s / 1024,
	       h->held_s * 1000, h->cpu_s * 1000);
	fflush(stdout);
}

/* ---- command channel -------------------------------------------------- */

struct cmdchan {
	int fd;
	char buf[256];
	size_t len;
};

static void cmd_open(struct cmdchan *c, const char *path)
{
	struct termios t;

	c->len = 0;
	c->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (c->fd < 0)
		die("cannot open the command channel %s: %s", path, strerror(errno));
	if (tcgetattr(c->fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tcsetattr(c->fd, TCSANOW, &t);
	}
	tcflush(c->fd, TCIFLUSH);
}

/*
 * Wait up to @ms for a command line; returns 1 and the command in @out,
 * or 0 on timeout.
 */
static int cmd_poll(struct cmdchan *c, int ms, char *out, size_t outlen)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(c->buf, '\n', c->len);
		if (!nl)
			nl = memchr(c->buf, '\r', c->len);
		if (nl) {
			size_t l = nl - c->buf, k = 0, i;

			for (i = 0; i < l && k + 1 < outlen; i++)
				if (isprint((unsigned char)c->buf[i]))
					out[k++] = c->buf[i];
			out[k] = 0;
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			if (k)
				return 1;
			continue;
		}
		if (c->len == sizeof(c->buf))
			c->len = 0;	/* garbage: drop it */
		if (poll(&p, 1, ms) <= 0)
			return 0;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			return 0;
		c->len += n;
		ms = 0;
	}
}

/* ---- free memory: dirty, fragmented ------------------------------------ */

/* Bytes of free memory a scenario may use: MemFree less a reserve */
static size_t usable_bytes(void)
{
	long fr = meminfo_kb("MemFree"), total = meminfo_kb("MemTotal");
	long reserve = 64 * 1024 + total / 16;

	if (fr <= reserve)
		return 0;
	return (size_t)(fr - reserve) * 1024;
}

static int idle_dirty(void)
{
	const char *dir = "/run/fpw-dirty";
	size_t target = usable_bytes(), done = 0, i;
	uint64_t *buf = map(MIB, 0);
	char path[64];
	int fd;

	if (!buf)
		die("out of memory");
	mkdir(dir, 0700);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=100%"))
		die("mount tmpfs on %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/fill", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	while (done < target) {
		for (i = 0; i < MIB / PAGE; i++)
			page_fill(buf + i * WORDS, done / PAGE + i, 7);
		if (write(fd, buf, MIB) != (ssize_t)MIB)
			break;
		done += MIB;
	}
	close(fd);
	unlink(path);
	umount(dir);
	rmdir(dir);
	munmap(buf, MIB);
	return (int)(done / MIB);
}

/*
 * Free memory in order-0 holes: touch most of free memory (MADV_NOHUGEPAGE),
 * then free each page whose pfn is odd, so that its buddy is a page kept.
 * Without pfns from /proc/self/pagemap, every other page instead. The kept
 * pages hold known content, checked by frag_check(). frag_mixed() frees
 * aligned blocks of orders 0 to FRAG_MIXED_ORDERS - 1 instead.
 */
#define FRAG_MIXED_ORDERS 4

struct frag {
	char *mem;
	size_t pages, kept, freed;
	uint64_t *sums;		/* per page; 0 for the pages freed */
	const char *how;
	unsigned long blocks[FRAG_MIXED_ORDERS];	/* frag_mixed(): blocks freed per order */
};

/* Free page i of the fragmented memory (its checksum is then 0). */
static void frag_free(struct frag *f, size_t i)
{
	madvise(f->mem + i * PAGE, PAGE, MADV_DONTNEED);
	if (f->sums)
		f->sums[i] = 0;
	f->freed++;
}

/*
 * Map and touch most of free memory (MADV_NOHUGEPAGE), known content in
 * every page; its pfns from /proc/self/pagemap into *pfns (freed by the
 * caller). Returns 1 when most pages have a pfn, else 0: the callers then
 * take the page's index for its pfn.
 */
static int frag_touch(struct frag *f, int keep_sums, uint64_t **pfns)
{
	size_t len = usable_bytes(), i;
	int fd;
	size_t bypfn = 0;

	memset(f, 0, sizeof(*f));
	f->pages = len / PAGE;
	f->mem = map(len, 1);
	if (!f->mem)
		die("cannot map %zu MiB", len / MIB);
	if (keep_sums && !(f->sums = calloc(f->pages, sizeof(*f->sums))))
		die("out of memory");
	for (i = 0; i < f->pages; i++) {
		uint64_t sum = page_fill((uint64_t *)(f->mem + i * PAGE), 0xc0000000ULL + i, 3);

		if (f->sums)
			f->sums[i] = sum | 1;	/* never 0 */
	}
	*pfns = calloc(f->pages, sizeof(**pfns));
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (*pfns && fd >= 0 &&
	    pread(fd, *pfns, f->pages * sizeof(**pfns), ((uintptr_t)f->mem / PAGE) * 8) ==
	    (ssize_t)(f->pages * sizeof(**pfns))) {
		for (i = 0; i < f->pages; i++)
			if (((*pfns)[i] & (1ULL << 63)) && ((*pfns)[i] & ((1ULL << 55) - 1)))
				bypfn++;
	}
	if (fd >= 0)
		close(fd);
	return bypfn > f->pages / 2;
}

static void fragment(struct frag *f, int keep_sums)
{
	uint64_t *pfns;
	int bypfn = frag_touch(f, keep_sums, &pfns);
	size_t i;

	for (i = 0; i < f->pages; i++) {
		int odd = bypfn ? (int)(pfns[i] & 1) : (int)(i & 1);

		if (odd)
			frag_free(f, i);
	}
	free(pfns);
	f->kept = f->pages - f->freed;
	f->how = bypfn ? "odd-pfn" : "every-other-page";
	/* The kept pages stay mapped until the process exits. */
}

/*
 * frag-mixed, the holdout: free memory in holes of mixed small orders.
 * Touch most of free memory as above, then walk it in pfn order, in
 * aligned groups of 2^FRAG_MIXED_ORDERS pages that are all ours: for each
 * group a PRNG with a fixed seed picks an order k of 0 to
 * FRAG_MIXED_ORDERS - 1, and for each aligned 2^(k+1) pages of the group
 * which half to free, so that every freed aligned block of order k has its
 * buddy kept and merges no further. Half of every group is freed, the same
 * memory in each order on average; the pages of a run of pfns outside its
 * whole groups are kept. Without pfns a page's index stands for its pfn.
 * The blocks freed per order are in f->blocks.
 */
#define FRAG_MIXED_SEED 0x46505721ULL

static const uint64_t *sort_pfns;

static int by_pfn(const void *a, const void *b)
{
	uint64_t x = sort_pfns[*(const size_t *)a], y = sort_pfns[*(const size_t *)b];

	return x < y ? -1 : x > y;
}

static void frag_mixed(struct frag *f)
{
	uint64_t *pfns, rng = FRAG_MIXED_SEED, mask = (1ULL << 55) - 1;
	int bypfn = frag_touch(f, 0, &pfns);
	size_t *idx, n = 0, i, j, run, p, a, w, b;
	int k;

	idx = calloc(f->pages ? f->pages : 1, sizeof(*idx));
	if (!pfns || !idx)
		die("out of memory");
	for (i = 0; i < f->pages; i++) {
		if (bypfn && !((pfns[i] & (1ULL << 63)) && (pfns[i] & mask)))
			continue;	/* no pfn: kept */
		pfns[i] = bypfn ? pfns[i] & mask : i;
		idx[n++] = i;
	}
	sort_pfns = pfns;
	qsort(idx, n, sizeof(*idx), by_pfn);
	/* Each run of consecutive pfns, idx[i .. i + run - 1], from pfn base. */
	for (i = 0; i < n; i += run) {
		size_t base = pfns[idx[i]], g = 1UL << FRAG_MIXED_ORDERS;

		for (run = 1; i + run < n && pfns[idx[i + run]] == base + run; run++)
			;
		for (p = (base + g - 1) & ~(g - 1); p + g <= base + run; p += g) {
			rng = splitmix(rng);
			k = rng % FRAG_MIXED_ORDERS;
			w = 2UL << k;
			for (a = p; a < p + g; a += w) {
				rng = splitmix(rng);
				b = a + (rng & 1 ? w / 2 : 0);
				for (j = 0; j < w / 2; j++)
					frag_free(f, idx[i + b - base + j]);
				f->blocks[k]++;
			}
		}
	}
	free(idx);
	free(pfns);
	f->kept = f->pages - f->freed;
	f->how = bypfn ? "mixed-pfn" : "mixed-index";
}

/* The number of kept pages whose content changed */
static size_t frag_check(const struct frag *f)
{
	size_t i, bad = 0;

	if (!f->sums)
		return 0;
	for (i = 0; i < f->pages; i++)
		if (f->sums[i] && (page_sum((uint64_t *)(f->mem + i * PAGE)) | 1) != f->sums[i])
			bad++;
	return bad;
}

/* ---- verify: the checksummed region --------------------------------- */

struct slot {
	uint64_t *mem;
	size_t pages;
	uint64_t gen;
	uint64_t sums[MIB / PAGE];
};

struct region {
	uint64_t *mem;
	size_t pages;
	uint64_t *sums, *gens;
	struct slot *slots;
	unsigned int nslots;
	int sizes;		/* -k: slots of 1 to 256 pages, not 1 MiB */
	uint64_t rng;
	unsigned long long rewrites, churns, churn_bad;
	/* -g: memory mapped, filled and kept during the migration */
	size_t grow_pages, grow_max, ngrow;
	uint64_t **grow_mem, **grow_sums;
};

/* Map, fill and keep one more chunk of r->grow_pages pages. */
static void grow_one(struct region *r)
{
	size_t i, n = r->grow_pages;
	uint64_t *mem, *sums;

	if (r->ngrow >= r->grow_max)
		return;
	mem = map(n * PAGE, 1);
	sums = calloc(n, sizeof(*sums));
	if (!mem || !sums) {
		if (mem)
			munmap(mem, n * PAGE);
		free(sums);
		return;
	}
	for (i = 0; i < n; i++)
		sums[i] = page_fill(mem + i * WORDS, 0xc0000000ULL + r->ngrow * n + i, 1);
	r->grow_mem[r->ngrow] = mem;
	r->grow_sums[r->ngrow++] = sums;
}

/* Pages of the grown chunks whose content changed */
static size_t grow_check(struct region *r)
{
	size_t k, i, bad = 0;

	for (k = 0; k < r->ngrow; k++)
		for (i = 0; i < r->grow_pages; i++)
			if (page_sum(r->grow_mem[k] + i * WORDS) != r->grow_sums[k][i])
				bad++;
	return bad;
}

static uint64_t rnd(struct region *r)
{
	r->rng = splitmix(r->rng);
	return r->rng;
}

static void rewrite_page(struct region *r, size_t i)
{
	r->gens[i]++;
	r->sums[i] = page_fill(r->mem + i * WORDS, i, r->gens[i]);
	r->rewrites++;
}

/* Check a churn slot; returns the number of bad pages */
static unsigned int slot_check(struct slot *s)
{
	unsigned int i, bad = 0;

	if (!s->mem)
		return 0;
	for (i = 0; i < s->pages; i++)
		if (page_sum(s->mem + i * WORDS) != s->sums[i])
			bad++;
	return bad;
}

static void slot_renew(struct region *r, unsigned int k)
{
	struct slot *s = &r->slots[k];
	unsigned int i;

	if (s->mem) {
		r->churn_bad += slot_check(s);
		munmap(s->mem, s->pages * PAGE);
	}
	/* With -k, 1 to 256 pages: blocks of every small order are reused. */
	s->pages = r->sizes ? 1UL << (rnd(r) % 9) : MIB / PAGE;
	s->mem = map(s->pages * PAGE, 1);
	if (!s->mem)
		return;
	s->gen++;
	for (i = 0; i < s->pages; i++)
		s->sums[i] = page_fill(s->mem + i * WORDS,
				       0x80000000ULL + k * 256 + i, s->gen);
	r->churns++;
}

/*
 * Check every page of the region, the churn slots, the kept fragmentation
 * pages and the grown chunks; print "TAG PASS|FAIL ..." and return 1 on a
 * bad page.
 */
static int region_check(struct region *r, const struct frag *fr, int frag, const char *tag)
{
	unsigned long long bad = 0, zero = 0, badhdr = 0, sbad = 0, spages;
	char first[256] = "";
	size_t flen = 0, i, fbad, gbad;
	unsigned int k;
	double tv = now();

	for (i = 0; i < r->pages; i++) {
		uint64_t *p = r->mem + i * WORDS;

		if (page_sum(p) == r->sums[i])
			continue;
		bad++;
		if (page_is_zero(p))
			zero++;
		else if (p[0] != (0x46505700000000ULL | (i & 0xffffffffULL)) || p[1] != r->gens[i])
			badhdr++;
		if (bad <= 8 && flen < sizeof(first) - 32)
			flen += snprintf(first + flen, sizeof(first) - flen, "%s%zu",
					 flen ? "," : "", i);
	}
	fbad = frag_check(fr);
	gbad = grow_check(r);
	for (k = 0; k < r->nslots; k++)
		sbad += slot_check(&r->slots[k]);
	sbad += r->churn_bad;
	printf("%s %s region_pages=%zu bad_pages=%llu (zeroed=%llu wrong_header=%llu%s%s) churn_bad_pages=%llu",
	       tag, bad || sbad || fbad || gbad ? "FAIL" : "PASS", r->pages, bad, zero, badhdr,
	       bad ? " first=" : "", first, sbad);
	if (frag)
		printf(" frag_kept_pages=%zu frag_bad_pages=%zu", fr->kept, fbad);
	if (r->grow_pages)
		printf(" grown_pages=%zu grow_bad_pages=%zu", r->ngrow * r->grow_pages, gbad);
	printf(" rewrites=%llu churns=%llu verify_s=%.2f", r->rewrites, r->churns, now() - tv);
	/* Every page checked, and every bad one, in one figure each. */
	spages = 0;
	for (k = 0; k < r->nslots; k++)
		spages += r->slots[k].mem ? r->slots[k].pages : 0;
	printf(" verified_pages=%llu bad_total=%llu\n",
	       (unsigned long long)(r->pages + spages + (frag ? fr->kept : 0) + r->ngrow * r->grow_pages),
	       bad + sbad + fbad + gbad);
	fflush(stdout);
	return bad || sbad || fbad || gbad ? 1 : 0;
}

/*
 * "check N", after the guest's Nth completed migration: wait (at most 10 s)
 * until the driver has seen N DONEs, then check every page in place, print
 * "FPW-MIG-CHECK n=N PASS|FAIL ... held_bytes=B done_received=D
 * released_early_blocks=E" and go on churning.
 */
static void check_after_migration(struct region *r, const struct frag *fr, int frag,
				  struct hintstats *hs, const char *arg, int corrupt)
{
	unsigned long long n = strtoull(arg, NULL, 10), rounds;
	struct round last;
	char tag[64];
	double until = now() + 10;

	while (hs->present && now() < until) {
		if (!hint_read(hs, &rounds, &last) && hs->done >= n && !hs->held)
			break;
		usleep(100000);
	}
	if (corrupt && r->pages) {
		/* -x: the first check must fail as well (the byte stays flipped). */
		((unsigned char *)r->mem)[PAGE / 2] ^= 0x5a;
		printf("FPW-MIG-CORRUPT page=0 offset=%lu: one byte flipped on purpose (fpw.corrupt=1)\n",
		       PAGE / 2);
	}
	snprintf(tag, sizeof(tag), "FPW-MIG-CHECK n=%llu", n);
	/* The statistics follow the check's own line, on one line. */
	fflush(stdout);
	region_check(r, fr, frag, tag);
	/* hint_poll() also counts the rounds that ended since. */
	hint_poll(hs);
	printf("FPW-MIG-CHECK-HINT n=%llu present=%d held_bytes=%llu done_received=%llu released_early_blocks=%llu"
	       " rounds=%llu\n", n, hs->present, hs->held, hs->done, hs->early,
	       hs->rounds);
	fflush(stdout);
}

static int do_verify(int argc, char **argv)
{
	size_t mib = 256, rewrite_kib = 256, i;
	unsigned int nslots = 32, churn_every = 5, k, checked = 0;
	const char *tty = "/dev/ttyS1", *stats = NULL;
	int timeout = 900, corrupt = 0, frag = 0, sizes = 0, growing = 0, opt;
	size_t grow_kib = 0;
	struct region r = { 0 };
	struct frag fr = { 0 };
	struct cmdchan cc;
	struct hintstats hs;
	double t0, last_poll = 0, deadline;
	unsigned long tick = 0;
	char cmd[128];

	while ((opt = getopt(argc, argv, "m:r:c:C:s:t:xfkg:zSOR")) != -1) {
		switch (opt) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 'r': rewrite_kib = strtoul(optarg, NULL, 0); break;
		case 'c': nslots = strtoul(optarg, NULL, 0); break;
		case 'C': tty = optarg; break;
		case 's': stats = optarg; break;
		case 't': timeout = atoi(optarg); break;
		case 'x': corrupt = 1; break;
		case 'f': frag = 1; break;
		case 'k': sizes = 1; break;
		case 'g': grow_kib = strtoul(optarg, NULL, 0); break;
		case 'z': cue_action = CUE_FREEZE; break;
		case 'S': cue_action = CUE_S2IDLE; break;
		case 'O': cue_action = CUE_OFFLINE; break;
		case 'R': cue_action = CUE_RELOAD; break;
		default: die("usage: fpwmem verify [-m MIB] [-r KIB] [-c SLOTS] [-C TTY] [-s FILE] [-t SEC] [-x] [-f] [-k] [-g KIB] [-z|-S|-O|-R]");
		}
	}
	cmd_open(&cc, tty);
	cmd_tty = tty;
	hint_init(&hs, stats);

	r.pages = mib * MIB / PAGE;
	r.mem = map(r.pages * PAGE, 0);
	r.sums = calloc(r.pages, sizeof(*r.sums));
	r.gens = calloc(r.pages, sizeof(*r.gens));
	r.nslots = nslots;
	r.sizes = sizes;
	if (sizes)
		churn_every = 1;
	if (grow_kib) {
		r.grow_pages = (grow_kib * 1024 + PAGE - 1) / PAGE;
		r.grow_max = 128 * MIB / PAGE / r.grow_pages;
		r.grow_mem = calloc(r.grow_max, sizeof(*r.grow_mem));
		r.grow_sums = calloc(r.grow_max, sizeof(*r.grow_sums));
		if (!r.grow_mem || !r.grow_sums)
			die("cannot allocate the grow table");
	}
	r.slots = calloc(nslots ? nslots : 1, sizeof(*r.slots));
	if (!r.mem || !r.sums || !r.gens || !r.slots)
		die("cannot allocate %zu MiB", mib);
	r.rng = splitmix((uint64_t)time(NULL) ^ getpid());

	t0 = now();
	for (i = 0; i < r.pages; i++)
		r.sums[i] = page_fill(r.mem + i * WORDS, i, 0);
	for (k = 0; k < nslots; k++)
		slot_renew(&r, k);
	r.rewrites = r.churns = 0;
	if (frag) {
		fragment(&fr, 1);
		sleep(1);	/* the freed pages drain from the per-cpu lists */
	}
	{
		char extra[256];

		snprintf(extra, sizeof(extra), "mode=verify region_mib=%zu slots=%u frag_kept_mib=%zu"
			 " frag_freed_mib=%zu holes=%s fill_s=%.2f ", mib, nslots,
			 fr.kept * PAGE / MIB, fr.freed * PAGE / MIB, fr.how ? fr.how : "none",
			 now() - t0);
		print_mem("FPW-MIG-READY", extra);
		if (frag)
			print_buddyinfo();
	}

	deadline = now() + timeout;
	for (;;) {
		if (cmd_poll(&cc, 10, cmd, sizeof(cmd))) {
			if (!strcmp(cmd, "verify"))
				break;
			if (!strncmp(cmd, "check ", 6)) {
				check_after_migration(&r, &fr, frag, &hs, cmd + 6,
						      corrupt && !checked++);
			} else if (!strcmp(cmd, "start")) {
				print_mem("FPW-MIG-START", NULL);
				print_vmstat("start");
				growing = r.grow_pages > 0;
			} else if (!strcmp(cmd, "wake")) {
				/* -S: the line that woke the guest. */
			} else {
				printf("fpwmem: unknown command '%s'\n", cmd);
				fflush(stdout);
			}
		}
		if (now() > deadline) {
			hint_print(&hs);
			printf("FPW-RESULT migration-verify FAIL no verify command within %d s"
			       " (rewrites=%llu churns=%llu)\n", timeout, r.rewrites, r.churns);
			fflush(stdout);
			return 1;
		}
		for (i = 0; i < rewrite_kib / 4 && r.pages; i++)
			rewrite_page(&r, rnd(&r) % r.pages);
		if (nslots && ++tick % churn_every == 0)
			slot_renew(&r, rnd(&r) % nslots);
		if (growing)
			grow_one(&r);
		/* Every 20 ms until a round was seen walking, then 100 ms. */
		if (now() - last_poll > (hs.in_round_shown ? 0.1 : 0.02)) {
			hint_poll(&hs);
			last_poll = now();
		}
	}

	/* -O, -R: what the cue started has ended (or is reported stuck). */
	cue_wait();
	print_vmstat("report");
	hint_print(&hs);
	if (corrupt && r.pages) {
		size_t page = rnd(&r) % r.pages, off = 16 + rnd(&r) % (PAGE - 16);

		((unsigned char *)(r.mem + page * WORDS))[off] ^= 0x5a;
		printf("FPW-MIG-CORRUPT page=%zu offset=%zu: one byte flipped on purpose (fpw.corrupt=1)\n",
		       page, off);
		fflush(stdout);
	}

	return region_check(&r, &fr, frag, "FPW-RESULT migration-verify");
}

/* ---- alloc-all ------------------------------------------------------- */

static int do_alloc_all(int argc, char **argv)
{
	long pct = 90, memfree;
	size_t chunk = 4 * MIB, n, c, i, nonzero = 0, pages = 0;
	char **chunks;
	double t0 = now();
	int opt;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		switch (opt) {
		case 'p': pct = atol(optarg); break;
		default: die("usage: fpwmem alloc-all [-p PERCENT]");
		}
	}
	memfree = meminfo_kb("MemFree");
	if (memfree <= 0)
		die("cannot read MemFree");
	n = (size_t)memfree * 1024 / 100 * pct / chunk;
	chunks = calloc(n + 1, sizeof(*chunks));
	if (!chunks)
		die("out of memory");
	for (c = 0; c < n; c++) {
		chunks[c] = map(chunk, 0);
		if (!chunks[c])
			break;
		for (i = 0; i < chunk; i += PAGE) {
			uint64_t *p = (uint64_t *)(chunks[c] + i);

			/* The first access reads: a fresh page must be zeroes. */
			if (!page_is_zero(p))
				nonzero++;
			p[0] = 0x46505741ULL ^ (c * chunk + i);
			p[WORDS - 1] = ~p[0];
			pages++;
		}
	}
	for (i = 0; i < c; i++)
		munmap(chunks[i], chunk);
	printf("FPW-RESULT migration-after-alloc %s touched %zu MiB of %ld MiB free (%zu pages),"
	       " %zu fresh page(s) not zero, %.1f s\n",
	       nonzero || c < n ? "FAIL" : "PASS", pages * PAGE / MIB, memfree / 1024, pages,
	       nonzero, now() - t0);
	if (c < n)
		printf("fpwmem: mmap failed after %zu of %zu chunks\n", c, n);
	fflush(stdout);
	return nonzero || c < n ? 1 : 0;
}

/* ---- benchmark scenarios -------------------------------------------- */

/*
 * busy: a ring of BUSY_RING chunks of 16 MiB; each step unmaps the oldest
 * chunk, maps a new one and writes every page of it. The working set stays
 * at 128 MiB, so that the migration converges under TCG.
 */
#define BUSY_CHUNK (16 * MIB)
#define BUSY_RING 8

struct busy {
	char *ring[BUSY_RING];
	unsigned int next;
	unsigned long long chunks;
};

static void busy_step(struct busy *b)
{
	char *p;
	size_t i;

	if (b->ring[b->next])
		munmap(b->ring[b->next], BUSY_CHUNK);
	p = map(BUSY_CHUNK, 0);
	b->ring[b->next] = p;
	b->next = (b->next + 1) % BUSY_RING;
	if (!p)
		return;
	for (i = 0; i < BUSY_CHUNK; i += PAGE)
		*(volatile uint64_t *)(p + i) = i ^ b->chunks;
	b->chunks++;
}

static int do_scenario(const char *mode, int argc, char **argv)
{
	const char *tty = "/dev/ttyS1", *stats = NULL;
	int timeout = 900, opt, busy = !strcmp(mode, "busy");
	struct cmdchan cc;
	struct hintstats hs;
	struct heldsampler held;
	struct busy b = { 0 };
	char extra[256] = "", cmd[128];
	double t0 = now(), deadline, last_poll = 0, tstart = 0;
	unsigned long long cstart = 0;

	while ((opt = getopt(argc, argv, "C:s:t:")) != -1) {
		switch (opt) {
		case 'C': tty = optarg; break;
		case 's': stats = optarg; break;
		case 't': timeout = atoi(optarg); break;
		default: die("usage: fpwmem %s [-C TTY] [-s FILE] [-t SEC]", mode);
		}
	}
	cmd_open(&cc, tty);
	hint_init(&hs, stats);

	if (!strcmp(mode, "idle-dirty")) {
		int mib = idle_dirty();

		snprintf(extra, sizeof(extra), "mode=%s dirtied_mib=%d prep_s=%.1f ", mode, mib, now() - t0);
	} else if (!strcmp(mode, "fragmented")) {
		struct frag f;

		fragment(&f, 0);
		snprintf(extra, sizeof(extra), "mode=%s kept_mib=%zu freed_mib=%zu holes=%s prep_s=%.1f ",
			 mode, f.kept * PAGE / MIB, f.freed * PAGE / MIB, f.how, now() - t0);
	} else if (!strcmp(mode, "frag-mixed")) {
		struct frag f;

		frag_mixed(&f);
		snprintf(extra, sizeof(extra), "mode=%s kept_mib=%zu freed_mib=%zu holes=%s"
			 " freed_blocks=%lu,%lu,%lu,%lu prep_s=%.1f ",
			 mode, f.kept * PAGE / MIB, f.freed * PAGE / MIB, f.how,
			 f.blocks[0], f.blocks[1], f.blocks[2], f.blocks[3], now() - t0);
	} else if (busy) {
		/* The workload's own rate before any migration: 5 s of it. */
		double tb = now();
		unsigned long long c0;

		while (now() - tb < 1)
			busy_step(&b);
		tb = now();
		c0 = b.chunks;
		while (now() - tb < 5)
			busy_step(&b);
		snprintf(extra, sizeof(extra), "mode=%s chunk_mib=%lu ring=%d baseline_mib_per_s=%.1f ",
			 mode, BUSY_CHUNK / MIB, BUSY_RING,
			 (b.chunks - c0) * (BUSY_CHUNK / MIB) / (now() - tb));
	} else if (!strcmp(mode, "idle")) {
		snprintf(extra, sizeof(extra), "mode=%s ", mode);
	} else {
		die("unknown mode '%s'", mode);
	}
	/* Let the freed pages drain from the per-cpu lists to the buddy. */
	if (!busy)
		sleep(1);
	print_mem("FPW-MIG-READY", extra);
	print_buddyinfo();
	print_vmstat("ready");
	held_start(&held, &hs);

	deadline = now() + timeout;
	for (;;) {
		if (cmd_poll(&cc, busy ? 0 : 50, cmd, sizeof(cmd))) {
			if (!strcmp(cmd, "report")) {
				held_stop(&held);
				break;
			}
			if (!strcmp(cmd, "start")) {
				print_mem("FPW-MIG-START", NULL);
				print_buddyinfo();
				print_vmstat("start");
				tstart = now();
				cstart = b.chunks;
			} else {
				printf("fpwmem: unknown command '%s'\n", cmd);
				fflush(stdout);
			}
		}
		if (now() > deadline) {
			printf("fpwmem: no report command within %d s\n", timeout);
			fflush(stdout);
			return 1;
		}
		if (busy)
			busy_step(&b);
		if (now() - last_poll > 0.1) {
			hint_poll(&hs);
			last_poll = now();
		}
	}
	if (busy) {
		double secs = tstart ? now() - tstart : 0;
		unsigned long long mib = (b.chunks - cstart) * (BUSY_CHUNK / MIB);

		printf("FPW-MIG-BUSY mib=%llu seconds=%.2f mib_per_s=%.1f\n", mib, secs,
		       secs > 0 ? mib / secs : 0.0);
	}
	print_mem("FPW-MIG-AFTER", NULL);
	print_vmstat("report");
	hint_print(&hs);
	printf("FPW-MIG-END mode=%s\n", mode);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: fpwmem verify|alloc-all|idle|idle-dirty|fragmented|busy [options]");
	if (!strcmp(argv[1], "verify"))
		return do_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "alloc-all"))
		return do_alloc_all(argc - 1, argv + 1);
	return do_scenario(argv[1], argc - 1, argv + 1);
}

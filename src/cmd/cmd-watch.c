/* ipcscope watch: rescan and print what changed. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "render/watch.h"

/* the values of this command's own options */
static struct {
	double interval;	/* seconds between scans */
	uint64_t count;		/* scans; 0 = until stopped */
	uint64_t threshold;	/* queue bytes; 0 = none */
} own = { .interval = 2 };

static void set_interval(struct cmd_ctx *ctx, const char *arg)
{
	char *end;

	(void)ctx;
	errno = 0;
	own.interval = strtod(arg, &end);
	if (errno || end == arg || *end || !(own.interval >= 0.01) || own.interval > 86400)
		cmd_usage_error("invalid interval '%s' (0.01 to 86400 seconds)", cmd_shown(arg));
}

static void set_count(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	if (!parse_u64(arg, &own.count) || own.count == 0)
		cmd_usage_error("invalid count '%s'", cmd_shown(arg));
}

/* A queue is watched through its fill level. */
static void set_threshold(struct cmd_ctx *ctx, const char *arg)
{
	if (!parse_u64(arg, &own.threshold) || own.threshold == 0)
		cmd_usage_error("invalid queue threshold '%s' (bytes, at least 1)", cmd_shown(arg));
	ctx->needs |= NEED_FILL;
}

static const struct cmd_opt opt_interval = {
	"interval", required_argument, 0, "SECONDS",
	"time between scans (default 2; fractions allowed)", set_interval,
};
static const struct cmd_opt opt_count = {
	"count", required_argument, 0, "N",
	"stop after N scans, the first one included", set_count,
};
static const struct cmd_opt opt_threshold = {
	"queue-threshold", required_argument, 0, "BYTES",
	"report a pipe or socket queue crossing BYTES", set_threshold,
};

static volatile sig_atomic_t cmd_watch_stop;

static void cmd_watch_signal(int sig)
{
	(void)sig;
	cmd_watch_stop = 1;
}

static int cmd_watch_emit(void *arg, const struct watch_change *ch)
{
	const struct cmd_ctx *ctx = arg;
	struct timespec ts;
	char when[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	watch_time(when, sizeof(when), &ts);
	return ctx->json ? watch_render_json(stdout, ch, when)
			 : watch_render_text(stdout, ch, when);
}

/* Sleeps, but wakes at once for SIGINT or SIGTERM, and ends the watch
 * when no one reads stdout any more: a pipe whose reader is gone, a
 * terminal hung up. A watch that has nothing to print would otherwise
 * never meet the EPIPE that ends it. poll asks for no event, so a file or
 * a live terminal never wakes it. */
static void cmd_watch_sleep(double secs)
{
	struct timespec left = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	struct timespec end, now;
	struct pollfd out = { .fd = STDOUT_FILENO, .events = 0 };

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += left.tv_sec;
	end.tv_nsec += left.tv_nsec;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (!cmd_watch_stop) {
		int n = ppoll(&out, 1, &left, NULL);

		if (n > 0 && (out.revents & (POLLERR | POLLHUP | POLLNVAL))) {
			cmd_watch_stop = 1;
			return;
		}
		if (n == 0 || (n < 0 && errno != EINTR))
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return;
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
	}
}

/* Every scan after the first, compared with the one before it. */
static int cmd_watch_loop(struct cmd_ctx *ctx, struct model *old, struct model *cur)
{
	struct model *tmp;
	int werr = 0;

	for (uint64_t n = 1; !cmd_watch_stop && (!own.count || n < own.count); n++) {
		cmd_watch_sleep(own.interval);
		if (cmd_watch_stop)
			break;
		if (cmd_scan(ctx, cur) < 0) {
			model_free(old);
			model_free(cur);
			return -1;
		}
		if (watch_diff(old, cur, own.threshold, cmd_watch_emit, ctx) < 0 ||
		    fflush(stdout) != 0)
			werr = errno ? errno : EIO;
		model_free(old);
		tmp = old;
		old = cur;
		cur = tmp;
		if (werr)
			break;
	}
	model_free(old);
	return werr;
}

static int cmd_watch_run(struct cmd_ctx *ctx)
{
	struct sigaction sa = { .sa_handler = cmd_watch_signal };
	struct model a, b;
	int werr;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cmd_scan(ctx, &a) < 0) {
		model_free(&a);
		return 1;
	}
	/* the first scan is the baseline; its warnings are said once */
	cmd_print_warnings(&a);
	werr = cmd_watch_loop(ctx, &a, &b);
	return werr < 0 ? 1 : cmd_finish_stdout(werr);
}

static const struct cmd_opt *const watch_opts[] = {
	&opt_interval, &opt_count, &opt_threshold, CMD_OPT(TYPE), CMD_OPT(PID), CMD_OPT(USER),
	CMD_OPT(PATH), CMD_CGROUP_OPTS, CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), CMD_OPT(JSON), NULL
};

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.args = "[options]",
	.summary = "rescan every few seconds and print what changed",
	.description =
	"Rescan every --interval seconds and print only the changes: objects that\n"
	"appeared or vanished, holders that joined or left, queues that crossed\n"
	"--queue-threshold, threads that began or stopped waiting on an object, and\n"
	"deadlocks that appeared. With --json, one JSON object per line (NDJSON).",
	.opts = watch_opts,
	/* waits that begin and end, deadlocks that appear */
	.needs = NEED_WAITS | NEED_WAITS_QUIET,
	.run = cmd_watch_run,
};

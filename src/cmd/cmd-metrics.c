/* ipcscope metrics: the Prometheus text format. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "render/metrics.h"

/* the values of this command's own options */
static struct {
	bool per_process;
	const char *textfile;	/* write DIR/ipcscope.prom */
} own;

static void set_per_process(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	(void)arg;
	own.per_process = true;
}

static void set_textfile(struct cmd_ctx *ctx, const char *arg)
{
	(void)ctx;
	if (!*arg)
		cmd_usage_error("empty --textfile directory");
	own.textfile = arg;
}

static const struct cmd_opt opt_per_process = {
	"per-process", no_argument, 0, NULL,
	"also series per (command name, type); see ipcscope(1) first", set_per_process,
};
static const struct cmd_opt opt_textfile = {
	"textfile", required_argument, 0, "DIR",
	"write DIR/ipcscope.prom atomically, for node_exporter", set_textfile,
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The warnings come first: the metrics may go to a file, not stdout. */
static int cmd_metrics_run(struct cmd_ctx *ctx)
{
	struct metrics_opts mo = { .per_process = own.per_process,
				   .version = IPCSCOPE_VERSION };
	double t0 = mono_now();
	struct model m;
	int rc, status = 1;

	if (cmd_scan(ctx, &m) < 0)
		goto out;
	mo.duration = mono_now() - t0;
	cmd_print_warnings(&m);
	if (own.textfile) {
		rc = metrics_write_textfile(own.textfile, &m, &mo);
		if (rc < 0)
			warnx("cannot write %s/ipcscope.prom: %s", cmd_shown(own.textfile),
			      strerror(-rc));
		status = rc < 0 ? 1 : 0;
	} else {
		rc = metrics_render(stdout, &m, &mo);
		status = cmd_finish_stdout(rc < 0 ? errno : 0);
	}
out:
	model_free(&m);
	return status;
}

static const struct cmd_opt *const metrics_opts[] = {
	&opt_per_process, &opt_textfile, CMD_OPT(TYPE), CMD_OPT(USER), CMD_OPT(PATH_SEARCH),
	CMD_CGROUP_OPTS, CMD_OPT(MQUEUE_DIR), CMD_OPT(BACKEND), NULL
};

const struct cmd_entry cmd_metrics_entry = {
	.name = "metrics",
	.args = "[options]",
	.summary = "Prometheus metrics, to stdout or a textfile",
	.description =
	"Print the counts, sizes, leaks, queue maxima, waiting threads and deadlocks\n"
	"in the Prometheus text format, for node_exporter's textfile collector or\n"
	"any scraper.",
	.opts = metrics_opts,
	/* the queue maxima are fill levels; waiting threads and deadlocks */
	.needs = NEED_FILL | NEED_SEARCH | NEED_LEAKS | NEED_WAITS | NEED_WAITS_QUIET,
	.run = cmd_metrics_run,
};

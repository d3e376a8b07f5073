/* ipcscope: which processes hold which IPC objects.
 * The pipeline is collect → link → filter → render; main only finds the
 * command in the table (src/cmd/cmds.c) and runs it. */
#include <err.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/bpfscan.h"
#include "cmd/cmd.h"
#include "escape.h"
#include "collect/pathio.h"

static void main_usage(void)
{
	printf("Usage:\n %s [COMMAND] [options]\n\n"
	       "Show every IPC object on this machine and the processes that hold it.\n\n"
	       "Commands:\n", CMD_PROG);
	for (size_t i = 0; cmd_table[i]; i++)
		printf(" %-8s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	printf("\nOptions:\n"
	       " -h, --help      show this help and exit\n"
	       " -V, --version   show the version and the backends built in, and exit\n\n"
	       "Run '%s COMMAND --help' for a command's options; see ipcscope(1).\n", CMD_PROG);
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static bool is_version(const char *arg)
{
	return strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0;
}

static int run(int argc, char **argv)
{
	const struct cmd_entry *ce;

	/* no command, only options: list */
	if (argc < 2 || (argv[1][0] == '-' && !is_help(argv[1]) && !is_version(argv[1])))
		return cmd_run(&cmd_list_entry, argc, argv);
	if (is_help(argv[1])) {
		main_usage();
		return cmd_finish_stdout(0);
	}
	if (is_version(argv[1])) {
		printf("%s %s\n", CMD_PROG, IPCSCOPE_VERSION);
		/* which backends --backend can choose; whether bpf loads on this
		 * machine is a scan's business (the JSON's "backend") */
		printf("backends: proc%s\n", bpfscan_built() ? ", bpf" :
		       " (built without bpf: clang, bpftool or libbpf-dev was missing)");
		return cmd_finish_stdout(0);
	}
	ce = cmd_find(argv[1]);
	if (!ce)
		cmd_usage_error("unknown command '%s' (try '%s --help')", cmd_shown(argv[1]),
				CMD_PROG);
	return cmd_run(ce, argc - 1, argv + 1);
}

/* 0, 1 and 2 are always open: a file the scan opens then never lands on
 * one, and a child left waiting (bounded.c) can close all three so that
 * no reader of our output waits for it. A closed one reads and writes
 * /dev/null, and a closed stdout stays no error. */
static void main_open_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			_exit(1);
}

int main(int argc, char **argv)
{
	const char *root;
	int rc, status;

	main_open_stdio();
	setlocale(LC_ALL, "");
	esc_init();
	json_prepare();

	root = getenv("IPCSCOPE_ROOT");
	if (root && *root && (rc = pio_init(root)) < 0)
		errx(1, "IPCSCOPE_ROOT '%s': %s", cmd_shown(root), strerror(-rc));

	status = run(argc, argv);
	user_names_free();
	pio_fini();
	return status;
}

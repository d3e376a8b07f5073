/* The command table: a new command is its cmd-NAME.c and a line here. */
#include <stddef.h>

#include "cmd/cmd.h"

extern const struct cmd_entry cmd_show_entry, cmd_leaks_entry, cmd_summary_entry,
	cmd_graph_entry, cmd_metrics_entry, cmd_watch_entry, cmd_clean_entry, cmd_waits_entry;

/* in 'ipcscope --help' order */
const struct cmd_entry *const cmd_table[] = {
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_leaks_entry,
	&cmd_waits_entry,
	&cmd_summary_entry,
	&cmd_graph_entry,
	&cmd_metrics_entry,
	&cmd_watch_entry,
	&cmd_clean_entry,
	NULL
};

# fish completion for ipcscope(1). Column names come from
# 'ipcscope list --list-columns' at completion time, so they follow the
# installed binary.

# The command being completed: the first argument, or list when that is an
# option or missing. Prints nothing for an unknown command.
# (__fish_seen_subcommand_from would also match an option's value.)
function __ipcscope_command
    set -l tokens (commandline -opc)
    if not set -q tokens[2]; or string match -q -- '-*' $tokens[2]
        echo list
    else if contains -- $tokens[2] list show leaks waits summary graph metrics watch clean
        echo $tokens[2]
    end
end

function __ipcscope_using
    set -l cmd (__ipcscope_command)
    test -n "$cmd"; and contains -- $cmd $argv
end

# the command itself may only come first
function __ipcscope_needs_command
    test (count (commandline -opc)) -eq 1
end

# Completes the last item of a comma list from the candidates (NAME or
# NAME<tab>description), leaving out the items already given. With --plus,
# a leading + (append to the default columns) is kept.
function __ipcscope_list
    set -l plus
    if test "$argv[1]" = --plus
        set plus '\+?'
        set -e argv[1]
    end
    # the value so far, without an --option= or -o in front of it
    set -l value (commandline -ct | string replace -r -- '^--[^=]*=' '' | string replace -r -- '^-[a-zA-Z]' '')
    set -l head (string replace -r -- "^($plus(?:.*,)?).*\$" '$1' $value)
    set -l given (string trim -l -c + -- $head | string split -n ,)
    for c in $argv
        contains -- (string replace -r '\t.*' '' -- $c) $given; or printf '%s%s\n' $head $c
    end
end

function __ipcscope_columns
    command ipcscope list --list-columns 2>/dev/null | string replace -r '^(\S+)\s+\S+\s+' '$1\t'
end

function __ipcscope_types
    printf '%s\n' fifo\t'named pipes' pipe\t'anonymous pipes' unix\t'UNIX sockets' \
        uds\t'UNIX sockets' socket\t'UNIX sockets' shm\t'POSIX shared memory' \
        memfd\t'memfd_create files' sem\t'POSIX semaphores' \
        sysvshm\t'SysV shared memory' mqueue\t'POSIX message queues' eventfd\t'eventfd counters' anonshm\t'anonymous shared memory' inet\t'local TCP and UDP sockets' all\t'every type'
end

# every live pid with its command name (__fish_complete_pids has no comma
# lists). grep -s, as a failed redirection in fish warns even with 2>/dev/null
# when a process exits meanwhile. A comm may hold any byte but NUL, newlines
# included: grep -a -z prints each file whole, ended by a NUL, and tr turns
# the NULs into newlines and every other control byte (the newline that ends
# each comm among them) into '?', so that each process is one line.
function __ipcscope_pids
    grep -asz '' /proc/*/comm | tr '\000\001-\037\177' '\n?' |
        string replace -rf -- '^/proc/([0-9]+)/comm:(.*)\?$' '$1\t$2'
end

# -COL sorts in descending order
function __ipcscope_sort_columns
    set -l sign (commandline -ct | string replace -r -- '^--[^=]*=' '' | string match -r -- '^-')
    __ipcscope_columns | string replace -r '^' -- "$sign"
end

complete -c ipcscope -f

# commands
complete -c ipcscope -n __ipcscope_needs_command -a list -d 'list IPC objects and their holders (the default)'
complete -c ipcscope -n __ipcscope_needs_command -a show -d 'show one object in full: holders, peer, queues'
complete -c ipcscope -n __ipcscope_needs_command -a leaks -d 'list what nobody holds: leaked shm, stale sockets'
complete -c ipcscope -n __ipcscope_needs_command -a waits -d 'who waits on which object, for whom: deadlocks, stalls'
complete -c ipcscope -n __ipcscope_needs_command -a summary -d 'counts and bytes per type, top holders, leaks'
complete -c ipcscope -n __ipcscope_needs_command -a graph -d 'who talks to whom, for Graphviz, Mermaid or JSON'
complete -c ipcscope -n __ipcscope_needs_command -a metrics -d 'Prometheus metrics, to stdout or a textfile'
complete -c ipcscope -n __ipcscope_needs_command -a watch -d 'rescan every few seconds and print what changed'
complete -c ipcscope -n __ipcscope_needs_command -a clean -d 'remove leaked objects (a dry run without --force)'
complete -c ipcscope -n __ipcscope_needs_command -s V -l version -d 'show the version and the backends built in, and exit'
complete -c ipcscope -s h -l help -d 'show help and exit'

# options of every command
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -s t -l type -x \
    -a '(__ipcscope_list (__ipcscope_types))' -d 'only these types (comma-separated)'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -s u -l user -x \
    -a '(__fish_complete_users)' -d 'only objects held or owned by USER'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -s P -l path -r -F \
    -d 'only objects whose path matches GLOB or lies below it'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -l container -x \
    -d 'only objects held by a process in this container (an id or a prefix)'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -l cgroup -x \
    -d 'only objects held by a process whose cgroup v2 path matches GLOB'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -l mqueue-dir -x \
    -a '(__fish_complete_directories)' -d 'where the mqueue filesystem is mounted'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary graph metrics watch clean' -l backend -x \
    -a 'auto\t"bpf when its programs load, else proc" proc\t"walk /proc" bpf\t"kernel iterators"' -d 'how processes are read'

complete -c ipcscope -n '__ipcscope_using list show graph watch waits' -s p -l pid -x \
    -a '(__ipcscope_list (__ipcscope_pids))' -d 'only objects these processes hold'
complete -c ipcscope -n '__ipcscope_using list show leaks waits summary watch' -s J -l json -d 'JSON output'
complete -c ipcscope -n '__ipcscope_using list show leaks summary' -s b -l bytes -d 'exact sizes in bytes'
complete -c ipcscope -n '__ipcscope_using leaks clean' -l older-than -x \
    -d 'only what was last modified or used that long ago (30s, 10m, 2h, 1d)'

# table output: list, show, leaks
complete -c ipcscope -n '__ipcscope_using list show leaks' -l json-lines -d 'one JSON object per line, without the envelope'
complete -c ipcscope -n '__ipcscope_using list show leaks' -s o -l output -x \
    -a '(__ipcscope_list --plus (__ipcscope_columns))' -d 'columns to show; +COLS appends to the default'
complete -c ipcscope -n '__ipcscope_using list show leaks' -l sort -x \
    -a '(__ipcscope_sort_columns)' -d 'sort by a column; -COL sorts in descending order'
# fish takes "--sort -PEER" for an option: offer the columns there too
complete -c ipcscope -n '__ipcscope_using list show leaks; and __fish_prev_arg_in --sort; and string match -q -- "-*" (commandline -ct)' \
    -a '(__ipcscope_sort_columns)'
complete -c ipcscope -n '__ipcscope_using list show leaks' -s r -l raw -d 'one space between cells, no alignment'
complete -c ipcscope -n '__ipcscope_using list show leaks' -l width -x -d 'fit the table to N columns'
# WHEN only as --color=WHEN: "--color always" would make always an operand
complete -c ipcscope -n '__ipcscope_using list show leaks' -l color -f -a 'auto always never' \
    -d 'color types and leak reasons'
complete -c ipcscope -n '__ipcscope_using list show leaks waits' -s n -l no-headings -d 'do not print the header line'
complete -c ipcscope -n '__ipcscope_using list show leaks' -l list-columns -d 'list the available columns and exit'

complete -c ipcscope -n '__ipcscope_using leaks' -l exit-code -d 'exit with status 3 when leaks were found'
complete -c ipcscope -n '__ipcscope_using waits' -l exit-code -d 'exit with status 3 when processes wait on each other in a cycle'
complete -c ipcscope -n '__ipcscope_using graph' -l format -x -a 'dot json mermaid' -d 'output format'
complete -c ipcscope -n '__ipcscope_using graph' -l depth -x -d 'with --pid, processes up to N hops away'
complete -c ipcscope -n '__ipcscope_using metrics' -l per-process -d 'also series per (command name, type)'
complete -c ipcscope -n '__ipcscope_using metrics' -l textfile -x -a '(__fish_complete_directories)' \
    -d 'write DIR/ipcscope.prom atomically, for node_exporter'
complete -c ipcscope -n '__ipcscope_using watch' -l interval -x -d 'time between scans (default 2; fractions allowed)'
complete -c ipcscope -n '__ipcscope_using watch' -l count -x -d 'stop after N scans, the first one included'
complete -c ipcscope -n '__ipcscope_using watch' -l queue-threshold -x -d 'report a pipe or socket queue crossing BYTES'
complete -c ipcscope -n '__ipcscope_using clean' -l force -d 'really remove; without it clean only says what it would do'

# show OBJECT: a path (@abstract names and inodes are not completed)
complete -c ipcscope -n '__ipcscope_using show' -F

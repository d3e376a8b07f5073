#!/bin/sh
# Installs the Debian 12 packages that ipcscope needs to build and test and
# that this machine lacks. Uses sudo when not run as root.
# Usage: sh tests/install-deps.sh [--build-only]
set -eu

# clang, bpftool and libbpf-dev build the bpf backend (its headers only:
# nothing of libbpf is linked); without them make builds the proc backend.
build="make gcc libc6-dev pkg-config libproc2-dev libjansson-dev clang bpftool libbpf-dev"
# what `make check` and .ci/run use. lsfd is in util-linux-extra; clang's
# libFuzzer runtime (libclang-rt-dev) is only a Recommends, which
# --no-install-recommends leaves out. The man page is linted without the
# pages it refers to (tests/helpers/man-lint.sh), so none are needed.
test="bats bats-assert bats-support jq util-linux util-linux-extra iproute2 procps lsof
	libclang-rt-dev valgrind mandoc zsh fish graphviz prometheus strace time"
want="$build"
[ "${1:-}" = "--build-only" ] || want="$build $test"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo"
else
	echo "install-deps: missing packages:$missing; run this as root" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing

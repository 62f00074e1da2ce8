# Sourced by test/kube/build.sh, test/kube/build-e2e.sh and test/node/build.sh: builds binaries
# into a cache directory outside the clone, once per machine.
#
# A binary that is present and reports the wanted version is kept. Each binary is built under
# a temporary name, checked, and renamed into place, so an interrupted build never leaves half
# a binary where the tests look. Concurrent runs (several `make test` at once) wait for each
# other on a lock per binary instead of building the same thing twice; different binaries
# build side by side. A build prints a line every 30 s, so a long compile is not mistaken for
# a hang.
#
# The caller sets `script` (its name, for errors) and `OUT` (the cache directory), then calls
# cache_init once and cache_build once per binary.

GO="${GO:-go}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "$script: $*" >&2; exit 1; }

# required_version module go.mod: the version go.mod requires, in a require block or not.
required_version() {
	awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$2"
}

# want_version module go.mod wanted: refuses to stamp a version the module is not pinned to,
# or the binaries would lie.
want_version() {
	local pinned
	pinned="$(required_version "$1" "$2")"
	[[ "$pinned" == "$3" ]] ||
		die "$1 is wanted at $3 but ${2#"$repo_root/"} pins ${pinned:-nothing}; change both together"
}

# cache_select name ...: narrows names (every binary the script builds, set by the caller) to
# the ones asked for on the command line, if any.
cache_select() {
	local name
	for name in "$@"; do
		[[ " ${names[*]} " == *" $name "* ]] || die "unknown binary \"$name\"; known: ${names[*]}"
	done
	if (($# > 0)); then names=("$@"); fi
}

cache_init() {
	command -v "$GO" >/dev/null 2>&1 ||
		die "'$GO' not found in PATH: install Go 1.26 or newer (https://go.dev/dl/) or set GO=/path/to/go"
	mkdir -p "$OUT" || die "cannot create OUT=$OUT (run as a user that can write there, or set DUALNET_CACHE)"
	cache_built=0
	cache_kept=0
	cache_start=$SECONDS
	trap cache_cleanup EXIT
}

cache_tmp=""
cache_ticker=""
cache_cleanup() {
	if [[ -n "$cache_ticker" ]]; then kill "$cache_ticker" 2>/dev/null || true; fi
	if [[ -n "$cache_tmp" ]]; then rm -f "$cache_tmp"; fi
}

# stamped binary version-arguments wanted: whether the binary prints each of the wanted lines
# (separated by ";"), alone or followed by a space and more (containerd's ends in a build
# revision, runc's libseccomp line in libseccomp's version).
stamped() {
	local args out
	read -ra args <<<"$2"
	[[ -x "$1" ]] || return 1
	# Captured first: with pipefail, a reader closing the pipe early would fail the check.
	out="$("$1" "${args[@]}" 2>&1)" || return 1
	awk -v wanted="$3" '
		BEGIN { n = split(wanted, w, ";") }
		{ for (i = 1; i <= n; i++) if ($0 == w[i] || index($0, w[i] " ") == 1) seen[i] = 1 }
		END { for (i = 1; i <= n; i++) if (!(i in seen)) exit 1 }' <<<"$out"
}

# cache_build name module-dir version-arguments wanted [VAR=value ...] command ... : runs the
# command (with the variables) in module-dir, where the argument @OUT@ stands for the
# temporary output path, unless $OUT/name already prints the wanted version.
cache_build() {
	local name="$1" dir="$2" version_args="$3" want="$4" lock
	shift 4
	exec {lock}>"$OUT/.$name.lock"
	if ! flock -n "$lock"; then
		echo "another build of $name is running; waiting for it ..."
		flock "$lock"
	fi
	if stamped "$OUT/$name" "$version_args" "$want"; then
		echo "$name is up to date (${want//;/, })"
		cache_kept=$((cache_kept + 1))
		exec {lock}>&-
		return
	fi
	echo "building $name ..."
	local start=$SECONDS status=0 arg cmd=()
	cache_tmp="$OUT/.$name.tmp.$$"
	for arg in "$@"; do
		[[ "$arg" == @OUT@ ]] && arg="$cache_tmp"
		cmd+=("$arg")
	done
	# -mod=readonly: a build never edits go.mod or go.sum; what it needs is tracked.
	(cd "$dir" && env GOFLAGS="${GOFLAGS:-} -mod=readonly" "${cmd[@]}") &
	local pid=$!
	(while sleep 30; do echo "  ... $name still building, $((SECONDS - start))s"; done) &
	cache_ticker=$!
	wait "$pid" || status=$?
	kill "$cache_ticker" 2>/dev/null || true
	wait "$cache_ticker" 2>/dev/null || true
	cache_ticker=""
	((status == 0)) || die "building $name failed (see the errors above)"
	stamped "$cache_tmp" "$version_args" "$want" ||
		die "$name was built but \`$name $version_args\` does not print \"${want//;/\" and \"}\""
	mv -f "$cache_tmp" "$OUT/$name"
	cache_tmp=""
	exec {lock}>&-
	cache_built=$((cache_built + 1))
	echo "built $name in $((SECONDS - start))s: $OUT/$name"
}

cache_summary() { # what: one line on what was done
	echo "$1 in $OUT ($cache_built built, $cache_kept up to date, $((SECONDS - cache_start))s)"
}

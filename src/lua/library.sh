#!/bin/sh
# library.sh -- a script as a Redis Function library (Redis 7: FUNCTION
# LOAD), so that its top level runs once per load rather than every call.
#
#   library.sh prelude.lua script.lua      the library's text
#   library.sh -n prelude.lua script.lua   the name of its one function
#
# Only a script whose last line is "return main()" can be one (workflow.lua).
# The library declares ARGV (a Function is given its arguments; the global
# is EVAL's), then holds the prelude and the script but that line, and
# registers main. Its name holds a hash of the text, so that daemons of two
# versions on one Redis each call their own (function names are global).
# embed.sh and tests/bench/store_ceiling.py build it here, and only here.
set -e
name_only=0
if [ "$1" = -n ]; then
	name_only=1
	shift
fi
prelude=$1
script=$2
[ "$(tail -n 1 "$script")" = 'return main()' ] || {
	echo "library.sh: $script does not end in 'return main()'" >&2
	exit 1
}
hash=$(cat "$prelude" "$script" | sha1sum | cut -c1-12)
name=liaisond_$(basename "$script" .lua)_$hash
if [ "$name_only" = 1 ]; then
	echo "$name"
	exit 0
fi
echo "#!lua name=$name"
echo 'local ARGV'
cat "$prelude"
sed '$d' "$script"
echo "redis.register_function('$name', function(_, args)"
echo '  ARGV = args'
echo '  return main()'
echo 'end)'

# The remote side of `resilient-agent hosts install` (host-shim/remote/install.js): run by the
# remote user's shell as `sh -c '<this file>'`, the package as a tar on stdin. A constant: no
# user data is ever put into it. Prints "rca-missing: WHAT" (exit 3) when node >= 20 or tmux is
# missing for a login shell there, else "rca-installed: DIR".
set -eu
umask 077
d="${XDG_DATA_HOME:-$HOME/.local/share}/resilient-coding-agent"
lp=$("${SHELL:-/bin/sh}" -lc 'printf %s "$PATH"' </dev/null 2>/dev/null || true)
[ -n "$lp" ] || lp=$PATH
node=$(PATH=$lp; command -v node || true)
tmux=$(PATH=$lp; command -v tmux || true)
missing=""
if [ -z "$node" ]; then missing="node (20 or later)"
else
  major=$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] || missing="node 20 or later (found $("$node" --version 2>/dev/null))"
fi
[ -n "$tmux" ] || missing="${missing:+$missing, }tmux"
if [ -n "$missing" ]; then cat >/dev/null; echo "rca-missing: $missing"; exit 3; fi
mkdir -p "$d/bin"
rm -rf "$d/pkg.new"
mkdir "$d/pkg.new"
tar -x -f - -C "$d/pkg.new" --no-same-owner
rm -rf "$d/pkg.old"
if [ -d "$d/pkg" ]; then mv "$d/pkg" "$d/pkg.old"; fi
mv "$d/pkg.new" "$d/pkg"
rm -rf "$d/pkg.old"
q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo '#!/bin/sh'
  echo "PATH=$(q "$lp"); export PATH"
  # Without a UTF-8 locale (an ssh session often has none) tmux prints the tab of a list-panes
  # format as "_", and the monitor would see no pane at all.
  echo 'case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in *[Uu][Tt][Ff]-8*|*[Uu][Tt][Ff]8*) ;; *) LC_ALL=C.UTF-8; export LC_ALL ;; esac'
  echo "exec $(q "$node") $(q "$d/pkg/host-shim/cli/main.js") \"\$@\""
} > "$d/bin/resilient-agent.new"
chmod 700 "$d/bin/resilient-agent.new"
mv "$d/bin/resilient-agent.new" "$d/bin/resilient-agent"
echo "rca-installed: $d"

#!/bin/bash
# make bench: runs every bench/*.sh (except this one) and writes
# bench/RESULTS.md with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")"
out=RESULTS.md.new
{
  echo "# Benchmark results"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)."
  echo "Produced by \`make bench\`; each section names its peer, measured in the same run."
  for b in *.sh; do
    [ "$b" = run.sh ] && continue
    echo
    ./"$b"
  done
} > "$out"
mv "$out" RESULTS.md
cat RESULTS.md

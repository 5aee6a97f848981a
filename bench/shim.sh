#!/bin/bash
# The shim's translation speed on 1 MiB bodies against cJSON alone (the peer).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
echo "### Shim: 1 MiB bodies (issue 2)"
echo
echo "Peer: cJSON parsing or printing the same document in the same run (best of 15). Target: well under 2 ms."
echo
"$top/build/bench/shim_speed"

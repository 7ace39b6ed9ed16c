#!/usr/bin/env bash
# Print what failed in the output of ansible-playbook runs: each failing task
# (its TASK line, then every `fatal:`/`failed:` result and `[ERROR]` block,
# message included; ignored failures left out), then the recap lines of the
# hosts that failed or were unreachable. When nothing like that is found (the
# run failed some other way), the last 40 lines instead. At most 300 lines
# a log.
#
# usage: tests/tools/failed-tasks.sh LOG...
set -euo pipefail
for log in "$@"; do
    echo "---- failed tasks in $log:"
    awk '
        function out(line) {
            if (++printed <= 300) print line
            else if (printed == 301) print "... (more in " FILENAME ")"
        }
        function flush() {
            if (nblock && !ignored) {
                if (task != shown) { out(task); shown = task }
                for (i = 1; i <= nblock; i++) out(block[i])
                found = 1
            }
            nblock = 0; ignored = 0; inblock = 0
        }
        /^\.\.\.ignoring/ { ignored = 1; flush(); next }
        /^(TASK|RUNNING HANDLER) \[/ { flush(); recap = 0; task = $0; next }
        /^PLAY / { flush(); recap = ($0 ~ /^PLAY RECAP/); task = ""; next }
        /^(fatal|failed): \[|^\[ERROR\]|^ERROR!|^(ERROR|CRITICAL) / { recap = 0; if (!inblock) flush(); inblock = 1 }
        recap { if ($0 ~ /(failed|unreachable)=[1-9]/) { out($0); found = 1 } next }
        /^(ok|changed|skipping|included|rescued|ignored): |^\[(WARNING|DEPRECATION WARNING)\]/ { inblock = 0 }
        inblock && nblock < 80 { block[++nblock] = $0 }
        END { flush(); exit !found }
    ' "$log" || tail -n 40 "$log"
done

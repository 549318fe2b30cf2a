#!/usr/bin/env bash
# Timestamp work must not slow the scan measurably (issue 4).
#
# Generates two large logs (boot-logback with stack traces, and year-less syslog, which also
# pays the year pre-pass) and times `faultscope scan` with each binary given, best of 3.
#
#   bench/time_cost.sh BASELINE_BIN CANDIDATE_BIN [SIZE_MB]
set -euo pipefail
base=$1
cand=$2
mb=${3:-200}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$mb" <<'PY'
import sys, random
d, mb = sys.argv[1], int(sys.argv[2])
r = random.Random(4)
target = mb * 1024 * 1024
with open(f"{d}/boot.log", "w") as f:
    n = 0; s = 0
    while n < target:
        s += 1
        h, m, sec = (s // 3600) % 24, (s // 60) % 60, s % 60
        line = f"2019-08-21 {h:02}:{m:02}:{sec:02}.{s % 1000:03}  INFO 4321 --- [nio-8080-exec-{s % 9}] c.e.demo.SomeController : handled request id={r.randrange(10**9)}\n"
        if s % 5000 == 0:
            line += ("java.net.SocketException: No buffer space available (maximum connections reached?): connect\n"
                     + "\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)\n" * 20)
        f.write(line); n += len(line)
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
with open(f"{d}/messages", "w") as f:
    n = 0; s = 0
    while n < target:
        s += 1
        day = 1 + (s // 86400) % 28; mon = months[(s // (86400 * 28)) % 12]
        h, m, sec = (s // 3600) % 24, (s // 60) % 60, s % 60
        line = f"{mon} {day:2} {h:02}:{m:02}:{sec:02} host sshd[{s % 30000}]: Accepted publickey for user{r.randrange(100)} from 10.0.0.{s % 250}\n"
        if s % 5000 == 0:
            line = f"{mon} {day:2} {h:02}:{m:02}:{sec:02} host kernel: Out of memory: Killed process {s % 30000} (java)\n"
        f.write(line); n += len(line)
PY
ls -la "$dir"
for f in boot.log messages; do
  for bin in "$base" "$cand"; do
    best=999999
    for _ in 1 2 3; do
      t0=$(date +%s%N)
      "$bin" scan --exit-zero --tz UTC --year 2019 "$dir/$f" >/dev/null 2>&1 || "$bin" scan --exit-zero --tz UTC "$dir/$f" >/dev/null 2>&1
      t1=$(date +%s%N)
      ms=$(( (t1 - t0) / 1000000 ))
      (( ms < best )) && best=$ms
    done
    echo "$f  $(basename "$(dirname "$(dirname "$bin")")")/$(basename "$bin"): best of 3 = ${best} ms"
  done
done

#!/usr/bin/env python3
"""Run faultscope as the map step of an Apache Spark job and merge the results on the driver.

faultscope runs unchanged on the executors (`faultscope scan --emit partial`), the driver
collects the small partial results and runs `faultscope merge`, which prints the report one
`faultscope scan` over all the files would print (README, "Scaling out").

Usage (the binary is shipped to the executors with --files):

    spark-submit --master yarn --files target/release/faultscope \\
        contrib/spark/faultscope_spark.py [OPTIONS] ROOT... [-- SCAN_OPTION...]

    # local paths seen at the same place by every executor (local mode, NFS): shard mode
    spark-submit --master 'local[2]' --files target/release/faultscope \\
        contrib/spark/faultscope_spark.py --format json -o timeline.json \\
        fixtures/founding-case -- --tz Asia/Shanghai

    # object storage / HDFS: copy mode
    spark-submit --files target/release/faultscope contrib/spark/faultscope_spark.py \\
        --partitions 64 s3a://bucket/logs/2019-08-21 -- --tz Asia/Shanghai

Options (before the roots):
    --mode auto|shard|copy  shard: every task runs `scan --shard I/N` over the roots (the
                            paths must be readable at the same place on every executor;
                            relative roots are resolved in the driver's working directory).
                            copy: the driver lists the files with the Hadoop FileSystem API
                            (file:, s3a:, hdfs:, ...), executors read them with
                            `binaryFiles`, write a partition's files to a local temporary
                            tree laid out as under the root, scan it and rewrite the
                            temporary paths back to the root as given (so the report shows
                            `s3a://bucket/logs/nginx/access.log`). auto (default): copy when
                            a root is a URL (s3a:, hdfs:, file:, ...), shard otherwise.
    --partitions N          tasks (default: spark.default.parallelism).
    --binary PATH           the faultscope binary (default: the file named `faultscope`
                            shipped with --files, else `faultscope` on PATH); shipped to
                            the executors with SparkContext.addFile.
    --rules FILE            extra signatures (repeatable): shipped to the executors and
                            given to both scan and merge.
    --format F, -o FILE, --gap D, --display-tz Z, --exit-zero, --burst-min N
                            passed to `faultscope merge` (the report options).
    --keep-partials DIR     also write the partial results to DIR (part-00000.json.gz, ...).
    --master URL            Spark master when not run through spark-submit.

Everything after `--` is passed to `faultscope scan` on every executor (e.g. --tz, --year,
--service, --tz-for). Pass --tz: executors on machines in other zones would otherwise
assume different zones, and the merge refuses partials whose options differ.

Exit code: that of `faultscope merge` (0 no incident, 1 incidents, 2 trouble).

Copy mode notes: file modification times are carried over (to the millisecond, Hadoop's
precision), so year inference and socket dump times are the same as on the source. Hadoop
input formats skip files whose names start with `_` or `.`; faultscope skips names
starting with `.` only, so a `_name` file is reported as not read and the job fails.
`--tz-for`/`--service` globs should match paths relative to the root (`nginx/*=UTC`):
executors see temporary paths, not the URLs. Root paths may not contain a comma.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile


def parse_args(argv):
    if "--" in argv:
        i = argv.index("--")
        own, scan = argv[:i], argv[i + 1 :]
    else:
        own, scan = argv, []
    p = argparse.ArgumentParser(
        prog="faultscope_spark.py",
        description="faultscope scan on Spark executors, merged on the driver.",
    )
    p.add_argument("roots", nargs="+", metavar="ROOT")
    p.add_argument("--mode", choices=["auto", "shard", "copy"], default="auto")
    p.add_argument("--partitions", type=int)
    p.add_argument("--binary")
    p.add_argument("--rules", action="append", default=[])
    p.add_argument("--format", default="text")
    p.add_argument("-o", "--output")
    p.add_argument("--gap")
    p.add_argument("--display-tz")
    p.add_argument("--exit-zero", action="store_true")
    p.add_argument("--burst-min")
    p.add_argument("--keep-partials")
    p.add_argument("--master")
    args = p.parse_args(own)
    args.scan = scan
    return args


def is_url(root):
    """`s3a://...`, `hdfs://...`, `file:/...`: paths faultscope itself cannot open."""
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", root)
    return bool(m) and len(m.group(1)) > 1


def executable(path, copy=False):
    """A runnable copy of a shipped file (SparkFiles may lose the executable bit; the
    driver's SparkFiles directory goes away with the SparkContext)."""
    if os.access(path, os.X_OK) and not copy:
        return path
    d = tempfile.mkdtemp(prefix="faultscope-bin-")
    dst = os.path.join(d, os.path.basename(path))
    shutil.copy(path, dst)
    os.chmod(dst, os.stat(dst).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return dst


def shown_root(root):
    """The root as faultscope shows it: as given, without trailing slashes."""
    r = root.rstrip("/")
    return r if r else root


def rewrite(value, prefixes, roots):
    """Replaces temporary path prefixes in every string of a partial result."""
    if isinstance(value, str):
        for local, shown in prefixes:
            if local in value:
                value = value.replace(local, shown)
        return value
    if isinstance(value, list):
        return [rewrite(v, prefixes, roots) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "roots" and isinstance(v, list):
                out[k] = [roots.get(r, r) for r in v]
            else:
                out[k] = rewrite(v, prefixes, roots)
        return out
    return value


def list_files(sc, roots):
    """Lists files under the roots with the Hadoop FileSystem API (driver side).

    Returns (entries, root_info): entries maps the file URL to (root index, path under the
    root, size, mtime in ms); root_info[k] is (is_dir, shown root, file name for a file
    root). Hidden names (a component starting with `.`) are skipped, as faultscope does.
    """
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    entries = {}
    info = []
    for k, root in enumerate(roots):
        path = jvm.org.apache.hadoop.fs.Path(root)
        fs = path.getFileSystem(conf)
        try:
            st = fs.getFileStatus(path)
        except Exception as e:  # py4j wraps FileNotFoundException
            raise SystemExit(f"faultscope_spark: error: {root}: cannot open ({e.__class__.__name__})")
        qroot = st.getPath().toString()
        if st.isFile():
            name = shown_root(root).rsplit("/", 1)[-1]
            info.append((False, shown_root(root), name))
            entries[qroot] = (k, name, st.getLen(), st.getModificationTime())
            continue
        info.append((True, shown_root(root), None))
        it = fs.listFiles(st.getPath(), True)
        while it.hasNext():
            f = it.next()
            url = f.getPath().toString()
            if not url.startswith(qroot + "/"):
                continue
            rel = url[len(qroot) + 1 :]
            if any(c.startswith(".") for c in rel.split("/")):
                continue
            entries[url] = (k, rel, f.getLen(), f.getModificationTime())
    return entries, info


def main(argv):
    args = parse_args(argv)
    from pyspark import SparkConf, SparkContext, SparkFiles

    conf = SparkConf().setAppName("faultscope")
    if args.master:
        conf = conf.setMaster(args.master)
    conf = conf.setIfMissing("spark.ui.enabled", "false")
    sc = SparkContext.getOrCreate(conf)
    sc.setLogLevel("ERROR")

    # The binary: --binary, else the file shipped with --files, else PATH.
    if args.binary:
        driver_bin = os.path.abspath(args.binary)
        sc.addFile(driver_bin)
    else:
        shipped = SparkFiles.get("faultscope")
        driver_bin = shipped if os.path.exists(shipped) else shutil.which("faultscope")
        if not driver_bin:
            raise SystemExit(
                "faultscope_spark: error: no faultscope binary: ship it with "
                "spark-submit --files path/to/faultscope, or pass --binary"
            )
        if not os.path.exists(shipped):
            sc.addFile(driver_bin)
    bin_name = os.path.basename(driver_bin)
    driver_bin = executable(driver_bin, copy=True)
    for r in args.rules:
        sc.addFile(os.path.abspath(r))
    rule_names = [os.path.basename(r) for r in args.rules]
    scan_args = list(args.scan)
    roots = list(args.roots)
    mode = args.mode
    if mode == "auto":
        mode = "copy" if any(is_url(r) for r in roots) else "shard"
    n = args.partitions or sc.defaultParallelism

    def worker_rules():
        out = []
        for name in rule_names:
            out += ["--rules", SparkFiles.get(name)]
        return out

    def run_scan(exe, extra, scan_roots, cwd):
        """Runs the scan; returns the partial, gzip-compressed (it travels to the driver)."""
        with tempfile.TemporaryDirectory(prefix="faultscope-part-") as tmp:
            out = os.path.join(tmp, "part.json.gz")
            cmd = [exe, "scan", *extra, "--emit", "partial", "-o", out, *worker_rules(), *scan_args, "--", *scan_roots]
            r = subprocess.run(cmd, cwd=cwd, capture_output=True)
            if r.returncode != 0:
                raise RuntimeError(
                    f"faultscope scan failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr.decode(errors='replace')}"
                )
            with open(out, "rb") as f:
                return f.read()

    if mode == "shard":
        cwd = os.getcwd()

        def task(index, _items):
            exe = executable(SparkFiles.get(bin_name))
            yield (index, run_scan(exe, ["--shard", f"{index}/{n}"], roots, cwd), [])

        results = sc.parallelize(range(n), n).mapPartitionsWithIndex(task).collect()
    else:
        entries, info = list_files(sc, roots)
        if not entries:
            raise SystemExit(f"faultscope_spark: error: no files under {' '.join(roots)}")
        meta = sc.broadcast(entries)

        def task(index, items):
            exe = executable(SparkFiles.get(bin_name))
            tmp = tempfile.mkdtemp(prefix="faultscope-spark-")
            try:
                got = []
                for url, data in items:
                    k, rel, _size, mtime_ms = meta.value[url]
                    local = os.path.join(tmp, f"r{k}", rel)
                    os.makedirs(os.path.dirname(local), exist_ok=True)
                    with open(local, "wb") as f:
                        f.write(data)
                    ns = mtime_ms * 1_000_000
                    os.utime(local, ns=(ns, ns))
                    got.append(url)
                if not got:
                    return
                scan_roots, prefixes, root_names = [], [], {}
                for k, (is_dir, shown, name) in enumerate(info):
                    base = os.path.join(tmp, f"r{k}")
                    if is_dir:
                        os.makedirs(base, exist_ok=True)
                        scan_roots.append(base)
                        prefixes.append((base + "/", shown + "/"))
                        root_names[base] = shown
                    elif os.path.exists(os.path.join(base, name)):
                        local = os.path.join(base, name)
                        scan_roots.append(local)
                        prefixes.append((base + "/", shown[: len(shown) - len(name)]))
                        root_names[local] = shown
                part = json.loads(gzip.decompress(run_scan(exe, [], scan_roots, tmp)))
                part = rewrite(part, prefixes, root_names)
                text = json.dumps(part, ensure_ascii=False, separators=(",", ":"))
                yield (index, gzip.compress(text.encode("utf-8"), 6), got)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        files = sc.binaryFiles(",".join(sorted(entries)), minPartitions=n)
        results = files.mapPartitionsWithIndex(task).collect()
        read = {u for _, _, got in results for u in got}
        missing = sorted(set(entries) - read)
        if missing:
            raise SystemExit(
                "faultscope_spark: error: not read by Hadoop (names starting with _ or . are "
                "skipped by its input formats): " + ", ".join(missing)
            )

    sc.stop()
    parts_dir = args.keep_partials or tempfile.mkdtemp(prefix="faultscope-partials-")
    os.makedirs(parts_dir, exist_ok=True)
    paths = []
    for index, data, _ in sorted(results, key=lambda r: r[0]):
        p = os.path.join(parts_dir, f"part-{index:05d}.json.gz")
        with open(p, "wb") as f:
            f.write(data)
        paths.append(p)
    cmd = [driver_bin, "merge", "--format", args.format]
    if args.output:
        cmd += ["-o", args.output]
    if args.gap:
        cmd += ["--gap", args.gap]
    if args.display_tz:
        cmd += ["--display-tz", args.display_tz]
    if args.exit_zero:
        cmd.append("--exit-zero")
    if args.burst_min:
        cmd += ["--burst-min", args.burst_min]
    for r in args.rules:
        cmd += ["--rules", r]
    code = subprocess.call(cmd + ["--"] + paths)
    if not args.keep_partials:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

//! The Spark recipe (contrib/spark/faultscope_spark.py) end to end: `spark-submit` in
//! `local[2]` mode on the founding case, in both modes (shard: tasks run `scan --shard I/N`
//! over the shared paths; copy: files listed through Hadoop's FileSystem API, read with
//! `binaryFiles`, scanned in a temporary tree and their paths rewritten), must print the
//! byte-identical JSON of one `faultscope scan`.
//!
//! Needs Python with pyspark and a Java runtime (`.ci/run` installs both); without them it
//! prints "SKIPPED" and passes, or fails under CI (`tests/skip`).

mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_faultscope");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `spark-submit` of the installed pyspark, if pyspark and java are there.
fn spark_submit() -> Option<PathBuf> {
    let java = Command::new("java").arg("-version").output();
    if !java.is_ok_and(|o| o.status.success()) {
        return None;
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), 'bin', 'spark-submit'))",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let p = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    p.exists().then_some(p)
}

#[test]
fn spark_local_mode_equals_one_scan() {
    let Some(submit) = spark_submit() else {
        skip::skip(
            "spark_local_mode_equals_one_scan",
            "pyspark or a Java runtime not available (pip install pyspark==3.5.7; apt-get install default-jre-headless)",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let case = "fixtures/founding-case";
    let single = Command::new(BIN)
        .current_dir(ROOT)
        .args(["scan", "--format", "json", "--tz", "Asia/Shanghai", case])
        .output()
        .unwrap();
    assert_eq!(single.status.code(), Some(1));
    for mode in ["shard", "copy"] {
        let out = tmp.path().join(format!("{mode}.json"));
        let parts = tmp.path().join(format!("{mode}-parts"));
        let r = Command::new(&submit)
            .current_dir(ROOT)
            .env("PYSPARK_PYTHON", "python3")
            .args([
                "--master",
                "local[2]",
                "--conf",
                "spark.ui.enabled=false",
                "--files",
                BIN,
                "contrib/spark/faultscope_spark.py",
                "--mode",
                mode,
                "--partitions",
                "3",
                "--format",
                "json",
                "-o",
                out.to_str().unwrap(),
                "--keep-partials",
                parts.to_str().unwrap(),
                case,
                "--",
                "--tz",
                "Asia/Shanghai",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{mode}: {stderr}");
        let got = std::fs::read(&out).unwrap();
        assert!(
            got == single.stdout,
            "{mode}: the Spark report differs from one scan's (see {})",
            out.display()
        );
        let n = std::fs::read_dir(&parts).unwrap().count();
        assert!(
            (1..=3).contains(&n),
            "{mode}: {n} partials in {}",
            Path::new(&parts).display()
        );
    }
}

//! The command line's habits (docs/cli.md): shell completions and man pages generated from
//! the parser and checked to name every subcommand; `--gap` without a unit; `--emit
//! partial` with `--exit-zero`; a path where the subcommand goes; `-g/--glob`.

use assert_cmd::Command;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn fs(args: &[&str]) -> (String, String, i32) {
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .current_dir(ROOT)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap(),
    )
}

/// The subcommands `faultscope --help` lists (clap's own `help` aside).
fn subcommands() -> Vec<String> {
    let (help, _, code) = fs(&["--help"]);
    assert_eq!(code, 0);
    let list: Vec<String> = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    for expected in ["scan", "merge", "completions", "man"] {
        assert!(list.iter().any(|c| c == expected), "{list:?}");
    }
    list
}

#[test]
fn completions_name_every_subcommand() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (script, err, code) = fs(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
        for s in &subs {
            assert!(script.contains(s.as_str()), "{shell} completion lacks {s}");
        }
        // Flags of `scan` are completed too.
        assert!(
            script.contains("fail-on") && script.contains("glob"),
            "{shell}"
        );
    }
    let (_, err, code) = fs(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

#[cfg(unix)]
#[test]
fn bash_completion_loads_and_completes() {
    // The script is valid bash and completes subcommands (when bash is here at all: it is
    // on every machine this runs on, and the check above covers the text).
    let (script, _, _) = fs(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faultscope.bash");
    std::fs::write(&file, script).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(faultscope sc); COMP_CWORD=1; COMP_LINE='faultscope sc'; COMP_POINT=13; _faultscope faultscope sc faultscope; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .expect("bash runs");
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(
        got.lines().any(|l| l == "scan"),
        "{got} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn man_pages_name_every_subcommand() {
    let subs = subcommands();
    let (page, err, code) = fs(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH faultscope 1"), "{page:.200}");
    for s in &subs {
        assert!(
            page.contains(&format!("faultscope\\-{s}")),
            "faultscope(1) lacks {s}"
        );
    }
    let (scan, _, code) = fs(&["man", "scan"]);
    assert_eq!(code, 0);
    assert!(scan.contains(".TH faultscope-scan 1"), "{scan:.200}");
    assert!(scan.contains(&format!("faultscope {}", env!("CARGO_PKG_VERSION"))));
    for flag in ["fail\\-on", "glob", "exit\\-zero"] {
        assert!(scan.contains(flag), "faultscope-scan(1) lacks {flag}");
    }
    let (_, err, code) = fs(&["man", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("`nope` is not a subcommand"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let (listed, _, code) = fs(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = subs.iter().map(|s| format!("faultscope-{s}.1")).collect();
    want.push("faultscope.1".into());
    want.sort();
    assert_eq!(names, want);
    assert_eq!(listed.lines().count(), want.len());
}

#[test]
fn gap_needs_a_unit() {
    for cmd in [
        &["scan", "--gap", "2", "fixtures/founding-case"][..],
        &["merge", "--gap", "2", "x.json"],
    ] {
        let (out, err, code) = fs(cmd);
        assert_eq!(code, 2, "{cmd:?}");
        assert!(out.is_empty());
        assert!(
            err.contains("`2` has no unit: did you mean `2s` or `2m`?"),
            "{err}"
        );
    }
    let (_, _, code) = fs(&[
        "scan",
        "--gap",
        "90s",
        "--tz",
        "UTC",
        "fixtures/unknown-errors/logs",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn emit_partial_accepts_exit_zero() {
    let (out, err, code) = fs(&[
        "scan",
        "--tz",
        "UTC",
        "--emit",
        "partial",
        "--exit-zero",
        "fixtures/unknown-errors/logs",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["schema"]
        .as_str()
        .unwrap()
        .starts_with("faultscope-partial/"));
    // Report options other than the exit code's still belong to the merge.
    let (_, err, code) = fs(&["scan", "--emit", "partial", "--format", "json", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn a_path_where_the_subcommand_goes() {
    let (out, err, code) = fs(&["fixtures/founding-case"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err.trim(),
        "faultscope: error: `fixtures/founding-case` is not a subcommand; did you mean `faultscope scan fixtures/founding-case`?"
    );
    let (_, err, _) = fs(&["--tz", "Asia/Shanghai", "fixtures/founding-case"]);
    assert!(
        err.contains("did you mean `faultscope scan --tz Asia/Shanghai fixtures/founding-case`?"),
        "{err}"
    );
    // A misspelt subcommand keeps clap's suggestion.
    let (_, err, code) = fs(&["scna", "fixtures/founding-case"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("similar subcommand") && err.contains("scan"),
        "{err}"
    );
}

/// A loghub-like folder: logs beside their `*_structured.csv` and `*_templates.csv` twins,
/// an archive directory, a hidden file.
fn loghub_like(d: &Path) {
    for sys in ["HDFS", "Zookeeper"] {
        let s = d.join(sys);
        std::fs::create_dir_all(s.join("archive")).unwrap();
        let log = "2015-07-29 17:41:44,747 - ERROR [main:QuorumPeer@1] - Unexpected exception\n";
        std::fs::write(s.join(format!("{sys}_2k.log")), log).unwrap();
        std::fs::write(
            s.join(format!("{sys}_2k.log_structured.csv")),
            format!("LineId,Content\n1,{log}"),
        )
        .unwrap();
        std::fs::write(
            s.join(format!("{sys}_2k.log_templates.csv")),
            "EventId,EventTemplate\nE1,x\n",
        )
        .unwrap();
        std::fs::write(s.join("archive/old.log"), log).unwrap();
        std::fs::write(s.join(".hidden.log"), log).unwrap();
    }
}

fn scanned(root: &Path, globs: &[&str]) -> Vec<String> {
    let mut args = vec!["scan", "--tz", "UTC", "--format", "json", "--exit-zero"];
    for g in globs {
        args.extend(["-g", g]);
    }
    let r = root.to_str().unwrap();
    args.push(r);
    let (out, err, code) = fs(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .strip_prefix(r)
                .unwrap()
                .trim_start_matches('/')
                .to_string()
        })
        .collect()
}

#[test]
fn glob_includes_and_excludes_like_ripgrep() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loghub_like(d);
    let all = scanned(d, &[]);
    assert_eq!(all.len(), 8, "{all:?}");
    // The structured twins left out; hidden files stay out whatever the patterns.
    let no_twins = scanned(d, &["!*_structured.csv"]);
    assert_eq!(
        no_twins,
        [
            "HDFS/HDFS_2k.log",
            "HDFS/HDFS_2k.log_templates.csv",
            "HDFS/archive/old.log",
            "Zookeeper/Zookeeper_2k.log",
            "Zookeeper/Zookeeper_2k.log_templates.csv",
            "Zookeeper/archive/old.log",
        ]
    );
    // Include only logs, then a later pattern takes a directory out (not entered).
    assert_eq!(
        scanned(d, &["*.log", "!archive"]),
        ["HDFS/HDFS_2k.log", "Zookeeper/Zookeeper_2k.log"]
    );
    // Once any include pattern is given, only what an include matches is scanned.
    assert_eq!(
        scanned(d, &["!*.csv", "HDFS/*_templates.csv"]),
        ["HDFS/HDFS_2k.log_templates.csv"]
    );
    // Later wins: an exclude undone by a later include; anchored patterns.
    assert_eq!(
        scanned(
            d,
            &["*", "!*.csv", "HDFS/*_templates.csv", "!**/archive/**"]
        ),
        [
            "HDFS/HDFS_2k.log",
            "HDFS/HDFS_2k.log_templates.csv",
            "Zookeeper/Zookeeper_2k.log",
        ]
    );
    // A file named on the command line is scanned whatever the patterns.
    let named = d.join("HDFS/HDFS_2k.log_structured.csv");
    let (out, _, _) = fs(&[
        "scan",
        "--tz",
        "UTC",
        "--format",
        "json",
        "--exit-zero",
        "-g",
        "!*.csv",
        named.to_str().unwrap(),
    ]);
    assert!(out.contains("HDFS_2k.log_structured.csv"));
    // A bad pattern names the flag and the pattern.
    let (_, err, code) = fs(&["scan", "-g", "{a,b", d.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--glob") && err.contains("{a,b"), "{err}");
    // inspect takes the same patterns.
    let (out, _, code) = fs(&[
        "inspect",
        "--tz",
        "UTC",
        "-g",
        "*_2k.log",
        d.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines()
            .filter(|l| !l.starts_with(' ') && !l.is_empty())
            .count(),
        2,
        "{out}"
    );
}

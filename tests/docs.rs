//! Docs that cannot rot: every ```` ```console ```` block of README.md and docs/*.md is run and
//! its output compared with what the block shows.
//!
//! - A line starting `$ faultscope` is a command: it runs with `sh -c` from the repository
//!   root, with the binary under test first on `PATH`, `TZ=UTC` and no color, stderr merged
//!   into stdout as a terminal shows them (so `; echo "exit $?"` and `| head` work). The lines
//!   after it, up to the next `$ ` line or the end of the block, are its expected output.
//! - A line that is exactly `...` is an explicit elision: it matches any number of lines
//!   (none included). Trailing spaces and trailing empty lines are ignored; everything else
//!   must match exactly.
//! - A console block may run nothing but faultscope (a `$ ` line running anything else
//!   fails the test): what a reader sees there was produced by this binary.
//! - `FAULTSCOPE_UPDATE_DOCS=1 cargo test --test docs` rewrites the outputs in place (like
//!   `INSTA_UPDATE`), keeping each `...` and the shape around it: the part before the first
//!   elision takes the first lines of the new output, the part after the last one its last
//!   lines, and a part between two elisions is placed where the new output holds the line
//!   closest to its first line. Review the diff: it is the change of output your work made.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_faultscope");
const ELISION: &str = "...";

/// One command of a console block: the line it is on, the command, and the expected output
/// (line index range in the file).
struct Cmd {
    line: usize,
    command: String,
    expected: std::ops::Range<usize>,
}

/// The pages whose console blocks are run.
fn pages() -> Vec<PathBuf> {
    let mut v = vec![Path::new(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    v.extend(docs);
    v
}

/// The commands of every console block of a page, in order.
fn commands(lines: &[&str]) -> Vec<Cmd> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<Cmd> = None;
    for (i, l) in lines.iter().enumerate() {
        let fence = l.trim_start().starts_with("```");
        if !in_console {
            if fence && l.trim() == "```console" {
                in_console = true;
            }
            continue;
        }
        if fence {
            out.extend(current.take());
            in_console = false;
            continue;
        }
        if let Some(cmd) = l.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some(Cmd {
                line: i + 1,
                command: cmd.to_string(),
                expected: i + 1..i + 1,
            });
        } else if let Some(c) = current.as_mut() {
            c.expected.end = i + 1;
        }
    }
    out
}

/// Runs one command as the docs show it.
fn run(command: &str) -> Vec<String> {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(ROOT)
        .env("PATH", path)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .env_remove("FAULTSCOPE_LOGHUB")
        .output()
        .expect("sh runs");
    let text = String::from_utf8_lossy(&out.stdout);
    trim_end(text.lines().map(|l| l.trim_end().to_string()).collect())
}

fn trim_end(mut v: Vec<String>) -> Vec<String> {
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// Does `actual` match `expected`, where an `...` line matches any run of lines?
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == ELISION => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, arest)| a == e && matches(rest, arest)),
    }
}

/// The new expected lines for `expected` given `actual`, keeping the elisions (module docs).
fn refresh(expected: &[String], actual: &[String]) -> Vec<String> {
    let parts: Vec<&[String]> = expected.split(|l| l == ELISION).collect();
    if parts.len() == 1 {
        return actual.to_vec();
    }
    let mut out: Vec<String> = Vec::new();
    let mut at = 0;
    let last = parts.len() - 1;
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            out.push(ELISION.to_string());
        }
        if part.is_empty() {
            continue;
        }
        let n = part.len();
        let start = if k == 0 {
            0
        } else if k == last {
            actual.len().saturating_sub(n).max(at)
        } else {
            closest(&part[0], actual, at)
        };
        let end = (start + n).min(actual.len());
        out.extend(actual[start.min(end)..end].iter().cloned());
        at = end;
    }
    out
}

/// The index (from `from` on) of the actual line sharing the longest prefix with `line`.
fn closest(line: &str, actual: &[String], from: usize) -> usize {
    let common = |a: &str| {
        a.chars()
            .zip(line.chars())
            .take_while(|(x, y)| x == y)
            .count()
    };
    (from..actual.len())
        .max_by_key(|&i| (common(&actual[i]), std::cmp::Reverse(i)))
        .unwrap_or(from)
}

#[test]
fn console_blocks_show_real_output() {
    let update = std::env::var_os("FAULTSCOPE_UPDATE_DOCS").is_some_and(|v| v != "0");
    let mut failures = Vec::new();
    let mut ran = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let rel = page.strip_prefix(ROOT).unwrap().display().to_string();
        let mut replaced: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
        for cmd in commands(&lines) {
            if !cmd.command.starts_with("faultscope ") {
                failures.push(format!(
                    "{rel}:{}: a console block runs only faultscope commands: `{}`",
                    cmd.line, cmd.command
                ));
                continue;
            }
            ran += 1;
            let expected = trim_end(
                lines[cmd.expected.clone()]
                    .iter()
                    .map(|l| l.trim_end().to_string())
                    .collect(),
            );
            let actual = run(&cmd.command);
            if matches(&expected, &actual) {
                continue;
            }
            if update {
                let range = cmd.expected.start..cmd.expected.start + expected.len();
                replaced.push((range, refresh(&expected, &actual)));
                continue;
            }
            failures.push(format!(
                "{rel}:{}: `$ {}` printed something else (FAULTSCOPE_UPDATE_DOCS=1 cargo test --test docs rewrites it).\n--- the page shows\n{}\n--- the binary printed\n{}",
                cmd.line,
                cmd.command,
                expected.join("\n"),
                actual.join("\n")
            ));
        }
        if !replaced.is_empty() {
            let mut new: Vec<String> = Vec::new();
            let mut i = 0;
            for (range, with) in replaced {
                new.extend(lines[i..range.start].iter().map(|l| l.to_string()));
                new.extend(with);
                i = range.end;
            }
            new.extend(lines[i..].iter().map(|l| l.to_string()));
            let mut body = new.join("\n");
            if text.ends_with('\n') {
                body.push('\n');
            }
            std::fs::write(&page, body).unwrap();
            eprintln!("updated {rel}");
        }
    }
    assert!(ran > 0, "no console block ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn elision_matching_and_refresh() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let actual = v(&["head", "a", "b", "markers", "m1", "c", "tail"]);
    assert!(matches(&v(&["head", "...", "tail"]), &actual));
    assert!(matches(
        &v(&["head", "...", "markers", "m1", "...", "tail"]),
        &actual
    ));
    assert!(matches(&v(&["...", "tail"]), &actual));
    assert!(!matches(
        &v(&["head", "...", "nope", "...", "tail"]),
        &actual
    ));
    assert!(!matches(&v(&["head", "a"]), &actual));
    assert!(matches(&v(&["x", "..."]), &v(&["x"])));
    // The shape survives an update: head, a middle part placed by its first line, the tail.
    let old = v(&["old head", "...", "markers", "m0", "...", "old tail"]);
    assert_eq!(
        refresh(&old, &actual),
        v(&["head", "...", "markers", "m1", "...", "tail"])
    );
    assert_eq!(refresh(&v(&["x"]), &actual), actual);
}

#[test]
fn console_blocks_are_found() {
    let page =
        "text\n```console\n$ faultscope a\nout 1\n\n$ faultscope b\n```\n```sh\n$ not run\n```\n";
    let lines: Vec<&str> = page.lines().collect();
    let cmds = commands(&lines);
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0].command, "faultscope a");
    assert_eq!(&lines[cmds[0].expected.clone()], &["out 1", ""]);
    assert!(cmds[1].expected.is_empty());
}

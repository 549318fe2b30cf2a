//! CI gates (docs/ci.md): `--fail-on` levels and exit codes, `--format junit` checked
//! against the rules of the common JUnit schema (Apache Ant's, as published by Windy Road),
//! and the GitHub Actions and GitLab CI examples of docs/ci.md run against the fixtures.

use assert_cmd::Command;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_faultscope");
const CASE: &str = "fixtures/founding-case";
const UNKNOWN: &str = "fixtures/unknown-errors/logs";
const HOSTILE: &str = "fixtures/hostile";

fn scan(args: &[&str]) -> (String, i32) {
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .current_dir(ROOT)
        .arg("scan")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

/// A log of a steady trickle of one unknown error (every 45 minutes over ten hours): no
/// incident, but error-level records.
fn trickle(dir: &Path) {
    std::fs::create_dir_all(dir.join("app")).unwrap();
    let mut log = String::new();
    for m in 0..600 {
        let t = format!("2024-03-01 {:02}:{:02}:00.000", 10 + m / 60, m % 60);
        log.push_str(&format!(
            "{t}  INFO 1 --- [main] c.e.App : request ok id={m}\n"
        ));
        if m % 45 == 0 {
            log.push_str(&format!(
                "{t} ERROR 1 --- [main] c.e.App : Nightly cleanup could not remove /tmp/x{m}\n"
            ));
        }
    }
    std::fs::write(dir.join("app/app.log"), log).unwrap();
}

#[test]
fn fail_on_levels() {
    // The founding case's incidents are critical: every level fails.
    for level in ["critical", "error", "any"] {
        let (_, code) = scan(&["--tz", "Asia/Shanghai", "--fail-on", level, CASE]);
        assert_eq!(code, 1, "{level}");
    }
    // Error incidents (bursts of an unknown ERROR): not critical.
    let codes: Vec<i32> = ["critical", "error", "any"]
        .iter()
        .map(|l| scan(&["--tz", "UTC", "--fail-on", l, UNKNOWN]).1)
        .collect();
    assert_eq!(codes, [0, 1, 1]);
    // A trickle of errors without an incident fails only `any`.
    let dir = tempfile::tempdir().unwrap();
    trickle(dir.path());
    let p = dir.path().to_str().unwrap();
    let codes: Vec<i32> = ["critical", "error", "any"]
        .iter()
        .map(|l| scan(&["--tz", "UTC", "--fail-on", l, p]).1)
        .collect();
    assert_eq!(codes, [0, 0, 1]);
    // --exit-zero wins; a bad level is trouble; merge takes the flag too.
    assert_eq!(
        scan(&["--tz", "UTC", "--fail-on", "any", "--exit-zero", p]).1,
        0
    );
    assert_eq!(scan(&["--fail-on", "warning", p]).1, 2);
    let part = dir.path().join("part.json");
    let (_, code) = scan(&[
        "--tz",
        "UTC",
        "--emit",
        "partial",
        "--fail-on",
        "any",
        "-o",
        part.to_str().unwrap(),
        UNKNOWN,
    ]);
    assert_eq!(code, 0);
    let merged = |level: &str| {
        Command::cargo_bin("faultscope")
            .unwrap()
            .current_dir(ROOT)
            .args(["merge", "--fail-on", level, part.to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(merged("critical"), Some(0));
    assert_eq!(merged("error"), Some(1));
}

/// The JUnit document's structure, as the common JUnit schema (JUnit.xsd) requires it; the
/// counts are returned as (tests, failures, skipped).
fn check_junit(xml: &str) -> (usize, usize, usize) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}):\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attributes().count(), 0, "testsuites has no attributes");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    let int = |n: roxmltree::Node, a: &str| -> usize {
        n.attribute(a)
            .unwrap_or_else(|| panic!("{} needs {a}", n.tag_name().name()))
            .parse()
            .unwrap_or_else(|_| panic!("{a} is not an int"))
    };
    let decimal = |n: roxmltree::Node, a: &str| {
        let v = n.attribute(a).unwrap_or_else(|| panic!("needs {a}"));
        assert!(v.parse::<f64>().is_ok() && !v.contains('e'), "{a}={v}");
    };
    let token = |v: &str| {
        assert!(!v.is_empty(), "empty token");
        assert!(
            v.trim() == v && !v.contains(['\t', '\n', '\r']) && !v.contains("  "),
            "not an xs:token: {v:?}"
        );
    };
    for a in ["name", "hostname", "package"] {
        token(
            suite
                .attribute(a)
                .unwrap_or_else(|| panic!("testsuite needs {a}")),
        );
    }
    let stamp = suite.attribute("timestamp").expect("timestamp");
    assert!(
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "timestamp {stamp} (no zone, whole seconds)"
    );
    int(suite, "id");
    int(suite, "errors");
    decimal(suite, "time");
    let kids: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
    let names: Vec<&str> = kids.iter().map(|n| n.tag_name().name()).collect();
    assert_eq!(names.first(), Some(&"properties"), "{names:?}");
    assert_eq!(
        &names[names.len() - 2..],
        ["system-out", "system-err"],
        "{names:?}"
    );
    for p in kids[0].children().filter(|n| n.is_element()) {
        assert_eq!(p.tag_name().name(), "property");
        token(p.attribute("name").unwrap());
        assert!(p.attribute("value").is_some());
    }
    let cases = &kids[1..kids.len() - 2];
    let (mut failures, mut skipped) = (0, 0);
    for c in cases {
        assert_eq!(c.tag_name().name(), "testcase");
        token(c.attribute("name").expect("name"));
        token(c.attribute("classname").expect("classname"));
        decimal(*c, "time");
        let inner: Vec<_> = c.children().filter(|n| n.is_element()).collect();
        assert!(inner.len() <= 1, "one of skipped, error, failure");
        if let Some(o) = inner.first() {
            match o.tag_name().name() {
                "failure" | "error" => {
                    assert!(o.attribute("type").is_some(), "failure needs type");
                    failures += 1;
                }
                "skipped" => skipped += 1,
                other => panic!("unexpected <{other}> in a testcase"),
            }
        }
    }
    assert_eq!(int(suite, "tests"), cases.len());
    assert_eq!(int(suite, "failures"), failures);
    assert_eq!(int(suite, "skipped"), skipped);
    (cases.len(), failures, skipped)
}

fn failure_texts(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("failure") || n.has_tag_name("skipped"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn junit_one_case_per_incident_with_its_evidence() {
    let (xml, code) = scan(&["--tz", "Asia/Shanghai", "--format", "junit", CASE]);
    assert_eq!(code, 1);
    assert_eq!(check_junit(&xml), (4, 4, 0));
    let texts = failure_texts(&xml);
    for t in &texts {
        assert!(
            t.contains("root cause  tcp-port-exhaustion-wsaenobufs"),
            "{t}"
        );
        assert!(
            t.contains("fixtures/founding-case/zuul-gateway/gateway.log:"),
            "evidence path:line in the failure text: {t}"
        );
        assert!(t.contains("culprit     sqlservr.exe (PID 2468)"), "{t}");
    }
    // Below the level: skipped, not failing, with the same text.
    let (xml, code) = scan(&[
        "--tz",
        "UTC",
        "--format",
        "junit",
        "--fail-on",
        "critical",
        UNKNOWN,
    ]);
    assert_eq!(code, 0);
    assert_eq!(check_junit(&xml), (3, 0, 3));
    assert!(failure_texts(&xml)[0].contains("LedgerLockException"));
}

#[test]
fn junit_without_incident_and_outside_evidence() {
    let dir = tempfile::tempdir().unwrap();
    trickle(dir.path());
    let p = dir.path().to_str().unwrap();
    let (xml, code) = scan(&["--tz", "UTC", "--format", "junit", p]);
    assert_eq!(code, 0);
    assert_eq!(check_junit(&xml), (1, 0, 0));
    assert!(xml.contains("<testcase name=\"no incident\""));
    let (xml, code) = scan(&["--tz", "UTC", "--format", "junit", "--fail-on", "any", p]);
    assert_eq!(code, 1);
    assert_eq!(check_junit(&xml), (1, 1, 0));
    assert!(failure_texts(&xml)[0].contains("Nightly cleanup could not remove <*>"));
}

#[test]
fn junit_escapes_hostile_log_text() {
    let (xml, _) = scan(&[
        "--tz",
        "UTC",
        "--format",
        "junit",
        "--fail-on",
        "any",
        HOSTILE,
    ]);
    check_junit(&xml);
    assert!(!xml.contains('\x1b') && !xml.contains('\x07'));
    let all: String = failure_texts(&xml).concat();
    // Markup from a log is text in the document, never an element.
    assert!(all.contains("<script>") || all.contains("<img"), "{all}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(!doc
        .descendants()
        .any(|n| n.has_tag_name("script") || n.has_tag_name("img")));
}

/// A YAML block of docs/ci.md, by what it starts with.
fn yaml_block(md: &str, starts: &str) -> serde_yaml::Value {
    let block = md
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap())
        .find(|b| b.starts_with(starts))
        .unwrap_or_else(|| panic!("no yaml block starting {starts:?} in docs/ci.md"));
    serde_yaml::from_str(block).unwrap_or_else(|e| panic!("{starts}: bad YAML: {e}"))
}

/// Runs a CI script (one shell, `-e`, as GitHub's `bash -e` and GitLab's runner do) in a
/// directory whose `logs/` is `fixture`; returns its exit code.
fn run_script(script: &str, fixture: &str, dir: &Path) -> i32 {
    let _ = std::fs::remove_file(dir.join("logs"));
    std::os::unix::fs::symlink(Path::new(ROOT).join(fixture), dir.join("logs")).unwrap();
    let path = format!(
        "{}:{}",
        Path::new(BIN).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap();
    out.status.code().unwrap()
}

/// Both fixtures through one example script: its exit code, the JUnit file it leaves, and
/// the files it publishes.
fn check_example(name: &str, script: &str, junit: &str, published: &[String]) {
    assert!(script.contains("faultscope scan"), "{name}: {script}");
    // The founding case's incidents are all critical: they fail the job. The unknown-errors
    // fixture's are errors: below `--fail-on critical`, shown as skipped.
    for (fixture, code) in [(CASE, 1), (UNKNOWN, 0)] {
        let dir = tempfile::tempdir().unwrap();
        let got = run_script(script, fixture, dir.path());
        assert_eq!(got, code, "{name} on {fixture}");
        let xml = std::fs::read_to_string(dir.path().join(junit))
            .unwrap_or_else(|e| panic!("{name}: {junit}: {e}"));
        let (tests, failures, skipped) = check_junit(&xml);
        let want = if code == 1 {
            (failures, tests, 0)
        } else {
            (0, 0, tests)
        };
        assert!(
            tests > 0 && (failures, tests - skipped, skipped) == want,
            "{name} on {fixture}: {tests} cases, {failures} failures, {skipped} skipped"
        );
        for p in published {
            assert!(dir.path().join(p).is_file(), "{name}: {p} not written");
        }
    }
}

#[cfg(unix)]
#[test]
fn ci_examples_run_against_the_fixtures() {
    let md = std::fs::read_to_string(Path::new(ROOT).join("docs/ci.md")).unwrap();
    let str_of = |v: &serde_yaml::Value| v.as_str().unwrap_or_default().to_string();

    // GitHub Actions: the steps that run commands, but the install, in one script each.
    let gh = yaml_block(&md, "name:");
    assert!(gh.get("on").is_some(), "a workflow needs `on`");
    let jobs = gh["jobs"].as_mapping().expect("jobs");
    let job = jobs.values().next().unwrap();
    assert!(job.get("runs-on").is_some());
    let steps = job["steps"].as_sequence().expect("steps");
    let runs: Vec<String> = steps
        .iter()
        .filter_map(|s| s.get("run").map(str_of))
        .filter(|r| !r.contains("cargo install"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let report = steps
        .iter()
        .find_map(|s| {
            s.get("with")
                .and_then(|w| w.get("report_paths"))
                .map(str_of)
        })
        .expect("a step publishing the JUnit report");
    let uploaded: Vec<String> = steps
        .iter()
        .filter_map(|s| s.get("with").and_then(|w| w.get("path")).map(str_of))
        .flat_map(|p| p.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|p| p != "logs")
        .collect();
    assert!(!uploaded.is_empty());
    check_example("GitHub Actions", &runs[0], &report, &uploaded);

    // GitLab CI: the job's script lines but the install, as one shell script.
    let gl = yaml_block(&md, "faultscope:");
    let job = &gl["faultscope"];
    let script: Vec<String> = job["script"]
        .as_sequence()
        .expect("script")
        .iter()
        .map(str_of)
        .filter(|l| !l.contains("cargo install"))
        .collect();
    let artifacts = &job["artifacts"];
    assert_eq!(artifacts["when"].as_str(), Some("always"));
    let junit = str_of(&artifacts["reports"]["junit"]);
    let paths: Vec<String> = artifacts["paths"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    check_example("GitLab CI", &script.join("\n"), &junit, &paths);
}

//! The source tree is the pipeline: one folder (or file) per stage under `src/`, and a
//! stage may only name stages below it (issue 18). This test reads every `crate::` path in
//! `src/` (code and doc links alike, test modules excepted: a doc link upward is a
//! dependency a reader follows too) and fails on a stage missing from the table, an
//! import that points up or sideways, or a cycle.
//!
//! To add a stage: give it a rank here and in the table of `src/lib.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rank of every stage: a stage may import only stages of a strictly lower rank.
const STAGES: &[(&str, u8)] = &[
    ("error", 0),
    ("json", 0),
    ("time", 0),
    ("input", 1),
    ("catalog", 1),
    ("evidence", 2),
    ("config", 3),
    ("record", 4),
    ("scan", 5),
    ("analysis", 6),
    ("report", 7),
    ("inspect", 8),
    ("scaleout", 8),
    ("cli", 9),
    ("fuzzing", 10),
    ("lib", 10),
    ("main", 10),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The stage a file under `src/` belongs to: its first path component.
fn stage_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The text of a file before its unit-test module (tests may reach anywhere).
fn code_part(text: &str) -> &str {
    let mut end = text.len();
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        let rest = text[at + "#[cfg(test)]".len()..].trim_start();
        let rest = rest.strip_prefix("pub ").unwrap_or(rest);
        if rest.starts_with("mod ") {
            end = at;
            break;
        }
        from = at + 1;
    }
    &text[..end]
}

/// The files of unit-test modules declared out of line (`#[cfg(test)] mod tests;` in
/// `x/mod.rs` or `x.rs` is `x/tests.rs` or `x/tests/mod.rs`): test code like an inline
/// `mod tests { .. }`, which may reach anywhere.
fn test_module_files(file: &Path, text: &str) -> Vec<PathBuf> {
    let dir = if file.file_name().is_some_and(|n| n == "mod.rs") {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i + "#[cfg(test)]".len();
        from = at;
        let rest = text[at..].trim_start();
        let rest = rest.strip_prefix("pub ").unwrap_or(rest);
        let Some(rest) = rest.strip_prefix("mod ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if rest[name.len()..].trim_start().starts_with(';') {
            out.push(dir.join(format!("{name}.rs")));
            out.push(dir.join(&name).join("mod.rs"));
        }
    }
    out
}

/// Every stage a text names: `crate::x` and each head of `crate::{x, y::z}`.
fn named_stages(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        // `faultscope::crate::` never occurs; skip identifiers that merely end in "crate".
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let close = group.find('}').unwrap_or(group.len());
            for item in group[..close].split(',') {
                let head: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    out.insert(head);
                }
            }
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !head.is_empty() {
                out.insert(head);
            }
        }
    }
    out
}

/// Edges stage → stages it names, with one file that names each (for the message).
fn edges() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let stages: BTreeSet<String> = files
        .iter()
        .map(|f| stage_of(f.strip_prefix(&src).unwrap()))
        .collect();
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let tests: BTreeSet<PathBuf> = files
        .iter()
        .zip(&texts)
        .flat_map(|(f, t)| test_module_files(f, t))
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (f, text) in files.iter().zip(&texts) {
        let rel = f.strip_prefix(&src).unwrap();
        let from = stage_of(rel);
        if tests.contains(f) {
            continue;
        }
        let e = edges.entry(from.clone()).or_default();
        for to in named_stages(code_part(text)) {
            // `crate::Error` and other items re-exported at the root are not stages.
            if to != from && stages.contains(&to) {
                e.entry(to).or_insert_with(|| rel.display().to_string());
            }
        }
    }
    edges
}

#[test]
fn every_stage_has_a_rank() {
    let ranks: BTreeMap<&str, u8> = STAGES.iter().copied().collect();
    for stage in edges().keys() {
        assert!(
            ranks.contains_key(stage.as_str()),
            "src/{stage}: a stage missing from tests/layout.rs STAGES (give it a rank)"
        );
    }
}

#[test]
fn imports_point_down_the_pipeline() {
    let ranks: BTreeMap<&str, u8> = STAGES.iter().copied().collect();
    let mut bad = Vec::new();
    for (from, tos) in edges() {
        let Some(&rf) = ranks.get(from.as_str()) else {
            continue;
        };
        for (to, file) in tos {
            let rt = ranks.get(to.as_str()).copied().unwrap_or(u8::MAX);
            if rt >= rf {
                bad.push(format!(
                    "src/{file} ({from}, rank {rf}) names crate::{to} (rank {rt})"
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports that do not point down:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_import_cycle_between_stages() {
    // Implied by the ranks, but checked on its own so a wrong rank table cannot hide one.
    let edges = edges();
    fn reach(
        edges: &BTreeMap<String, BTreeMap<String, String>>,
        from: &str,
        seen: &mut BTreeSet<String>,
    ) {
        if let Some(tos) = edges.get(from) {
            for to in tos.keys() {
                if seen.insert(to.clone()) {
                    reach(edges, to, seen);
                }
            }
        }
    }
    for stage in edges.keys() {
        let mut seen = BTreeSet::new();
        reach(&edges, stage, &mut seen);
        assert!(!seen.contains(stage), "import cycle through {stage}");
    }
}

#[test]
fn the_checker_sees_imports() {
    // The parser itself: groups, paths, doc links, and identifiers that end in "crate".
    let s = named_stages("use crate::{scan::Hit, time};\n/// [`crate::report::x`]\nmy_crate::y");
    assert_eq!(
        s.into_iter().collect::<Vec<_>>(),
        ["report", "scan", "time"]
    );
    assert_eq!(
        code_part("a crate::x\n#[cfg(test)]\nmod tests { crate::y }"),
        "a crate::x\n"
    );
    assert_eq!(
        test_module_files(
            Path::new("src/a/mod.rs"),
            "#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod inline {}\nmod b;"
        ),
        [Path::new("src/a/tests.rs"), Path::new("src/a/tests/mod.rs")]
    );
    assert_eq!(
        test_module_files(Path::new("src/a/b.rs"), "#[cfg(test)]\npub mod tests;"),
        [
            Path::new("src/a/b/tests.rs"),
            Path::new("src/a/b/tests/mod.rs")
        ]
    );
}

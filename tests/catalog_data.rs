//! Validates the embedded signature catalog `catalog/signatures.json`.
//!
//! The catalog is data only; these checks make sure that every entry is well
//! formed, that every pattern compiles (alone and as one `RegexSet`), that no
//! pattern can ever match across a line break, and that every entry's own
//! `match` / `no_match` examples behave as documented.
//!
//! Run with `cargo test --test catalog_data -- --nocapture` to see the
//! cross-match table (which other entries also fire on each example).

use std::collections::HashSet;

use regex::bytes::{Regex, RegexSet};
use serde_json::Value;

const CATALOG: &str = include_str!("../catalog/signatures.json");
const SCHEMA: &str = "faultscope-catalog/1";
const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "marker"];
/// Leading words that occur on ordinary log lines (logger/class names, nginx's
/// `upstream:` field); a pattern starting with one defeats the prefilter.
const COMMON_LEADS: [&str; 8] = [
    "java.", "org.", "com.", "Hikari", "Circuit", "Apple", "upstream", "503 ",
];

struct Entry {
    id: String,
    severity: String,
    patterns: Vec<String>,
    matches: Vec<String>,
    no_matches: Vec<String>,
}

fn catalog() -> Value {
    serde_json::from_str(CATALOG).expect("catalog/signatures.json is not valid JSON")
}

fn signatures(doc: &Value) -> &Vec<Value> {
    doc["signatures"]
        .as_array()
        .expect("`signatures` must be an array")
}

fn str_list(v: &Value, what: &str, id: &str) -> Vec<String> {
    let arr = v
        .as_array()
        .unwrap_or_else(|| panic!("{id}: `{what}` must be an array"));
    arr.iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{id}: `{what}` must contain only strings"))
                .to_string()
        })
        .collect()
}

fn entries() -> Vec<Entry> {
    let doc = catalog();
    signatures(&doc)
        .iter()
        .map(|s| {
            let id = s["id"].as_str().expect("every entry needs a string `id`");
            Entry {
                id: id.to_string(),
                severity: s["severity"].as_str().unwrap_or_default().to_string(),
                patterns: str_list(&s["patterns"], "patterns", id),
                matches: str_list(&s["examples"]["match"], "examples.match", id),
                no_matches: str_list(&s["examples"]["no_match"], "examples.no_match", id),
            }
        })
        .collect()
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Static checks on the pattern text: returns a list of problems.
///
/// * no `\s` anywhere (it matches `\n`);
/// * no literal newline, and the `\n` escape only inside negated classes;
/// * every negated class `[^...]` must contain `\n`;
/// * no `^` / `$` anchors, no `(?s)` flag, no look-around.
fn static_problems(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    if p.contains('\n') {
        out.push("contains a literal newline".to_string());
    }
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                match b.get(i + 1) {
                    Some(b's') => out.push(format!("`\\s` at byte {i}")),
                    Some(b'n') => out.push(format!("`\\n` outside a negated class at byte {i}")),
                    _ => {}
                }
                i += 2;
            }
            b'[' => {
                let start = i;
                let negated = b.get(i + 1) == Some(&b'^');
                i += if negated { 2 } else { 1 };
                // A `]` right after `[` or `[^` is a literal.
                if b.get(i) == Some(&b']') {
                    i += 1;
                }
                let mut depth = 1;
                let mut has_newline = false;
                while i < b.len() && depth > 0 {
                    match b[i] {
                        b'\\' => {
                            match b.get(i + 1) {
                                Some(b'n') => has_newline = true,
                                Some(b's') => out.push(format!("`\\s` in class at byte {i}")),
                                _ => {}
                            }
                            i += 2;
                            continue;
                        }
                        b'[' => depth += 1,
                        b']' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                if depth != 0 {
                    out.push(format!("unterminated class at byte {start}"));
                }
                if negated && !has_newline {
                    out.push(format!(
                        "negated class at byte {start} does not exclude `\\n`: {}",
                        &p[start..i.min(p.len())]
                    ));
                }
            }
            b'^' | b'$' => {
                out.push(format!("anchor `{}` at byte {i}", b[i] as char));
                i += 1;
            }
            b'(' if b.get(i + 1) == Some(&b'?') => {
                let rest = &p[i + 2..];
                if rest.starts_with('=')
                    || rest.starts_with('!')
                    || rest.starts_with("<=")
                    || rest.starts_with("<!")
                {
                    out.push(format!("look-around at byte {i}"));
                }
                // Flag group `(?flags)` / `(?flags:...)`: `s` must not be enabled.
                let flags: String = rest
                    .chars()
                    .take_while(|c| *c != ')' && *c != ':')
                    .collect();
                if flags.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
                    let enabled = flags.split('-').next().unwrap_or("");
                    if enabled.contains('s') {
                        out.push(format!("flag `s` (dot matches newline) at byte {i}"));
                    }
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// The pattern text after any leading inline-flag group such as `(?i)`.
fn lead(p: &str) -> &str {
    if let Some(rest) = p.strip_prefix("(?") {
        if let Some(end) = rest.find(')') {
            let flags = &rest[..end];
            if flags.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
                return &rest[end + 1..];
            }
        }
    }
    p
}

#[test]
fn schema_and_entry_shape() {
    let doc = catalog();
    assert_eq!(doc["schema"].as_str(), Some(SCHEMA), "schema string");
    let sigs = signatures(&doc);
    assert!(
        sigs.len() >= 50,
        "expected >= 50 entries, got {}",
        sigs.len()
    );

    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for s in sigs {
        let id = s["id"].as_str().unwrap_or("<missing id>");
        let mut bad = |msg: String| problems.push(format!("{id}: {msg}"));
        if !is_kebab(id) {
            bad("id is not kebab-case".into());
        }
        if !seen.insert(id.to_string()) {
            bad("duplicate id".into());
        }
        for key in ["title", "means"] {
            if s[key].as_str().map_or(true, |t| t.trim().is_empty()) {
                bad(format!("`{key}` must be a non-empty string"));
            }
        }
        let category = s["category"].as_str().unwrap_or("");
        if category.is_empty()
            || !category
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/')
        {
            bad(format!("bad category {category:?}"));
        }
        let severity = s["severity"].as_str().unwrap_or("");
        if !SEVERITIES.contains(&severity) {
            bad(format!("severity {severity:?} not in {SEVERITIES:?}"));
        }
        let layer = &s["layer"];
        if severity == "marker" {
            if !layer.is_null() {
                bad(format!("markers must have layer null, got {layer}"));
            }
        } else {
            match layer.as_u64() {
                Some(l) if l <= 8 => {}
                _ => bad(format!("layer must be an integer 0..=8, got {layer}")),
            }
        }
        match s["noise"].as_bool() {
            None => bad("`noise` must be a bool".into()),
            Some(true) if severity != "marker" => {
                bad("noise entries must be markers (never root cause)".into())
            }
            _ => {}
        }
        let next = str_list(&s["next"], "next", id);
        if next.is_empty() || next.iter().any(|n| n.trim().is_empty()) {
            bad("`next` must be a non-empty list of non-empty strings".into());
        }
        let patterns = str_list(&s["patterns"], "patterns", id);
        if patterns.is_empty() || patterns.iter().any(|p| p.is_empty()) {
            bad("`patterns` must be a non-empty list of non-empty strings".into());
        }
        let m = str_list(&s["examples"]["match"], "examples.match", id);
        let n = str_list(&s["examples"]["no_match"], "examples.no_match", id);
        if m.len() < 2 {
            bad(format!("needs >= 2 match examples, has {}", m.len()));
        }
        if n.len() < 2 {
            bad(format!("needs >= 2 no_match examples, has {}", n.len()));
        }
        for ex in m.iter().chain(&n) {
            if ex.trim().is_empty() || ex.contains('\n') || ex.contains('\r') {
                bad(format!("example must be one non-empty line: {ex:?}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "catalog shape problems:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn patterns_compile_and_never_match_newline() {
    let all = entries();
    let newline_only = ["\n", "\n\n", "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"];
    // Every example of every entry, joined by newlines: no match may span one.
    let corpus: String = all
        .iter()
        .flat_map(|e| e.matches.iter().chain(&e.no_matches))
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n");

    let mut problems = Vec::new();
    let mut every = Vec::new();
    for e in &all {
        for p in &e.patterns {
            every.push(p.clone());
            for prob in static_problems(p) {
                problems.push(format!("{}: {p:?}: {prob}", e.id));
            }
            let l = lead(p);
            for w in COMMON_LEADS {
                if l.starts_with(w) {
                    problems.push(format!(
                        "{}: {p:?} starts with common word {w:?} (prefilter)",
                        e.id
                    ));
                }
            }
            let re = match Regex::new(p) {
                Ok(re) => re,
                Err(err) => {
                    problems.push(format!("{}: {p:?} does not compile: {err}", e.id));
                    continue;
                }
            };
            for s in newline_only {
                if re.is_match(s.as_bytes()) {
                    problems.push(format!("{}: {p:?} matches {s:?}", e.id));
                }
            }
            for m in re.find_iter(corpus.as_bytes()) {
                if m.as_bytes().contains(&b'\n') {
                    problems.push(format!(
                        "{}: {p:?} matched across a newline: {:?}",
                        e.id,
                        String::from_utf8_lossy(m.as_bytes())
                    ));
                }
            }
        }
    }
    if let Err(err) = RegexSet::new(&every) {
        problems.push(format!(
            "the whole set does not compile as a RegexSet: {err}"
        ));
    }
    assert!(
        problems.is_empty(),
        "pattern problems:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn examples_match_their_own_patterns() {
    let all = entries();
    let mut problems = Vec::new();
    for e in &all {
        let res: Vec<Regex> = e
            .patterns
            .iter()
            .map(|p| Regex::new(p).expect("pattern compiles (checked elsewhere)"))
            .collect();
        for ex in &e.matches {
            if !res.iter().any(|re| re.is_match(ex.as_bytes())) {
                problems.push(format!("{}: match example not matched: {ex:?}", e.id));
            }
        }
        for ex in &e.no_matches {
            for (re, p) in res.iter().zip(&e.patterns) {
                if re.is_match(ex.as_bytes()) {
                    problems.push(format!(
                        "{}: no_match example matched by {p:?}: {ex:?}",
                        e.id
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "example problems:\n  {}",
        problems.join("\n  ")
    );
}

/// Prints which entries' patterns fire on each example (through one
/// `RegexSet`, as the scanner will use them). Cross-matches are information,
/// not failures; the test fails only if an example of a critical/error entry
/// is matched by none of its own patterns.
#[test]
fn cross_match_table() {
    let all = entries();
    let mut owner = Vec::new();
    let mut pats = Vec::new();
    for (i, e) in all.iter().enumerate() {
        for p in &e.patterns {
            owner.push(i);
            pats.push(p.as_str());
        }
    }
    let set = RegexSet::new(&pats).expect("whole set compiles");

    let mut failures = Vec::new();
    let mut cross = 0usize;
    println!(
        "\n{:<44} {:<9} {:<4} also matched by",
        "entry", "severity", "kind"
    );
    for e in &all {
        let own_idx = all.iter().position(|x| x.id == e.id).unwrap();
        for (kind, list) in [("ok", &e.matches), ("no", &e.no_matches)] {
            for (n, ex) in list.iter().enumerate() {
                let mut hit: Vec<usize> = set
                    .matches(ex.as_bytes())
                    .into_iter()
                    .map(|pi| owner[pi])
                    .collect();
                hit.dedup();
                let own = hit.contains(&own_idx);
                let others: Vec<&str> = hit
                    .iter()
                    .filter(|&&i| i != own_idx)
                    .map(|&i| all[i].id.as_str())
                    .collect();
                if kind == "ok" && !own && (e.severity == "critical" || e.severity == "error") {
                    failures.push(format!(
                        "{}: example #{n} matched by nothing of its own",
                        e.id
                    ));
                }
                if !others.is_empty() {
                    cross += 1;
                    println!(
                        "{:<44} {:<9} {:<4} {}",
                        e.id,
                        e.severity,
                        format!("{kind}{n}"),
                        others.join(", ")
                    );
                }
            }
        }
    }
    println!("{cross} example(s) also matched by other entries\n");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The static checker itself must reject the constructs it is meant to catch.
#[test]
fn static_checker_rejects_newline_hazards() {
    for bad in [
        r"foo\s+bar",
        r"failed \([^)]+\)",
        r"\d+\nx",
        r"^ERROR",
        r"done$",
        r"(?s)a.b",
        r"(?is:a.b)",
        r"a(?=b)",
        "a\nb",
    ] {
        assert!(!static_problems(bad).is_empty(), "checker missed {bad:?}");
    }
    for good in [
        r"failed \((\d+): ([^)\n]+)\)",
        r#""([^"\n]+)""#,
        r"(?i)fallback (?:for|returned)",
        r"(?i:connect timed out)",
        r"\[(?:ext|ion)ShutdownHook\]",
        r"[\d,.\x{00A0}]+",
        r"\S+ and \w+",
    ] {
        assert!(
            static_problems(good).is_empty(),
            "checker wrongly rejects {good:?}: {:?}",
            static_problems(good)
        );
    }
}

//! Validates the embedded signature catalog: the family files `catalog/*.json`
//! (schema `faultscope-catalog/2`).
//!
//! The catalog is data only; these checks make sure that every entry is well
//! formed, that every pattern compiles (alone and as one `RegexSet`), that no
//! pattern can ever match across a line break, that every entry's own
//! `match` / `no_match` examples behave as documented (a `no_match` example may
//! match a pattern when the entry's precision rules reject it: `unless`, `level`,
//! `context`, or the level rule of its severity on an INFO line), and that
//! an example matched by another entry is in the allow-list
//! `catalog/cross_matches.json`.
//!
//! The files are read at run time (not `include_str!`), so this test reads the
//! same files the loader embeds; `src/catalog/mod.rs` tests that both lists agree.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use regex::bytes::{Regex, RegexSet};
use serde_json::Value;

const SCHEMA: &str = "faultscope-catalog/2";
const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "marker"];
const ROLES: [&str; 6] = [
    "restart-marker",
    "port-exhaustion",
    "user-impact",
    "crash",
    "host-wide",
    "client-noise",
];
const OSES: [&str; 3] = ["windows", "linux", "macos"];
const LEVELS: [&str; 3] = ["warning", "error", "critical"];
const CONTEXTS: [&str; 2] = ["access-log", "stack-trace"];
/// Leading words that occur on ordinary log lines (logger/class names, nginx's
/// `upstream:` field); a pattern starting with one defeats the prefilter.
const COMMON_LEADS: [&str; 8] = [
    "java.", "org.", "com.", "Hikari", "Circuit", "Apple", "upstream", "503 ",
];

struct Entry {
    id: String,
    patterns: Vec<String>,
    unless: Vec<String>,
    matches: Vec<String>,
    no_matches: Vec<String>,
}

fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

/// The family files, by name.
fn family_files() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(catalog_dir())
        .expect("catalog/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "cross_matches.json")
        .collect();
    names.sort();
    for n in names {
        let text = std::fs::read_to_string(catalog_dir().join(&n)).unwrap();
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("catalog/{n}: not JSON: {e}"));
        out.push((n, v));
    }
    assert!(
        out.len() >= 20,
        "expected >= 20 family files, found {}",
        out.len()
    );
    out
}

/// Every entry of every family file, as JSON.
fn all_signatures() -> Vec<Value> {
    family_files()
        .into_iter()
        .flat_map(|(_, v)| v["signatures"].as_array().cloned().unwrap_or_default())
        .collect()
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
    all_signatures()
        .iter()
        .map(|s| {
            let id = s["id"].as_str().expect("every entry needs a string `id`");
            Entry {
                id: id.to_string(),
                patterns: str_list(&s["patterns"], "patterns", id),
                unless: str_list(&s["unless"], "unless", id),
                matches: str_list(&s["examples"]["match"], "examples.match", id),
                no_matches: str_list(&s["examples"]["no_match"], "examples.no_match", id),
            }
        })
        .collect()
}

/// Whether a line an entry's patterns matched is a hit, judged as the scan judges it: the
/// entry's `unless`, `level`, `context` and the level rule of its severity
/// (`Signature::judge`), the line's level read by `record::level::line_level`, its context
/// from the line alone.
fn judged_hit(id: &str, line: &str) -> bool {
    use faultscope::catalog::Catalog;
    static CAT: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    let cat = CAT.get_or_init(|| Catalog::builtin().expect("builtin catalog"));
    let i = cat.index_of(id).expect("entry in the builtin catalog");
    let b = line.as_bytes();
    cat.signatures[i]
        .judge(b, faultscope::record::level::line_level(b), |c| {
            faultscope::record::context_fits(c, b, false, false)
        })
        .is_ok()
}

impl Entry {
    /// Whether a line this entry's patterns matched counts (its `unless` regexes, here
    /// compiled by the `regex` crate, and [`judged_hit`]).
    fn accepts(&self, unless: &[Regex], line: &str) -> bool {
        !unless.iter().any(|re| re.is_match(line.as_bytes())) && judged_hit(&self.id, line)
    }
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
    let files = family_files();
    let mut families = HashSet::new();
    let mut problems = Vec::new();
    for (name, doc) in &files {
        if doc["schema"].as_str() != Some(SCHEMA) {
            problems.push(format!("{name}: schema must be {SCHEMA:?}"));
        }
        let family = doc["family"].as_str().unwrap_or("");
        if !is_kebab(family) || format!("{family}.json") != *name {
            problems.push(format!(
                "{name}: `family` must be the file's name, got {family:?}"
            ));
        }
        if !families.insert(family.to_string()) {
            problems.push(format!("{name}: duplicate family {family:?}"));
        }
        for key in doc
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if !["schema", "family", "signatures"].contains(&key.as_str()) {
                problems.push(format!("{name}: unknown key {key:?}"));
            }
        }
        if doc["signatures"].as_array().is_none_or(|a| a.is_empty()) {
            problems.push(format!("{name}: `signatures` must be a non-empty array"));
        }
    }
    let sigs = all_signatures();
    assert!(
        sigs.len() >= 150,
        "expected >= 150 entries, got {}",
        sigs.len()
    );

    let mut seen = HashSet::new();
    for s in &sigs {
        let id = s["id"].as_str().unwrap_or("<missing id>");
        let mut bad = |msg: String| problems.push(format!("{id}: {msg}"));
        if !is_kebab(id) {
            bad("id is not kebab-case".into());
        }
        if !seen.insert(id.to_string()) {
            bad("duplicate id".into());
        }
        for key in ["title", "means"] {
            if s[key].as_str().is_none_or(|t| t.trim().is_empty()) {
                bad(format!("`{key}` must be a non-empty string"));
            }
        }
        for key in ["ref", "stacks", "roles", "os", "unless"] {
            if s.get(key).is_none() {
                bad(format!(
                    "`{key}` is missing (schema 2 requires it on every entry)"
                ));
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
        let refs = str_list(&s["ref"], "ref", id);
        if refs.is_empty() || refs.iter().any(|r| r.trim().len() < 8) {
            bad("`ref` must list at least one source".into());
        }
        let stacks = str_list(&s["stacks"], "stacks", id);
        if stacks.is_empty() || stacks.iter().any(|x| !is_kebab(x)) {
            bad(format!(
                "`stacks` must be a non-empty list of lowercase names: {stacks:?}"
            ));
        }
        for r in str_list(&s["roles"], "roles", id) {
            if !ROLES.contains(&r.as_str()) {
                bad(format!("unknown role {r:?}"));
            }
        }
        if !s["os"].is_null() && !OSES.contains(&s["os"].as_str().unwrap_or("")) {
            bad(format!("os {} not in {OSES:?} or null", s["os"]));
        }
        if let Some(l) = s.get("level").filter(|l| !l.is_null()) {
            if !LEVELS.contains(&l.as_str().unwrap_or("")) {
                bad(format!("level {l} not in {LEVELS:?}"));
            }
        }
        if let Some(l) = s.get("logged_at").filter(|l| !l.is_null()) {
            // Only below the level the severity implies (error for critical/error entries,
            // warning for warning entries): at or above it, it would change nothing.
            let l = l.as_str().unwrap_or("");
            let below: &[&str] = match severity {
                "critical" | "error" => &["info", "warning"],
                "warning" => &["info"],
                _ => &[],
            };
            if !below.contains(&l) {
                bad(format!(
                    "logged_at {l:?} must be below the level a {severity} entry implies: one of {below:?}"
                ));
            }
        }
        if let Some(c) = s.get("context").filter(|c| !c.is_null()) {
            if !CONTEXTS.contains(&c.as_str().unwrap_or("")) {
                bad(format!("context {c} not in {CONTEXTS:?}"));
            }
        }
        for u in str_list(&s["unless"], "unless", id) {
            if let Err(e) = Regex::new(&u) {
                bad(format!("`unless` {u:?} does not compile: {e}"));
            }
        }
        if let Some(ev) = s.get("event").filter(|e| !e.is_null()) {
            let provider_ok = ev["provider"].as_str().is_some_and(|p| !p.is_empty());
            let ids_ok = ev["ids"]
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(|i| i.as_u64().is_some()));
            if !provider_ok || !ids_ok {
                bad(format!(
                    "`event` needs a provider and a non-empty list of ids: {ev}"
                ));
            }
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
        let unless: Vec<Regex> = e.unless.iter().map(|u| Regex::new(u).unwrap()).collect();
        for ex in &e.matches {
            if !res.iter().any(|re| re.is_match(ex.as_bytes())) {
                problems.push(format!("{}: match example not matched: {ex:?}", e.id));
            } else if !e.accepts(&unless, ex) {
                problems.push(format!(
                    "{}: match example rejected by its own `unless`/`level`: {ex:?}",
                    e.id
                ));
            }
        }
        for ex in &e.no_matches {
            if !e.accepts(&unless, ex) {
                continue; // rejected by `unless` / `level`: a precision rule at work
            }
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

/// Issue 21: every entry has at least one `no_match` example from another product's log.
/// "Another product" is checked, not claimed: the line must be a `match` example of an
/// entry whose `stacks` share nothing with this one's (so it is a real line of that other
/// product, documented there with its source), and `examples_match_their_own_patterns`
/// proves this entry does not take it.
#[test]
fn every_entry_has_a_negative_from_another_product() {
    let all = all_signatures();
    let stacks = |s: &Value| -> BTreeSet<String> {
        s["stacks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Each documented positive line, with the stacks of every entry it is a positive of.
    let mut positives: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for s in &all {
        let id = s["id"].as_str().unwrap_or("?");
        for m in str_list(&s["examples"]["match"], "examples.match", id) {
            positives.entry(m).or_default().push(stacks(s));
        }
    }
    let mut missing = Vec::new();
    for s in &all {
        let id = s["id"].as_str().unwrap_or("?");
        let own = stacks(s);
        assert!(!own.is_empty(), "{id}: no stacks");
        let foreign = str_list(&s["examples"]["no_match"], "examples.no_match", id)
            .iter()
            .any(|n| {
                positives
                    .get(n)
                    .is_some_and(|st| st.iter().any(|o| o.is_disjoint(&own)))
            });
        if !foreign {
            missing.push(id.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "entries without a no_match line from another product (a match example of an \
         entry with other stacks): {missing:?}"
    );
}

/// The allow-list: `(entry, other)` pairs whose examples may also be matched by `other`,
/// each with a reason.
fn allowed_cross_matches() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(catalog_dir().join("cross_matches.json"))
        .expect("catalog/cross_matches.json");
    let v: Value = serde_json::from_str(&text).expect("cross_matches.json is JSON");
    let mut out = BTreeMap::new();
    for a in v["allow"].as_array().expect("`allow` array") {
        let entry = a["entry"].as_str().expect("entry").to_string();
        let also = a["also"].as_str().expect("also").to_string();
        let why = a["why"].as_str().unwrap_or("").to_string();
        assert!(
            why.trim().len() >= 10,
            "cross_matches.json: {entry} / {also} needs a reason"
        );
        assert!(
            out.insert((entry.clone(), also.clone()), why).is_none(),
            "cross_matches.json: {entry} / {also} listed twice"
        );
    }
    out
}

/// Runs every example of every entry through the combined automaton as the scan runs it
/// (`Catalog::builtin().compile()`, `Matcher::hits_on_line`: leftmost-first, a refused match
/// searched past, each hit judged by its entry's rules with the line's level read by
/// `record::level::line_level`). Fails when:
/// - a `match` example is not reported for its own entry (shadowed by another pattern);
/// - an example is reported for another entry, unless that exact line is one of the other
///   entry's own `match` examples or the pair is in `catalog/cross_matches.json` (a
///   `no_match` example that is another entry's `match` example is judged in that entry's
///   row: here it must only not be reported for its own entry);
/// - an allow-list pair is no longer needed by any example (the list stays exact).
///
/// Run with `--nocapture` to see the table.
#[test]
fn cross_match_table() {
    use faultscope::catalog::Catalog;
    let cat = Catalog::builtin().expect("builtin catalog");
    let m = cat.compile().expect("catalog compiles");
    let ids: BTreeSet<&str> = cat.signatures.iter().map(|s| s.id.as_str()).collect();
    let allowed = allowed_cross_matches();
    let mut owns: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in &cat.signatures {
        for ex in &s.examples.matching {
            owns.entry(ex.as_str()).or_default().insert(s.id.as_str());
        }
    }

    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    let mut cross = 0usize;
    println!(
        "\n{:<44} {:<9} {:<4} also reported as",
        "entry", "severity", "kind"
    );
    for (own_idx, e) in cat.signatures.iter().enumerate() {
        for (kind, list) in [("ok", &e.examples.matching), ("no", &e.examples.no_match)] {
            for (n, ex) in list.iter().enumerate() {
                let line = ex.as_bytes();
                let level = faultscope::record::level::line_level(line);
                let hit: Vec<usize> = m
                    .hits_on_line(line, level, |c| {
                        faultscope::record::context_fits(c, line, false, false)
                    })
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect();
                if kind == "no" && owns.contains_key(ex.as_str()) {
                    // Another product's documented line (issue 21's foreign negative): the
                    // entries that report it are judged in its owner's row; here it must
                    // only not be reported for this entry.
                    if hit.contains(&own_idx) {
                        failures.push(format!(
                            "{}: no_match example #{n} (another entry's match example) is reported for it: {ex:?}",
                            e.id
                        ));
                    }
                    continue;
                }
                if kind == "ok" && !hit.contains(&own_idx) {
                    failures.push(format!(
                        "{}: match example #{n} is not reported for its own entry (shadowed by {:?}): {ex:?}",
                        e.id,
                        hit.iter().map(|&i| cat.signatures[i].id.as_str()).collect::<Vec<_>>()
                    ));
                }
                let others: Vec<&str> = hit
                    .iter()
                    .filter(|&&i| i != own_idx)
                    .map(|&i| cat.signatures[i].id.as_str())
                    .collect();
                for o in &others {
                    if owns.get(ex.as_str()).is_some_and(|set| set.contains(o)) {
                        continue;
                    }
                    let key = (e.id.clone(), o.to_string());
                    if allowed.contains_key(&key) {
                        used.insert(key);
                    } else {
                        failures.push(format!(
                            "{} ({kind}{n}) also reported as {o}, not in catalog/cross_matches.json: {ex:?}",
                            e.id
                        ));
                    }
                }
                if !others.is_empty() {
                    cross += 1;
                    println!(
                        "{:<44} {:<9} {:<4} {}",
                        e.id,
                        e.severity.as_str(),
                        format!("{kind}{n}"),
                        others.join(", ")
                    );
                }
            }
        }
    }
    for (entry, also) in allowed.keys() {
        if !ids.contains(entry.as_str()) || !ids.contains(also.as_str()) {
            failures.push(format!(
                "cross_matches.json names an unknown id: {entry} / {also}"
            ));
        } else if !used.contains(&(entry.clone(), also.clone())) {
            failures.push(format!(
                "cross_matches.json allows {entry} / {also}, but no example needs it"
            ));
        }
    }
    println!("{cross} example(s) also reported as other entries\n");
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

//! The signature catalog: known outage messages as data, compiled into one multi-pattern
//! matcher.
//!
//! Input: the embedded `catalog/signatures.json` (built from
//! `shared/reference/signatures.md`) plus any `--rules FILE` (JSON or TOML) that adds,
//! overrides (same id) or disables entries. Output: a [`Catalog`] (the entries) and a
//! [`Matcher`]: every pattern of every enabled entry in one `regex_automata::meta::Regex`
//! built with `new_many`, so one pass over a whole buffer finds all signatures and the
//! pattern id names the signature (scan-engine.md §4.1: a per-line loop costs 1.8x).
//!
//! Tricky cases:
//! - Patterns must never match a newline, or a match could straddle two records and chunk
//!   boundaries would change results (ripgrep's `strip.rs`/`ban.rs` do the same). We remove
//!   `\n` from every class in the parsed HIR (so `\s` and `[^"]` stay line-local) and turn a
//!   literal `\n` into "never matches".
//! - A bad rules file is an error naming the file, the entry and the reason (exit 2), never
//!   a silently smaller catalog.
//! - Regexes are compiled over bytes (`utf8(false)`): invalid UTF-8 in a log never stops a
//!   scan; Unicode classes simply do not match it.

pub mod prefilter;

use crate::error::{Error, Result};
use regex_automata::meta;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The embedded catalog.
pub const BUILTIN_JSON: &str = include_str!("../../catalog/signatures.json");

/// How bad a signature is. Order matters: the most severe sorts first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// User requests are failing.
    Critical,
    /// Something failed.
    Error,
    /// Context: attaches to an incident, never opens one.
    Warning,
    /// Timeline context (restarts, config): never opens an incident.
    Marker,
}

impl Severity {
    /// Critical and error hits open incidents.
    pub fn opens_incident(self) -> bool {
        matches!(self, Severity::Critical | Severity::Error)
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Marker => "marker",
        }
    }
}

/// Example lines every entry ships; a test runs them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Lines that must match.
    #[serde(default, rename = "match")]
    pub matching: Vec<String>,
    /// Near misses that must not match.
    #[serde(default)]
    pub no_match: Vec<String>,
}

/// What an entry means to the engine: the code asks these roles, never an entry's id, title
/// or category, so a `--rules` edit of free text cannot change root-cause logic (issue 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A service stopped, started or restarted: explains refusals of its callers.
    RestartMarker,
    /// Ephemeral port / socket exhaustion: a netstat/ss dump is evidence for it (names the
    /// process holding the ports).
    PortExhaustion,
    /// Users' requests failed (an access log's 5xx).
    UserImpact,
    /// A process died (OOM kill, segfault, JVM fatal error, unhandled exception exit).
    Crash,
    /// Affects every service on the host (disk full, kernel table overflow, OOM killer).
    HostWide,
    /// Failures caused by clients (scanners, bad passwords, client aborts).
    ClientNoise,
}

/// One catalog entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Stable kebab-case id (`tcp-port-exhaustion-wsaenobufs`).
    pub id: String,
    /// Short human title.
    pub title: String,
    /// Category (`port-exhaustion`, `gateway-retry-exhausted`, ...).
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Rank in the causal chains of signatures.md §11: 0 host/kernel ... 8 user-facing.
    /// `None` for markers.
    #[serde(default)]
    pub layer: Option<u8>,
    /// Regexes (Rust `regex` syntax, line-local).
    pub patterns: Vec<String>,
    /// What it means and usual causes.
    #[serde(default)]
    pub means: String,
    /// What to check next.
    #[serde(default)]
    pub next: Vec<String>,
    /// Red-herring candidate: fires at a steady background rate; never a root cause.
    #[serde(default)]
    pub noise: bool,
    /// What the entry means to the engine (restart marker, port exhaustion, user impact...).
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Example lines.
    #[serde(default)]
    pub examples: Examples,
}

impl Signature {
    /// Layer used for ranking; markers and unknown layers sort last.
    pub fn rank(&self) -> u8 {
        self.layer.unwrap_or(u8::MAX)
    }

    /// Does the entry play this role?
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    schema: String,
    signatures: Vec<Signature>,
}

/// A `--rules` entry: every field but `id` is optional; given fields replace the
/// built-in entry's (or define a new one), `disabled = true` removes the id.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    title: Option<String>,
    category: Option<String>,
    severity: Option<Severity>,
    layer: Option<u8>,
    patterns: Option<Vec<String>>,
    means: Option<String>,
    next: Option<Vec<String>>,
    noise: Option<bool>,
    roles: Option<Vec<Role>>,
    examples: Option<Examples>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default, alias = "signature")]
    signatures: Vec<RuleEntry>,
    /// Ids to disable.
    #[serde(default)]
    disable: Vec<String>,
}

/// The enabled signatures, in a stable order (built-ins first, then added rules).
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Entries.
    pub signatures: Vec<Signature>,
}

/// Compiled form of a catalog: one automaton; pattern id → signature index.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// The multi-pattern regex.
    pub regex: meta::Regex,
    /// For each pattern id, the index of its signature in the catalog.
    pub pattern_sig: Vec<u16>,
    /// The patterns' HIR (the prefilter is built from them).
    hirs: Vec<Hir>,
    /// Necessary literals of every pattern (src/prefilter.rs), or why there are none (then
    /// the automaton reads the whole buffer). Built once, from a sample of the input when
    /// [`Matcher::prepare`] runs first.
    prefilter:
        std::sync::OnceLock<std::result::Result<crate::catalog::prefilter::Prefilter, String>>,
}

impl Matcher {
    /// Builds the prefilter from a sample of the logs about to be scanned (their byte
    /// statistics pick rare literals); a no-op once it is built.
    pub fn prepare(&self, sample: &[u8]) {
        self.prefilter.get_or_init(|| {
            crate::catalog::prefilter::Prefilter::new(
                &self.hirs,
                &crate::catalog::prefilter::Model::from_sample(sample),
            )
        });
    }

    /// The prefilter (built without a sample if [`Matcher::prepare`] did not run), or why
    /// there is none.
    pub fn prefilter(&self) -> &std::result::Result<crate::catalog::prefilter::Prefilter, String> {
        self.prefilter.get_or_init(|| {
            crate::catalog::prefilter::Prefilter::new(
                &self.hirs,
                &crate::catalog::prefilter::Model::prior(),
            )
        })
    }
}

/// Compiled-regex size limit per catalog (the regex crate's default is 10 MiB per regex;
/// a rules file with a pathological pattern gets a clear error instead of minutes of
/// compile time).
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024 * 1024;

impl Catalog {
    /// The embedded catalog.
    pub fn builtin() -> Result<Catalog> {
        let file: CatalogFile = serde_json::from_str(BUILTIN_JSON).map_err(|e| Error::Rules {
            path: "<builtin catalog>".into(),
            entry: None,
            reason: e.to_string(),
        })?;
        if file.schema != "faultscope-catalog/1" {
            return Err(Error::Rules {
                path: "<builtin catalog>".into(),
                entry: None,
                reason: format!("unknown schema {}", file.schema),
            });
        }
        Ok(Catalog {
            signatures: file.signatures,
        })
    }

    /// Applies a rules file (JSON or TOML; told by extension, else by first byte).
    pub fn apply_rules_file(&mut self, path: &Path) -> Result<()> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Rules {
            path: shown.clone(),
            entry: None,
            reason: format!("cannot read: {e}"),
        })?;
        let is_json = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => true,
            Some("toml") => false,
            _ => text.trim_start().starts_with('{'),
        };
        let rules: RulesFile = if is_json {
            serde_json::from_str(&text).map_err(|e| Error::Rules {
                path: shown.clone(),
                entry: None,
                reason: e.to_string(),
            })?
        } else {
            toml::from_str(&text).map_err(|e| Error::Rules {
                path: shown.clone(),
                entry: None,
                reason: e.to_string(),
            })?
        };
        if let Some(s) = &rules.schema {
            if s != "faultscope-rules/1" && s != "faultscope-catalog/1" {
                return Err(Error::Rules {
                    path: shown,
                    entry: None,
                    reason: format!("unknown schema `{s}` (expected faultscope-rules/1)"),
                });
            }
        }
        self.apply_rules(&shown, rules)
    }

    fn apply_rules(&mut self, path: &str, rules: RulesFile) -> Result<()> {
        let err = |entry: &str, reason: String| Error::Rules {
            path: path.to_string(),
            entry: Some(entry.to_string()),
            reason,
        };
        let mut seen = BTreeMap::new();
        for r in rules.signatures {
            if seen.insert(r.id.clone(), ()).is_some() {
                return Err(err(&r.id, "duplicate id in this rules file".into()));
            }
            if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
            {
                return Err(err(
                    &r.id,
                    "id must be non-empty and use letters, digits, '-', '_', '.'".into(),
                ));
            }
            let pos = self.signatures.iter().position(|s| s.id == r.id);
            if r.disabled {
                match pos {
                    Some(i) => {
                        self.signatures.remove(i);
                    }
                    None => return Err(err(&r.id, "cannot disable: no such signature".into())),
                }
                continue;
            }
            let mut sig = match pos {
                Some(i) => self.signatures[i].clone(),
                None => {
                    let patterns = r
                        .patterns
                        .clone()
                        .ok_or_else(|| err(&r.id, "a new signature needs `patterns`".into()))?;
                    Signature {
                        id: r.id.clone(),
                        title: r.id.clone(),
                        category: "custom".into(),
                        severity: Severity::Error,
                        layer: Some(4),
                        patterns,
                        means: String::new(),
                        next: Vec::new(),
                        noise: false,
                        roles: Vec::new(),
                        examples: Examples::default(),
                    }
                }
            };
            if let Some(v) = r.title {
                sig.title = v;
            }
            if let Some(v) = r.category {
                sig.category = v;
            }
            if let Some(v) = r.severity {
                sig.severity = v;
            }
            if let Some(v) = r.layer {
                if v > 8 {
                    return Err(err(&r.id, format!("layer {v} is out of range 0..=8")));
                }
                sig.layer = Some(v);
            }
            if let Some(v) = r.patterns {
                sig.patterns = v;
            }
            if let Some(v) = r.means {
                sig.means = v;
            }
            if let Some(v) = r.next {
                sig.next = v;
            }
            if let Some(v) = r.noise {
                sig.noise = v;
            }
            if let Some(v) = r.roles {
                sig.roles = v;
            }
            if let Some(v) = r.examples {
                sig.examples = v;
            }
            if sig.patterns.is_empty() {
                return Err(err(&r.id, "no patterns".into()));
            }
            for p in &sig.patterns {
                compile_one(p, true)
                    .map_err(|reason| err(&r.id, format!("pattern `{p}`: {reason}")))?;
            }
            match pos {
                Some(i) => self.signatures[i] = sig,
                None => self.signatures.push(sig),
            }
        }
        for id in rules.disable {
            match self.signatures.iter().position(|s| s.id == id) {
                Some(i) => {
                    self.signatures.remove(i);
                }
                None => return Err(err(&id, "cannot disable: no such signature".into())),
            }
        }
        Ok(())
    }

    /// Index of a signature by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.signatures.iter().position(|s| s.id == id)
    }

    /// Compiles every pattern of every entry into one automaton.
    pub fn compile(&self) -> Result<Matcher> {
        let mut hirs = Vec::new();
        let mut pattern_sig = Vec::new();
        for (i, sig) in self.signatures.iter().enumerate() {
            for p in &sig.patterns {
                let hir = compile_one(p, false).map_err(|reason| Error::Rules {
                    path: "<catalog>".into(),
                    entry: Some(sig.id.clone()),
                    reason: format!("pattern `{p}`: {reason}"),
                })?;
                hirs.push(hir);
                pattern_sig.push(i as u16);
            }
        }
        let regex = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                    .onepass_size_limit(Some(REGEX_SIZE_LIMIT))
                    .hybrid_cache_capacity(4 * 1024 * 1024)
                    .utf8_empty(false),
            )
            .build_many_from_hir(&hirs)
            .map_err(|e| Error::Rules {
                path: "<catalog>".into(),
                entry: None,
                reason: format!("the combined catalog does not compile: {e}"),
            })?;
        Ok(Matcher {
            regex,
            pattern_sig,
            hirs,
            prefilter: std::sync::OnceLock::new(),
        })
    }

    /// Patterns one per line, line-local, usable by `rg -f` / `grep -E -f`-style tools
    /// (rg reads Rust syntax; every pattern was checked to compile here).
    pub fn export_patterns(&self) -> String {
        let mut out = String::new();
        for sig in &self.signatures {
            for p in &sig.patterns {
                out.push_str(p);
                out.push('\n');
            }
        }
        out
    }
}

/// Parses one pattern into line-local HIR; with `check_size`, also compiles it alone to
/// report a pattern over the size limit by name (done for rules files; the built-in catalog
/// is checked by its tests, and skipping it keeps start-up fast).
fn compile_one(pattern: &str, check_size: bool) -> std::result::Result<Hir, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(true)
        .build()
        .parse(pattern)
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
                .to_string()
        })?;
    let hir = strip_newlines(hir);
    if !check_size {
        return Ok(hir);
    }
    // Size check with the same engine the scan uses.
    meta::Builder::new()
        .configure(meta::Config::new().nfa_size_limit(Some(REGEX_SIZE_LIMIT / 8)))
        .build_from_hir(&hir)
        .map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            if e.size_limit().is_some() || msg.contains("size limit") {
                format!(
                    "regex is over the size limit ({} bytes compiled): {msg}",
                    REGEX_SIZE_LIMIT / 8
                )
            } else {
                msg
            }
        })?;
    Ok(hir)
}

/// Removes `\n` from every class and makes literal newlines unmatchable, so no pattern can
/// match across a line break (see the module docs).
fn strip_newlines(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Literal(lit) => {
            if lit.0.contains(&b'\n') {
                Hir::fail()
            } else {
                Hir::literal(lit.0)
            }
        }
        HirKind::Class(Class::Unicode(mut c)) => {
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('\n', '\n')]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(mut c)) => {
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'\n', b'\n')]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Repetition(mut rep) => {
            rep.sub = Box::new(strip_newlines(*rep.sub));
            Hir::repetition(rep)
        }
        HirKind::Capture(mut cap) => {
            cap.sub = Box::new(strip_newlines(*cap.sub));
            Hir::capture(cap)
        }
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(strip_newlines).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(strip_newlines).collect())
        }
        HirKind::Empty => Hir::empty(),
        HirKind::Look(l) => Hir::look(l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(m: &Matcher, cat: &Catalog, line: &str) -> Vec<String> {
        let mut ids: Vec<String> = m
            .regex
            .find_iter(line.as_bytes())
            .map(|x| {
                cat.signatures[m.pattern_sig[x.pattern().as_usize()] as usize]
                    .id
                    .clone()
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn builtin_loads_and_compiles() {
        let cat = Catalog::builtin().unwrap();
        assert!(cat.signatures.len() >= 40, "{}", cat.signatures.len());
        cat.compile().unwrap();
    }

    #[test]
    fn every_example_behaves() {
        // Each entry's positive examples must be matched by that entry (through the combined
        // automaton, as the scan sees them); negative examples must not be.
        let cat = Catalog::builtin().unwrap();
        let m = cat.compile().unwrap();
        for sig in &cat.signatures {
            assert!(
                !sig.examples.matching.is_empty(),
                "{} has no examples",
                sig.id
            );
            for ex in &sig.examples.matching {
                // Overlapping signatures may claim the leftmost match; check by the entry's
                // own patterns as well as the combined automaton.
                let own = sig.patterns.iter().any(|p| {
                    let h = compile_one(p, true).unwrap();
                    meta::Regex::builder()
                        .build_from_hir(&h)
                        .unwrap()
                        .is_match(ex.as_bytes())
                });
                assert!(own, "{}: example does not match: {ex}", sig.id);
            }
            for ex in &sig.examples.no_match {
                let own = sig.patterns.iter().any(|p| {
                    let h = compile_one(p, true).unwrap();
                    meta::Regex::builder()
                        .build_from_hir(&h)
                        .unwrap()
                        .is_match(ex.as_bytes())
                });
                assert!(!own, "{}: near miss matches: {ex}", sig.id);
            }
        }
        assert!(matches(&m, &cat, "no error here").is_empty());
    }

    /// Prefilter hygiene (scan-engine.md §4.6): every built-in pattern must start with a
    /// small, finite set of literals of at least 3 bytes. One pattern without (a leading
    /// class, `(?i)` expanding into hundreds of case variants, a lone `[`) turns the whole
    /// automaton's prefilter off and the scan runs the lazy DFA over every byte.
    #[test]
    fn builtin_patterns_have_literal_prefixes() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        let cat = Catalog::builtin().unwrap();
        for sig in &cat.signatures {
            for p in &sig.patterns {
                let hir = compile_one(p, true).unwrap();
                let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
                seq.minimize_by_preference();
                let lits = seq
                    .literals()
                    .unwrap_or_else(|| panic!("{}: `{p}` has no literal prefix", sig.id));
                assert!(
                    lits.len() <= 16,
                    "{}: `{p}` expands to {} prefixes",
                    sig.id,
                    lits.len()
                );
                for l in lits {
                    assert!(l.len() >= 3, "{}: `{p}` has a short prefix {:?}", sig.id, l);
                }
            }
        }
    }

    #[test]
    fn patterns_are_line_local() {
        let h = compile_one(r"a\sb[^x]c", true).unwrap();
        let re = meta::Regex::builder().build_from_hir(&h).unwrap();
        assert!(re.is_match(b"a b-c"));
        assert!(!re.is_match(b"a\nb-c"));
        assert!(!re.is_match(b"a b\nc"));
        let h = compile_one(r"x\ny", true).unwrap();
        assert!(!meta::Regex::builder()
            .build_from_hir(&h)
            .unwrap()
            .is_match(b"x\ny"));
    }

    fn rules(text: &str, ext: &str) -> Result<Catalog> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(format!("rules.{ext}"));
        std::fs::write(&p, text).unwrap();
        let mut cat = Catalog::builtin().unwrap();
        cat.apply_rules_file(&p)?;
        Ok(cat)
    }

    #[test]
    fn rules_add_override_disable() {
        let n = Catalog::builtin().unwrap().signatures.len();
        let cat = rules(
            r#"
disable = ["nginx-static-file-missing"]

[[signatures]]
id = "ledger-lock"
patterns = ['LedgerLockException: ledger \d+ locked']
severity = "critical"
layer = 2

[[signatures]]
id = "connect-refused"
severity = "warning"
"#,
            "toml",
        )
        .unwrap();
        assert_eq!(cat.signatures.len(), n);
        let i = cat.index_of("connect-refused").unwrap();
        assert_eq!(cat.signatures[i].severity, Severity::Warning);
        assert!(cat.index_of("nginx-static-file-missing").is_none());
        let m = cat.compile().unwrap();
        assert_eq!(
            matches(&m, &cat, "x LedgerLockException: ledger 42 locked"),
            ["ledger-lock"]
        );
        let cat = rules(r#"{"signatures":[{"id":"x","patterns":["foo"]}]}"#, "json").unwrap();
        assert_eq!(cat.signatures.len(), n + 1);
    }

    #[test]
    fn bad_rules_name_file_entry_and_reason() {
        let e = rules(
            "[[signatures]]\nid = \"bad\"\npatterns = ['(unclosed']\n",
            "toml",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("rules.toml") && s.contains("bad") && s.contains("unclosed"),
            "{s}"
        );
        let e = rules(
            "[[signatures]]\nid = \"x\"\npatterns = ['a']\ncolour = 'red'\n",
            "toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = rules("[[signatures]]\nid = \"x\"\npatterns=['a']\n[[signatures]]\nid = \"x\"\npatterns=['b']\n", "toml").unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
        let e = rules(
            "[[signatures]]\nid = \"huge\"\npatterns = ['\\w{1000}\\w{1000}\\w{1000}']\n",
            "toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("size limit"), "{e}");
        let e = rules("disable = [\"no-such-id\"]\n", "toml").unwrap_err();
        assert!(e.to_string().contains("no-such-id"), "{e}");
        let e = rules(
            "[[signatures]]\nid = \"x\"\npatterns = ['a']\nroles = ['restarts']\n",
            "toml",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("restarts") && e.to_string().contains("restart-marker"),
            "an unknown role names itself and the roles that exist: {e}"
        );
    }

    #[test]
    fn roles_are_data_and_rules_can_set_them() {
        let cat = Catalog::builtin().unwrap();
        let with = |r: Role| -> Vec<&str> {
            cat.signatures
                .iter()
                .filter(|s| s.has_role(r))
                .map(|s| s.id.as_str())
                .collect()
        };
        assert!(with(Role::RestartMarker).contains(&"springboot-started"));
        assert!(with(Role::PortExhaustion).contains(&"tcp-port-exhaustion-wsaenobufs"));
        assert_eq!(with(Role::UserImpact), ["http-5xx-access-log"]);
        let cat = rules(
            "[[signatures]]\nid = \"ledger-restart\"\nseverity = 'marker'\npatterns = ['Ledger restarted']\nroles = ['restart-marker']\n",
            "toml",
        )
        .unwrap();
        let i = cat.index_of("ledger-restart").unwrap();
        assert!(cat.signatures[i].has_role(Role::RestartMarker));
    }
}

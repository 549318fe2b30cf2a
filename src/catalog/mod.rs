//! The signature catalog: known outage messages as data, compiled into one multi-pattern
//! matcher.
//!
//! Input: the embedded family files `catalog/*.json` ([`BUILTIN_FILES`], schema
//! `faultscope-catalog/2`, concatenated in a fixed order; the first entries come from
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

/// Schema of the embedded family files.
pub const SCHEMA: &str = "faultscope-catalog/2";

/// The embedded catalog: one file per family (`{"schema", "family", "signatures"}`), in
/// the order their entries are loaded (pattern ids, and so which entry claims an
/// overlapping match, follow this order).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "java-spring.json",
        include_str!("../../catalog/java-spring.json"),
    ),
    ("nginx.json", include_str!("../../catalog/nginx.json")),
    ("windows.json", include_str!("../../catalog/windows.json")),
    (
        "sqlserver.json",
        include_str!("../../catalog/sqlserver.json"),
    ),
    (
        "postgresql.json",
        include_str!("../../catalog/postgresql.json"),
    ),
    ("mysql.json", include_str!("../../catalog/mysql.json")),
    (
        "databases.json",
        include_str!("../../catalog/databases.json"),
    ),
    ("redis.json", include_str!("../../catalog/redis.json")),
    ("mongodb.json", include_str!("../../catalog/mongodb.json")),
    ("kafka.json", include_str!("../../catalog/kafka.json")),
    ("rabbitmq.json", include_str!("../../catalog/rabbitmq.json")),
    (
        "elasticsearch.json",
        include_str!("../../catalog/elasticsearch.json"),
    ),
    ("python.json", include_str!("../../catalog/python.json")),
    ("node.json", include_str!("../../catalog/node.json")),
    ("go.json", include_str!("../../catalog/go.json")),
    ("dotnet.json", include_str!("../../catalog/dotnet.json")),
    ("ruby-php.json", include_str!("../../catalog/ruby-php.json")),
    ("haproxy.json", include_str!("../../catalog/haproxy.json")),
    (
        "envoy-istio.json",
        include_str!("../../catalog/envoy-istio.json"),
    ),
    ("traefik.json", include_str!("../../catalog/traefik.json")),
    (
        "kubernetes.json",
        include_str!("../../catalog/kubernetes.json"),
    ),
    (
        "linux-systemd.json",
        include_str!("../../catalog/linux-systemd.json"),
    ),
    ("tls.json", include_str!("../../catalog/tls.json")),
    ("cloud.json", include_str!("../../catalog/cloud.json")),
    (
        "lifecycle.json",
        include_str!("../../catalog/lifecycle.json"),
    ),
    ("network.json", include_str!("../../catalog/network.json")),
    (
        "resources.json",
        include_str!("../../catalog/resources.json"),
    ),
];

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

/// The OS an entry's text pins (errno texts differ between OSes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Windows (WinSock / Win32 texts, event log).
    Windows,
    /// Linux (glibc errno texts, kernel).
    Linux,
    /// macOS.
    Macos,
}

/// A record's level, as far as signatures care; ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordLevel {
    /// INFO, NOTICE, DEBUG, TRACE (and PostgreSQL `LOG:`).
    Info,
    /// WARN, WARNING.
    Warning,
    /// ERROR, SEVERE.
    Error,
    /// CRITICAL, FATAL, `[crit]`, `[alert]`, `[emerg]`.
    Critical,
}

/// Where a match must sit to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchContext {
    /// On an access-log line (CLF / combined and similar).
    AccessLog,
    /// Inside a stack trace (exception line or `Caused by:`).
    StackTrace,
}

/// A Windows event-log entry by provider and event ids (matched besides the text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMatch {
    /// Provider (source) name, e.g. `Microsoft-Windows-Tcpip` or `Tcpip`.
    pub provider: String,
    /// Event ids.
    pub ids: Vec<u32>,
}

impl EventMatch {
    /// The entry's event as a pattern over the rendered form of an event-log record
    /// (docs/sources.md: `<stamp> <LEVEL> <Provider>[<EventID>]: <message>`, written by
    /// `input` for `.evtx` files and every Windows export), so provider + event id match
    /// through the one automaton like any text pattern: `Tcpip` with ids 4227, 4231 gives
    /// `(?:CRITICAL|ERROR|...) (?:Microsoft-Windows-)?[Tt]cpip\[(?:4227|4231)\]:`.
    /// Manifest providers carry the `Microsoft-Windows-` prefix in the XML that Event
    /// Viewer's "Source" column drops (`Kernel-Power`), and classic sources are spelled in
    /// either case (`disk`, `Disk`): both are accepted. The level word right before the
    /// provider ties the pattern to the rendered form (a journal line has its host there).
    pub fn pattern(&self) -> Option<String> {
        let provider = self.provider.trim();
        let bare = provider
            .strip_prefix("Microsoft-Windows-")
            .unwrap_or(provider);
        let mut chars = bare.chars();
        let first = chars.next()?;
        if self.ids.is_empty() {
            return None;
        }
        let first = if first.is_ascii_alphabetic() {
            format!(
                "[{}{}]",
                first.to_ascii_uppercase(),
                first.to_ascii_lowercase()
            )
        } else {
            regex_syntax::escape(&first.to_string())
        };
        let ids: Vec<String> = self.ids.iter().map(u32::to_string).collect();
        Some(format!(
            "(?:CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG) (?:Microsoft-Windows-)?{first}{}\\[(?:{})\\]:",
            regex_syntax::escape(chars.as_str()),
            ids.join("|")
        ))
    }
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
    /// Example lines.
    #[serde(default)]
    pub examples: Examples,
    /// Where the wording was verified (URLs or `owner/repo:path`).
    #[serde(default, rename = "ref")]
    pub refs: Vec<String>,
    /// Stacks the entry belongs to (lowercase: `java`, `python`, `nginx`, ...).
    #[serde(default)]
    pub stacks: Vec<String>,
    /// What the entry means to the engine (restart marker, port exhaustion, user impact...):
    /// the code asks roles, never ids, titles or categories.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// The OS the text pins, if any.
    #[serde(default)]
    pub os: Option<Os>,
    /// Minimum record level for a hit to count (`None`: any level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<RecordLevel>,
    /// Where the match must sit (`None`: anywhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MatchContext>,
    /// Regexes: a matched line that also matches one of these is not a hit.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Windows event-log provider and ids, for entries of the event log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventMatch>,
}

impl Signature {
    /// Layer used for ranking; markers and unknown layers sort last.
    pub fn rank(&self) -> u8 {
        self.layer.unwrap_or(u8::MAX)
    }

    /// Every pattern the entry compiles into: its `patterns`, then the one its `event`
    /// gives ([`EventMatch::pattern`]).
    pub fn all_patterns(&self) -> Vec<std::borrow::Cow<'_, str>> {
        let mut out: Vec<std::borrow::Cow<'_, str>> =
            self.patterns.iter().map(|p| p.as_str().into()).collect();
        if let Some(p) = self.event.as_ref().and_then(EventMatch::pattern) {
            out.push(p.into());
        }
        out
    }

    /// Whether the entry has a role.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether a line one of this entry's patterns matched is a hit: not excluded by an
    /// `unless` regex, and the record's level (`None`: unknown) not below the entry's
    /// `level`. Compiles the `unless` regexes on every call: for tests and one-off checks;
    /// the scan uses [`Matcher::accepts`].
    pub fn accepts(&self, line: &[u8], level: Option<RecordLevel>) -> bool {
        let unless = compile_unless(&self.unless).unwrap_or(None);
        accepts_with(unless.as_ref(), self.level, line, level)
    }
}

/// One regex for all of an entry's `unless` patterns (`None` when there are none).
fn compile_unless(unless: &[String]) -> std::result::Result<Option<meta::Regex>, String> {
    if unless.is_empty() {
        return Ok(None);
    }
    meta::Builder::new()
        .configure(meta::Config::new().utf8_empty(false))
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build_many(unless)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn accepts_with(
    unless: Option<&meta::Regex>,
    min: Option<RecordLevel>,
    line: &[u8],
    level: Option<RecordLevel>,
) -> bool {
    if let (Some(min), Some(level)) = (min, level) {
        if level < min {
            return false;
        }
    }
    !unless.is_some_and(|re| re.is_match(line))
}

/// A line's level read from its first words, for catalog examples and the precision
/// corpus (the scan reads levels with src/level.rs). The first level word within the first
/// 96 bytes decides: `INFO`/`NOTICE`/`DEBUG`/`TRACE`/`LOG`/`[info]`/`[notice]` are info,
/// `WARN`/`WARNING`/`[warn]` warning, `ERROR`/`ERR`/`SEVERE`/`[error]` error,
/// `CRITICAL`/`CRIT`/`FATAL`/`PANIC`/`EMERG`/`ALERT`/`[crit]`/`[alert]`/`[emerg]`
/// critical; also `level=x` and `"level":"x"` fields.
pub fn guess_level(line: &[u8]) -> Option<RecordLevel> {
    let head = &line[..line.len().min(96)];
    let mut i = 0;
    while i < head.len() {
        if !head[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < head.len() && head[i].is_ascii_alphabetic() {
            i += 1;
        }
        let word = &head[start..i];
        let bracketed = start > 0 && head[start - 1] == b'[' && head.get(i) == Some(&b']');
        let field = start >= 6
            && (head[..start].ends_with(b"level=") || head[..start].ends_with(b"level\":\""));
        let upper = word.iter().all(|c| c.is_ascii_uppercase());
        if !(upper || bracketed || field) {
            continue;
        }
        let lvl = match word.to_ascii_uppercase().as_slice() {
            b"INFO" | b"NOTICE" | b"DEBUG" | b"TRACE" | b"LOG" => RecordLevel::Info,
            b"WARN" | b"WARNING" => RecordLevel::Warning,
            b"ERROR" | b"ERR" | b"SEVERE" => RecordLevel::Error,
            b"CRITICAL" | b"CRIT" | b"FATAL" | b"PANIC" | b"EMERG" | b"ALERT" => {
                RecordLevel::Critical
            }
            _ => continue,
        };
        return Some(lvl);
    }
    None
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    schema: String,
    family: String,
    signatures: Vec<serde_json::Value>,
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
    examples: Option<Examples>,
    #[serde(rename = "ref")]
    refs: Option<Vec<String>>,
    stacks: Option<Vec<String>>,
    roles: Option<Vec<Role>>,
    os: Option<Os>,
    level: Option<RecordLevel>,
    context: Option<MatchContext>,
    unless: Option<Vec<String>>,
    event: Option<EventMatch>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    schema: Option<String>,
    /// Family name (a catalog file's; ignored).
    #[serde(default)]
    #[allow(dead_code)]
    family: Option<String>,
    #[serde(default, alias = "signature")]
    signatures: Vec<RuleEntry>,
    /// Ids to disable.
    #[serde(default)]
    disable: Vec<String>,
    /// Access-log layouts and flag tables (`evidence::access` reads them; kept raw here,
    /// this stage sits below it).
    #[serde(default)]
    access: Option<serde_json::Value>,
}

/// The enabled signatures, in a stable order (built-ins first, then added rules).
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Entries.
    pub signatures: Vec<Signature>,
    /// The `access` sections of the rules files applied, in order, with their file's
    /// path: access-log layouts as data, read by `evidence::access` (which names the file
    /// in its errors).
    pub access_rules: Vec<(String, serde_json::Value)>,
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
    /// Per signature: its `unless` regexes as one automaton, and its minimum level.
    guards: Vec<(Option<meta::Regex>, Option<RecordLevel>)>,
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

    /// Whether a line that signature `sig` (its index in the catalog) matched is a hit:
    /// see [`Signature::accepts`].
    pub fn accepts(&self, sig: usize, line: &[u8], level: Option<RecordLevel>) -> bool {
        let (unless, min) = &self.guards[sig];
        accepts_with(unless.as_ref(), *min, line, level)
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
    /// The embedded catalog: every family file of [`BUILTIN_FILES`], in order.
    pub fn builtin() -> Result<Catalog> {
        let mut signatures = Vec::new();
        for (name, text) in BUILTIN_FILES {
            signatures.extend(Self::parse_family(&format!("catalog/{name}"), text)?);
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &signatures {
            if !seen.insert(s.id.as_str()) {
                return Err(Error::Rules {
                    path: "<builtin catalog>".into(),
                    entry: Some(s.id.clone()),
                    reason: "duplicate id".into(),
                });
            }
        }
        Ok(Catalog {
            signatures,
            access_rules: Vec::new(),
        })
    }

    /// Parses one family file (schema `faultscope-catalog/2`); an entry that does not
    /// deserialize (an unknown role, a missing field, a bad `unless` regex) is an error
    /// naming the file and the entry.
    pub fn parse_family(path: &str, text: &str) -> Result<Vec<Signature>> {
        let err = |entry: Option<String>, reason: String| Error::Rules {
            path: path.to_string(),
            entry,
            reason,
        };
        let file: CatalogFile = serde_json::from_str(text).map_err(|e| err(None, e.to_string()))?;
        if file.schema != SCHEMA {
            return Err(err(None, format!("unknown schema {}", file.schema)));
        }
        if file.family.is_empty() {
            return Err(err(None, "empty family name".into()));
        }
        let mut out = Vec::with_capacity(file.signatures.len());
        for v in file.signatures {
            let id = v.get("id").and_then(|x| x.as_str()).map(str::to_string);
            let sig: Signature =
                serde_json::from_value(v).map_err(|e| err(id.clone(), e.to_string()))?;
            if sig.level == Some(RecordLevel::Info) {
                return Err(err(id, "`level` must be warning, error or critical".into()));
            }
            if sig.event.as_ref().is_some_and(|e| e.pattern().is_none()) {
                return Err(err(
                    id,
                    "`event` needs a provider and at least one id".into(),
                ));
            }
            compile_unless(&sig.unless).map_err(|e| err(id, format!("`unless`: {e}")))?;
            out.push(sig);
        }
        Ok(out)
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
            if s != "faultscope-rules/1" && s != "faultscope-catalog/1" && s != SCHEMA {
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
        if let Some(access) = rules.access {
            self.access_rules.push((path.to_string(), access));
        }
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
                        examples: Examples::default(),
                        refs: Vec::new(),
                        stacks: Vec::new(),
                        roles: Vec::new(),
                        os: None,
                        level: None,
                        context: None,
                        unless: Vec::new(),
                        event: None,
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
            if let Some(v) = r.examples {
                sig.examples = v;
            }
            if let Some(v) = r.refs {
                sig.refs = v;
            }
            if let Some(v) = r.stacks {
                sig.stacks = v;
            }
            if let Some(v) = r.roles {
                sig.roles = v;
            }
            if r.os.is_some() {
                sig.os = r.os;
            }
            if r.level.is_some() {
                sig.level = r.level;
            }
            if r.context.is_some() {
                sig.context = r.context;
            }
            if let Some(v) = r.unless {
                compile_unless(&v).map_err(|e| err(&r.id, format!("`unless`: {e}")))?;
                sig.unless = v;
            }
            if let Some(ev) = r.event {
                if ev.pattern().is_none() {
                    return Err(err(
                        &r.id,
                        "`event` needs a provider and at least one id".into(),
                    ));
                }
                sig.event = Some(ev);
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
        let mut guards = Vec::with_capacity(self.signatures.len());
        for (i, sig) in self.signatures.iter().enumerate() {
            let unless = compile_unless(&sig.unless).map_err(|reason| Error::Rules {
                path: "<catalog>".into(),
                entry: Some(sig.id.clone()),
                reason: format!("`unless`: {reason}"),
            })?;
            guards.push((unless, sig.level));
            for p in &sig.all_patterns() {
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
            guards,
            prefilter: std::sync::OnceLock::new(),
        })
    }

    /// Patterns one per line, line-local, usable by `rg -f` / `grep -E -f`-style tools
    /// (rg reads Rust syntax; every pattern was checked to compile here).
    pub fn export_patterns(&self) -> String {
        let mut out = String::new();
        for sig in &self.signatures {
            for p in &sig.all_patterns() {
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

    /// Every built-in entry with an `event` matches the rendered form of its own events
    /// (any provider spelling Windows writes) and nothing of another provider or id; the
    /// match goes through the compiled matcher, so the event is the entry's hit.
    #[test]
    fn event_fields_match_the_rendered_form() {
        let cat = Catalog::builtin().unwrap();
        let m = cat.compile().unwrap();
        let sig_of = |line: &str| -> Vec<&str> {
            let mut v: Vec<&str> = m
                .regex
                .find_iter(line.as_bytes())
                .map(|x| {
                    cat.signatures[m.pattern_sig[x.pattern().as_usize()] as usize]
                        .id
                        .as_str()
                })
                .collect();
            v.dedup();
            v
        };
        let mut n = 0;
        for sig in &cat.signatures {
            let Some(ev) = &sig.event else { continue };
            n += 1;
            let bare = ev
                .provider
                .strip_prefix("Microsoft-Windows-")
                .unwrap_or(&ev.provider);
            for id in &ev.ids {
                for provider in [bare.to_string(), format!("Microsoft-Windows-{bare}")] {
                    let line =
                        format!("2024-05-14T09:12:01.123Z WARNING {provider}[{id}]: param1=x");
                    assert!(
                        sig_of(&line).contains(&sig.id.as_str()),
                        "{} on {line}",
                        sig.id
                    );
                }
                let other = format!(
                    "2024-05-14T09:12:01.123Z WARNING {bare}[{}]: x",
                    id + 100_000
                );
                assert!(!sig_of(&other).contains(&sig.id.as_str()), "{other}");
                let journal = format!("2024-05-14T09:12:01Z WARNING host01 {bare}[{id}]: x");
                assert!(!sig_of(&journal).contains(&sig.id.as_str()), "{journal}");
            }
        }
        assert!(n >= 16, "{n} entries with an event");
        assert!(m.regex.is_match(b"2024-05-14T09:12:01Z ERROR Disk[153]: x"));
    }

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
        assert!(cat.signatures.len() >= 150, "{}", cat.signatures.len());
        cat.compile().unwrap();
    }

    /// The embedded list names every family file in `catalog/` (the data test reads the
    /// directory; this keeps both in step).
    #[test]
    fn builtin_files_are_the_catalog_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n != "cross_matches.json")
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn every_example_behaves() {
        // Each entry's positive examples must be matched by that entry (through the combined
        // automaton, as the scan sees them); negative examples must not be, unless the
        // entry's `unless`/`level` rejects them (then they are precision rules at work).
        let cat = Catalog::builtin().unwrap();
        let m = cat.compile().unwrap();
        for sig in &cat.signatures {
            assert!(
                sig.examples.matching.len() >= 2 && sig.examples.no_match.len() >= 2,
                "{} needs >= 2 match and >= 2 no_match examples",
                sig.id
            );
            assert!(!sig.refs.is_empty(), "{} has no ref", sig.id);
            let own = |ex: &str| {
                sig.patterns.iter().any(|p| {
                    let h = compile_one(p, true).unwrap();
                    meta::Regex::builder()
                        .build_from_hir(&h)
                        .unwrap()
                        .is_match(ex.as_bytes())
                })
            };
            for ex in &sig.examples.matching {
                // Overlapping signatures may claim the leftmost match; check by the entry's
                // own patterns as well as the combined automaton.
                assert!(own(ex), "{}: example does not match: {ex}", sig.id);
                assert!(
                    sig.accepts(ex.as_bytes(), guess_level(ex.as_bytes())),
                    "{}: example rejected by its own unless/level: {ex}",
                    sig.id
                );
            }
            for ex in &sig.examples.no_match {
                let hit = own(ex) && sig.accepts(ex.as_bytes(), guess_level(ex.as_bytes()));
                assert!(!hit, "{}: near miss matches: {ex}", sig.id);
            }
        }
        assert!(matches(&m, &cat, "no error here").is_empty());
    }

    #[test]
    fn unknown_role_is_an_error_naming_the_entry() {
        let text = r#"{"schema": "faultscope-catalog/2", "family": "x", "signatures": [
            {"id": "bad-role", "title": "t", "category": "c", "severity": "error", "layer": 3,
             "patterns": ["abc"], "roles": ["explodes"], "ref": ["x/y#1"]}]}"#;
        let e = Catalog::parse_family("catalog/x.json", text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad-role") && e.contains("explodes") && e.contains("catalog/x.json"),
            "{e}"
        );
        let text = text
            .replace("explodes", "crash")
            .replace(r#""ref""#, r#""unless": ["(unclosed"], "ref""#);
        let e = Catalog::parse_family("catalog/x.json", &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad-role") && e.contains("unless"), "{e}");
        let text = text.replace(r#""unless": ["(unclosed"], "#, r#""level": "info", "#);
        let e = Catalog::parse_family("catalog/x.json", &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("level"), "{e}");
        let ok = text.replace(
            r#""level": "info", "#,
            r#""level": "error", "os": "windows", "event": {"provider": "Tcpip", "ids": [4227]}, "#,
        );
        let sigs = Catalog::parse_family("catalog/x.json", &ok).unwrap();
        assert_eq!(sigs[0].roles, [Role::Crash]);
        assert_eq!(sigs[0].os, Some(Os::Windows));
        assert_eq!(sigs[0].event.as_ref().unwrap().ids, [4227]);
        let e = Catalog::parse_family("x", &ok.replace("/2", "/9")).unwrap_err();
        assert!(e.to_string().contains("schema"), "{e}");
    }

    #[test]
    fn accepts_applies_unless_and_level() {
        let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
        sig.unless = vec![r"bind\(\) to".into()];
        sig.level = Some(RecordLevel::Error);
        assert!(sig.accepts(b"connect() failed", None));
        assert!(sig.accepts(b"connect() failed", Some(RecordLevel::Critical)));
        assert!(sig.accepts(b"connect() failed", Some(RecordLevel::Error)));
        assert!(!sig.accepts(b"connect() failed", Some(RecordLevel::Warning)));
        assert!(!sig.accepts(b"connect() failed", Some(RecordLevel::Info)));
        assert!(!sig.accepts(b"bind() to 10.0.0.1:443 failed", None));
        sig.level = None;
        assert!(sig.accepts(b"x", Some(RecordLevel::Info)));
        // The compiled guard gives the same answers.
        let cat = Catalog {
            signatures: vec![sig],
            access_rules: Vec::new(),
        };
        let m = cat.compile().unwrap();
        assert!(m.accepts(0, b"connect() failed", Some(RecordLevel::Info)));
        assert!(!m.accepts(0, b"[emerg] bind() to 10.0.0.1:443 failed", None));
    }

    #[test]
    fn guessed_levels() {
        use RecordLevel::*;
        for (line, want) in [
            (
                "2024-03-02 09:14:11.123  INFO 1 --- [main] x : 0 ERRORs",
                Some(Info),
            ),
            (
                "2024/03/02 09:14:11 [emerg] 1021#1021: bind() to",
                Some(Critical),
            ),
            (
                "2024/03/02 09:14:11 [error] 1021#1021: *1 connect()",
                Some(Error),
            ),
            (
                "Mar  2 09:14:11 ftp01 pure-ftpd: (?@1.2.3.4) [INFO] Too many",
                Some(Info),
            ),
            (
                "[02-Mar-2024 09:14:11] WARNING: [pool www] server reached",
                Some(Warning),
            ),
            (
                "2024-03-02 09:14:11 UTC [4412] FATAL:  sorry, too many",
                Some(Critical),
            ),
            (
                "2024-03-02 09:14:11 UTC [4412] LOG:  checkpoint starting",
                Some(Info),
            ),
            (r#"{"level":"error","msg":"x"}"#, Some(Error)),
            ("ts=2024 level=warn msg=x", Some(Warning)),
            ("java.net.ConnectException: Connection refused", None),
            (
                "Error,8/21/2019 8:47:10 AM,Service Control Manager,7031",
                None,
            ),
        ] {
            assert_eq!(guess_level(line.as_bytes()), want, "{line}");
        }
    }

    /// Issue 21's innocent lines: each fooled one entry; with the entry's patterns, `unless`
    /// and `level` applied (and through the combined automaton) it no longer fires.
    #[test]
    fn issue_21_innocent_lines_do_not_fire() {
        let cat = Catalog::builtin().unwrap();
        let m = cat.compile().unwrap();
        for (id, line) in ISSUE_21_INNOCENT {
            let i = cat.index_of(id).unwrap_or_else(|| panic!("no entry {id}"));
            let sig = &cat.signatures[i];
            let level = guess_level(line.as_bytes());
            let own = sig.patterns.iter().any(|p| {
                let h = compile_one(p, true).unwrap();
                meta::Regex::builder()
                    .build_from_hir(&h)
                    .unwrap()
                    .is_match(line.as_bytes())
            });
            assert!(
                !(own && sig.accepts(line.as_bytes(), level)),
                "{id} still fires on {line}"
            );
            for x in m.regex.find_iter(line.as_bytes()) {
                let s = m.pattern_sig[x.pattern().as_usize()] as usize;
                assert!(
                    s != i || !m.accepts(s, line.as_bytes(), level),
                    "{id} still fires (combined automaton) on {line}"
                );
            }
            assert!(
                sig.examples.no_match.iter().any(|n| n == line),
                "{id}: the innocent line is not among its no_match examples: {line}"
            );
        }
    }

    /// Issue 21's table, lines as logged.
    const ISSUE_21_INNOCENT: &[(&str, &str)] = &[
        ("nginx-upstream-closed", r#"2020/06/01 08:53:59 [crit] 4312#2212: *6552 CreateFile() "C:\nginx/temp/proxy_temp/1/00/0000000001" failed (32: The process cannot access the file because it is being used by another process) while reading upstream, client: 127.0.0.1, server: localhost, request: "GET /files/a.zip HTTP/1.1", upstream: "http://127.0.0.1:8765/files/a.zip", host: "localhost""#),
        ("tcp-port-exhaustion-eaddrnotavail", "2024/03/02 09:14:11 [emerg] 1021#1021: bind() to 10.0.0.100:443 failed (99: Cannot assign requested address)"),
        ("tcp-port-exhaustion-eaddrinuse-connect", "crit: Microsoft.AspNetCore.Server.Kestrel[0] Unable to start Kestrel. System.IO.IOException: Failed to bind to address http://127.0.0.1:5000. ---> Microsoft.AspNetCore.Connections.AddressInUseException: Only one usage of each socket address (protocol/network address/port) is normally permitted."),
        ("tls-handshake-failed", "2024/03/02 09:14:11 [crit] 1021#1021: *88231 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 45.155.205.233, server: 0.0.0.0:443"),
        ("dns-resolution-failed", "Mar  2 09:14:11 mail01 postfix/smtpd[2211]: warning: hostname 45-12-34-56.example.net does not resolve to address 45.12.34.56: Name or service not known"),
        ("no-route-to-host", "Mar  2 09:14:11 web01 ntpd[812]: sendto(2001:67c:1560:8003::c8) (fd=24): Network is unreachable"),
        ("db-server-connection-limit", "Mar  2 09:14:11 ftp01 pure-ftpd: (?@203.0.113.7) [INFO] Too many connections (3) from this IP"),
        ("k8s-container-restart", "default     2m          Warning   Unhealthy   pod/web-7d9f8b6c5-x2k4q   Readiness probe failed: HTTP probe failed with statuscode: 503"),
        ("sqlserver-errorlog-events", "2006-02-27 00:02:00.34 Logon       Error: 18456, Severity: 14, State: 8."),
    ];

    /// The precision corpus (fixtures/precision/*.log, innocent lines of many products):
    /// every critical/error hit the scan would report (leftmost-first matches, as the scan
    /// finds them, then `unless`/`level`) must be one of `expected_hits.tsv`, and every
    /// listed one must still happen.
    #[test]
    fn precision_corpus_has_only_the_listed_hits() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/precision");
        let cat = Catalog::builtin().unwrap();
        let m = cat.compile().unwrap();
        let expected: std::collections::BTreeSet<(String, usize, String)> =
            std::fs::read_to_string(root.join("expected_hits.tsv"))
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string())
                })
                .collect();
        let mut names: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".log"))
            .collect();
        names.sort();
        assert!(names.len() >= 20, "{} files", names.len());
        let (mut lines, mut got, mut soft) = (0usize, std::collections::BTreeSet::new(), 0usize);
        for n in &names {
            let text = std::fs::read(root.join(n)).unwrap();
            for (no, line) in text.split(|&b| b == b'\n').enumerate() {
                if line.is_empty() {
                    continue;
                }
                lines += 1;
                let level = guess_level(line);
                for x in m.regex.find_iter(line) {
                    let s = m.pattern_sig[x.pattern().as_usize()] as usize;
                    if !m.accepts(s, line, level) {
                        continue;
                    }
                    let sig = &cat.signatures[s];
                    if sig.severity.opens_incident() && !sig.noise {
                        got.insert((n.clone(), no + 1, sig.id.clone()));
                    } else {
                        soft += 1;
                    }
                }
            }
        }
        assert!(lines >= 1000, "{lines} lines");
        let extra: Vec<_> = got.difference(&expected).collect();
        let missing: Vec<_> = expected.difference(&got).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "precision corpus ({lines} lines, {soft} warning/marker hits): unexpected hits {extra:#?}; listed but gone {missing:#?}"
        );
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
        assert!(with(Role::UserImpact).contains(&"http-5xx-access-log"));
        let cat = rules(
            "[[signatures]]\nid = \"ledger-restart\"\nseverity = 'marker'\npatterns = ['Ledger restarted']\nroles = ['restart-marker']\n",
            "toml",
        )
        .unwrap();
        let i = cat.index_of("ledger-restart").unwrap();
        assert!(cat.signatures[i].has_role(Role::RestartMarker));
    }
}

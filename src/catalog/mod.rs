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
//! - Patterns are parsed ASCII-first (`unicode(false)`: `\w`, `\d`, `\s`, `\b` and negated
//!   classes over bytes; non-ASCII literals still match as UTF-8): Unicode classes and word
//!   boundaries made the lazy DFA quit or give up at non-ASCII bytes and the meta regex fall
//!   back to the PikeVM, 10x slower ([`compile_one`], [`ascii_word`]).

mod precision;
pub mod prefilter;

pub use precision::Reject;
use precision::{compile_unless, Guard};

use crate::error::{Error, Result};
use regex_automata::meta;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look,
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
            "(?:CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG|EVENT) (?:Microsoft-Windows-)?{first}{}\\[(?:{})\\]:",
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
    /// The level the product itself logs this failure at, when it is below the level the
    /// severity implies (php-fpm's `WARNING: server reached pm.max_children`, the kernel's
    /// `INFO: task ... blocked`): a record at this level keeps the catalog severity (see
    /// [`Signature::severity_at`]). `None`: `error` for critical/error entries, `warning`
    /// for warning entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_at: Option<RecordLevel>,
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
    logged_at: Option<RecordLevel>,
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
    /// For each pattern id, whether it is an entry's `event` (provider + event id over the
    /// rendered event-log form, [`EventMatch::pattern`]) rather than one of its `patterns`.
    pattern_event: Vec<bool>,
    /// The patterns' HIR (the prefilter is built from them).
    hirs: Vec<Hir>,
    /// Per signature: its precision rules, compiled.
    guards: Vec<Guard>,
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

    /// [`Matcher::prepare`] for an input of `bytes` in all: a bigger input affords a longer
    /// search for the prefilter's fastest plan (start-up time paid back per byte).
    pub fn prepare_for(&self, sample: &[u8], bytes: u64) {
        self.prefilter.get_or_init(|| {
            crate::catalog::prefilter::Prefilter::new(
                &self.hirs,
                &crate::catalog::prefilter::Model::from_sample(sample).for_input(bytes),
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
                        logged_at: None,
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
            if r.logged_at.is_some() {
                sig.logged_at = r.logged_at;
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

    /// The entries of any of `stacks` and any of `categories` (an empty list: no filter),
    /// in catalog order, for `faultscope signatures --stack/--category`. Names compare
    /// case-insensitively. A name no entry has is an error naming the ones that exist (a
    /// typo must not print an empty list that reads as "nothing for this stack").
    pub fn select(
        &self,
        stacks: &[String],
        categories: &[String],
    ) -> std::result::Result<Vec<&Signature>, String> {
        let norm = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let (stacks, categories) = (norm(stacks), norm(categories));
        let known_stacks: std::collections::BTreeSet<String> = self
            .signatures
            .iter()
            .flat_map(|s| s.stacks.iter().map(|x| x.to_ascii_lowercase()))
            .collect();
        let known_categories: std::collections::BTreeSet<String> = self
            .signatures
            .iter()
            .map(|s| s.category.to_ascii_lowercase())
            .collect();
        for (what, asked, known) in [
            ("stack", &stacks, &known_stacks),
            ("category", &categories, &known_categories),
        ] {
            if let Some(bad) = asked.iter().find(|a| !known.contains(*a)) {
                return Err(format!(
                    "no signature has {what} `{bad}`; known: {}",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        Ok(self
            .signatures
            .iter()
            .filter(|s| {
                stacks.is_empty()
                    || s.stacks
                        .iter()
                        .any(|x| stacks.contains(&x.to_ascii_lowercase()))
            })
            .filter(|s| {
                categories.is_empty() || categories.contains(&s.category.to_ascii_lowercase())
            })
            .collect())
    }

    /// Index of a signature by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.signatures.iter().position(|s| s.id == id)
    }

    /// Compiles every pattern of every entry into one automaton.
    pub fn compile(&self) -> Result<Matcher> {
        let mut hirs = Vec::new();
        let mut pattern_sig = Vec::new();
        let mut pattern_event = Vec::new();
        let mut guards = Vec::with_capacity(self.signatures.len());
        for (i, sig) in self.signatures.iter().enumerate() {
            let unless = compile_unless(&sig.unless).map_err(|reason| Error::Rules {
                path: "<catalog>".into(),
                entry: Some(sig.id.clone()),
                reason: format!("`unless`: {reason}"),
            })?;
            guards.push(Guard {
                unless,
                level: sig.level,
                context: sig.context,
                expected: sig.expected_level(),
                severity: sig.severity,
            });
            for (k, p) in sig.all_patterns().iter().enumerate() {
                let hir = compile_one(p, false).map_err(|reason| Error::Rules {
                    path: "<catalog>".into(),
                    entry: Some(sig.id.clone()),
                    reason: format!("pattern `{p}`: {reason}"),
                })?;
                hirs.push(hir);
                pattern_sig.push(i as u16);
                // `all_patterns` puts the event's pattern after the entry's own.
                pattern_event.push(k >= sig.patterns.len());
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
            pattern_event,
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
pub(crate) fn compile_one(pattern: &str, check_size: bool) -> std::result::Result<Hir, String> {
    // ASCII classes first (`\w`, `\d`, `\s`, `.`, `[^x]` over bytes, ASCII `\b`): a
    // Unicode class under a bounded repetition (`[^\n]{0,16}`, `\w+`) grows a UTF-8
    // automaton per repeat, so a non-ASCII byte near a candidate sent the lazy DFA into
    // state after state until it gave up, and the meta regex finished the line in the
    // PikeVM (a 400 KB log with one non-ASCII word per line: 22.9 s against 2.1 s for the
    // same bytes in ASCII). Non-ASCII literals still match (they are UTF-8 byte strings);
    // a pattern that needs Unicode (`\pL`, `[é]`, `(?u)`) is parsed with it, its word
    // boundaries made ASCII ([`ascii_word`]).
    let ascii = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
        .parse(pattern);
    let hir = match ascii {
        Ok(h) => Ok(h),
        Err(_) => regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(true)
            .build()
            .parse(pattern),
    }
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
        HirKind::Look(l) => Hir::look(ascii_word(l)),
    }
}

/// The ASCII form of a word-boundary assertion. A Unicode `\b` makes the lazy DFA give up
/// at the first non-ASCII byte it meets (it cannot tell a Unicode word character from a
/// byte), and the meta regex then falls back to the PikeVM for the rest of the search: one
/// such pattern in the automaton and one non-ASCII byte per line (a Chinese Tomcat's `信息`,
/// accented messages, box-drawn tables, an evtx record's binary data) made a 4 MB log take
/// 220 s instead of 12 s. An ASCII `\b` reads every non-ASCII byte as a non-word byte:
/// `1040\b` still ends at the digits; next to a letter like `é` it sees a boundary that
/// Unicode would not (catalog keywords are ASCII). Classes (`\w`, `\d`, `\s`) stay
/// Unicode: the DFA handles them.
fn ascii_word(l: Look) -> Look {
    match l {
        Look::WordUnicode => Look::WordAscii,
        Look::WordUnicodeNegate => Look::WordAsciiNegate,
        Look::WordStartUnicode => Look::WordStartAscii,
        Look::WordEndUnicode => Look::WordEndAscii,
        Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
        Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
        l => l,
    }
}

#[cfg(test)]
mod tests;

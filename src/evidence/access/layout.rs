//! Access-log layouts as data: the embedded family files `catalog/access/*.json` (schema
//! `faultscope-access/1`) and the `access` section of `--rules` files, compiled into
//! [`Layouts`].
//!
//! A family file holds `layouts` (each: `id`, `title`, `ref` (where the format string comes
//! from), `format` (the product's own format string, for reference), `split` and its field
//! list, `examples` with the fields each must read back) and `flag_tables` (flag → one line
//! saying what it means, and whether it marks a server failure or a client that went away).
//! A rules file's `access` section has the same two keys plus `disable` (layout ids): a
//! layout with a built-in's id replaces it, a new one goes first (ties in the detection
//! vote go to it).
//!
//! Three splits, one splitter (`split.rs`):
//! - `tokens`: `fields` is one spec per token (`client`, `[time]`, `"request"`, `-/upstream`,
//!   `?{-}` ...), `keys` names trailing `key=value` tokens (`{"rt": "duration_s"}`);
//! - `w3c`: `names` maps W3C field names (`sc-status`, `time-taken`) to roles; positions
//!   come from the file's `#Fields:` header ([`W3cFields`]), which may change mid-file;
//! - `json`: `keys` maps each role to key paths in priority order (`"status":
//!   ["http.response.status_code", "status"]`); `require` lists paths that must be present.

use super::json;
use super::split::{self, tokenize, Fill, Request, Role, Spec, MAX_TOKENS};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Schema of the layout family files.
pub const SCHEMA: &str = "faultscope-access/1";

/// The embedded layout families, in load order.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "nginx.json",
        include_str!("../../../catalog/access/nginx.json"),
    ),
    (
        "apache.json",
        include_str!("../../../catalog/access/apache.json"),
    ),
    (
        "haproxy.json",
        include_str!("../../../catalog/access/haproxy.json"),
    ),
    (
        "envoy.json",
        include_str!("../../../catalog/access/envoy.json"),
    ),
    ("iis.json", include_str!("../../../catalog/access/iis.json")),
    ("aws.json", include_str!("../../../catalog/access/aws.json")),
    (
        "traefik.json",
        include_str!("../../../catalog/access/traefik.json"),
    ),
    (
        "caddy.json",
        include_str!("../../../catalog/access/caddy.json"),
    ),
    (
        "json.json",
        include_str!("../../../catalog/access/json.json"),
    ),
];

/// Most JSON key paths one layout may list.
const MAX_JSON_KEYS: usize = 64;

/// One flag of a flag table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagEntry {
    /// The flag as written (`sH`, `UF`, `64`).
    pub flag: String,
    /// What it means, one line.
    pub means: String,
    /// The flag says nothing happened (`----`, `-`).
    #[serde(default)]
    pub normal: bool,
    /// The client went away: not a server failure.
    #[serde(default)]
    pub client_closed: bool,
    /// The server side failed (counts as a failed request where no status says so).
    #[serde(default)]
    pub server_failure: bool,
}

/// What an example line must read back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Upstream status.
    #[serde(default)]
    pub upstream_status: Option<u16>,
    /// Method.
    #[serde(default)]
    pub method: Option<String>,
    /// Path (query dropped).
    #[serde(default)]
    pub path: Option<String>,
    /// Client.
    #[serde(default)]
    pub client: Option<String>,
    /// Upstream.
    #[serde(default)]
    pub upstream: Option<String>,
    /// Flags, as normalised (`sH`, `UF,URX`, `target_status_code -`), comma-joined.
    #[serde(default)]
    pub flags: Option<String>,
    /// Duration in whole milliseconds (rounded down).
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// An example line of a layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The `#Fields:` header in force (W3C layouts).
    #[serde(default)]
    pub header: Option<String>,
    /// The line.
    pub line: String,
    /// What it reads back.
    pub expect: Expect,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A layout as written in the data.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutData {
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default, rename = "ref")]
    refs: Vec<String>,
    #[serde(default)]
    format: String,
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    keys: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    names: BTreeMap<String, String>,
    #[serde(default)]
    require: Vec<String>,
    #[serde(default)]
    flag_table: Option<String>,
    #[serde(default)]
    flag_chars: Option<usize>,
    #[serde(default)]
    flag_separator: Option<String>,
    #[serde(default)]
    missing_upstream_status_flag: Option<String>,
    #[serde(default)]
    client_closed_status: Option<Vec<u16>>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    schema: String,
    #[allow(dead_code)]
    family: String,
    #[serde(default)]
    flag_tables: BTreeMap<String, Vec<FlagEntry>>,
    #[serde(default)]
    layouts: Vec<LayoutData>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSection {
    #[serde(default)]
    flag_tables: BTreeMap<String, Vec<FlagEntry>>,
    #[serde(default)]
    layouts: Vec<LayoutData>,
    #[serde(default)]
    disable: Vec<String>,
}

/// How a layout's lines are split.
#[derive(Clone, Debug)]
pub(super) enum Split {
    /// Token positions from the start (`head`) and from the end (`tail`), trailing
    /// `key=value` tokens.
    Tokens {
        head: Vec<Spec>,
        tail: Vec<Spec>,
        keys: Vec<(Vec<u8>, Role)>,
    },
    /// Positions from the `#Fields:` header; field name → role.
    W3c { names: Vec<(String, Role)> },
    /// Key paths per role, in priority order; paths that must be present.
    Json {
        keys: Vec<(Role, Vec<u8>)>,
        require: Vec<Vec<u8>>,
    },
}

/// The field positions a W3C `#Fields:` header sets (roles by position).
#[derive(Clone, Debug, PartialEq)]
pub struct W3cFields {
    roles: Vec<Role>,
}

/// A compiled layout.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Stable id (`nginx-combined`).
    pub id: String,
    /// Human title.
    pub title: String,
    /// Where the format string comes from.
    pub refs: Vec<String>,
    /// The product's format string.
    pub format: String,
    /// Example lines and what they read back.
    pub examples: Vec<Example>,
    pub(super) split: Split,
    pub(super) flags: Option<Arc<Vec<FlagEntry>>>,
    flag_chars: usize,
    flag_sep: Option<u8>,
    missing_upstream_flag: Option<String>,
    client_closed_status: Vec<u16>,
    /// The layout has flags of any kind (a flags field or a synthetic flag): else
    /// [`Layout::for_each_flag`] has nothing to do.
    has_flags: bool,
}

/// What a request means for traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Status class index (0 = 1xx ... 4 = 5xx), if the status is 100–599.
    pub class: Option<usize>,
    /// A server-side failure: 5xx, or no status and a server-failure flag.
    pub failed: bool,
    /// The client went away (499, ALB 460, a client-abort flag) and no 5xx was sent.
    pub client_closed: bool,
}

impl Layout {
    /// Whether positions come from a `#Fields:` header.
    pub fn is_w3c(&self) -> bool {
        matches!(self.split, Split::W3c { .. })
    }

    /// Whether lines are JSON objects.
    pub fn is_json(&self) -> bool {
        matches!(self.split, Split::Json { .. })
    }

    /// The field positions of a W3C `#Fields:` line (`None`: not W3C, not a header, or no
    /// status field among them: Windows Firewall and SMTP logs are W3C but not HTTP).
    pub fn w3c_fields(&self, line: &[u8]) -> Option<W3cFields> {
        let Split::W3c { names } = &self.split else {
            return None;
        };
        let rest = line.strip_prefix(b"#Fields:")?;
        let text = String::from_utf8_lossy(rest);
        let roles: Vec<Role> = text
            .split_ascii_whitespace()
            .map(|f| {
                names
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(f))
                    .map_or(Role::Ignore, |(_, r)| *r)
            })
            .collect();
        roles.contains(&Role::Status).then_some(W3cFields { roles })
    }

    /// Reads one line (without its prefix; a trailing `\r` is ignored). W3C layouts need the
    /// header in force.
    pub fn parse<'a>(&self, line: &'a [u8], w3c: Option<&W3cFields>) -> Option<Request<'a>> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match &self.split {
            Split::Tokens { head, tail, keys } => parse_tokens(head, tail, keys, line),
            Split::W3c { .. } => parse_w3c(w3c?, line),
            Split::Json { keys, require } => parse_json(keys, require, line),
        }
    }

    /// Reads one line already split into tokens ([`Tokens::of`]): what [`Layout::parse`]
    /// gives, but a line tried against every layout (detection) is split once, not once
    /// per layout (on a tree of 100,000 small files, splitting the sampled lines again for
    /// each of ~15 layouts was a fifth of the scan).
    pub fn parse_split<'a>(&self, t: &Tokens<'a>) -> Option<Request<'a>> {
        match &self.split {
            Split::Tokens { head, tail, keys } => {
                read_tokens(head, tail, keys, t.line, &t.toks, t.n)
            }
            _ => self.parse(t.line, None),
        }
    }

    /// Calls `f(flag, entry)` for each flag of the request that is not "normal": HAProxy's
    /// first two termination characters, each of Envoy's comma-separated flags, IIS's
    /// `sc-win32-status`, and the layout's synthetic flag for a missing upstream status on
    /// a 5xx (ALB `target_status_code -`).
    pub fn for_each_flag(&self, req: &Request, mut f: impl FnMut(&[u8], Option<&FlagEntry>)) {
        if !self.has_flags {
            return;
        }
        let lookup = |flag: &[u8]| -> Option<&FlagEntry> {
            self.flags
                .as_ref()?
                .iter()
                .find(|e| e.flag.as_bytes() == flag)
        };
        let mut one = |flag: &[u8]| {
            if flag.is_empty() || flag == b"-" {
                return;
            }
            let e = lookup(flag);
            if !e.is_some_and(|e| e.normal) {
                f(flag, e);
            }
        };
        let raw = req.flags;
        if !raw.is_empty() {
            if self.flag_chars > 0 {
                one(&raw[..raw.len().min(self.flag_chars)]);
            } else if let Some(sep) = self.flag_sep {
                for part in raw.split(|c| *c == sep) {
                    one(part);
                }
            } else {
                one(raw);
            }
        }
        if let Some(m) = &self.missing_upstream_flag {
            if req.upstream_status_missing && req.status.is_some_and(|s| s >= 500) {
                one(m.as_bytes());
            }
        }
    }

    /// The request's class, and whether it failed or its client went away.
    pub fn outcome(&self, req: &Request) -> Outcome {
        let (mut server, mut client) = (false, false);
        self.for_each_flag(req, |_, e| {
            if let Some(e) = e {
                server |= e.server_failure;
                client |= e.client_closed;
            }
        });
        let failed = match req.status {
            Some(s) => s >= 500,
            None => server,
        };
        let closed_status = req
            .status
            .is_some_and(|s| self.client_closed_status.contains(&s));
        Outcome {
            class: req.status.map(|s| usize::from(s / 100 - 1)),
            failed,
            client_closed: !failed && (closed_status || client),
        }
    }

    /// What a flag means, from the layout's flag table.
    pub fn explain(&self, flag: &str) -> Option<&str> {
        self.flags
            .as_ref()?
            .iter()
            .find(|e| e.flag == flag)
            .map(|e| e.means.as_str())
    }
}

fn parse_tokens<'a>(
    head: &[Spec],
    tail: &[Spec],
    keys: &[(Vec<u8>, Role)],
    line: &'a [u8],
) -> Option<Request<'a>> {
    let mut toks = [(0u32, 0u32); MAX_TOKENS];
    let all = !tail.is_empty() || !keys.is_empty();
    let limit = if all { MAX_TOKENS } else { head.len() };
    let n = tokenize(line, true, &mut toks, limit);
    read_tokens(head, tail, keys, line, &toks, n)
}

/// A line's tokens (quote and bracket aware), all of them up to [`MAX_TOKENS`]: the split
/// every token layout reads, made once for [`Layout::parse_split`].
pub struct Tokens<'a> {
    line: &'a [u8],
    toks: [(u32, u32); MAX_TOKENS],
    n: usize,
}

impl<'a> Tokens<'a> {
    /// Splits `line` (a trailing `\r` is ignored).
    pub fn of(line: &'a [u8]) -> Tokens<'a> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut toks = [(0u32, 0u32); MAX_TOKENS];
        let n = tokenize(line, true, &mut toks, MAX_TOKENS);
        Tokens { line, toks, n }
    }
}

/// [`parse_tokens`] on a line's first `n` tokens. The tokenizer emits tokens one after
/// another, so the first `k` of a full split are a split limited to `k`: a layout that
/// reads only leading tokens gets the same fields from either.
fn read_tokens<'a>(
    head: &[Spec],
    tail: &[Spec],
    keys: &[(Vec<u8>, Role)],
    line: &'a [u8],
    toks: &[(u32, u32)],
    n: usize,
) -> Option<Request<'a>> {
    let all = !tail.is_empty() || !keys.is_empty();
    if (all && n == MAX_TOKENS) || n < head.len() + tail.len() {
        return None;
    }
    let tok = |k: usize| &line[toks[k].0 as usize..toks[k].1 as usize];
    let mut fill = Fill::default();
    for (k, spec) in head.iter().enumerate() {
        if !fill.apply_spec(spec, tok(k)) {
            return None;
        }
    }
    let tail_at = n - tail.len();
    for (j, spec) in tail.iter().enumerate() {
        if !fill.apply_spec(spec, tok(tail_at + j)) {
            return None;
        }
    }
    let mut explained = head.len() + tail.len();
    if !keys.is_empty() {
        for k in head.len()..tail_at {
            let t = tok(k);
            let Some(eq) = memchr::memchr(b'=', t) else {
                continue;
            };
            let (name, mut v) = (&t[..eq], &t[eq + 1..]);
            if let [b'"', inner @ .., b'"'] = v {
                v = inner;
            }
            if let Some((_, role)) = keys.iter().find(|(k, _)| k.as_slice() == name) {
                // A bad extra value is not a reason to drop the request (`apply` changes
                // nothing when it refuses a value).
                if fill.apply(*role, v, false) {
                    explained += 1;
                }
            }
        }
    }
    let mut req = fill.finish();
    req.tokens = explained as u16;
    Some(req)
}

fn parse_w3c<'a>(fields: &W3cFields, line: &'a [u8]) -> Option<Request<'a>> {
    if line.first() == Some(&b'#') {
        return None;
    }
    let mut toks = [(0u32, 0u32); MAX_TOKENS];
    let n = tokenize(line, false, &mut toks, fields.roles.len());
    if n < fields.roles.len() {
        return None;
    }
    let mut fill = Fill::default();
    for (k, role) in fields.roles.iter().enumerate() {
        let v = &line[toks[k].0 as usize..toks[k].1 as usize];
        if !fill.apply(*role, v, false) {
            return None;
        }
    }
    let mut req = fill.finish();
    req.tokens = n as u16;
    req.status.is_some().then_some(req)
}

fn parse_json<'a>(
    keys: &[(Role, Vec<u8>)],
    require: &[Vec<u8>],
    line: &'a [u8],
) -> Option<Request<'a>> {
    let mut found: [Option<json::Value<'a>>; MAX_JSON_KEYS] = [None; MAX_JSON_KEYS];
    let mut required = 0usize;
    // The lengths of the wanted names (most values' key paths have none of them).
    let mut lengths = 0u128;
    for name in keys.iter().map(|k| &k.1).chain(require) {
        lengths |= 1u128 << name.len().min(127);
    }
    json::walk(line, |path, v| {
        let len = path.dotted_len();
        if lengths & (1u128 << len.min(127)) == 0 {
            return;
        }
        for (k, (_, name)) in keys.iter().enumerate() {
            if found[k].is_none() && name.len() == len && path.is(name) {
                found[k] = Some(v);
            }
        }
        required += require
            .iter()
            .filter(|r| r.len() == len && path.is(r))
            .count();
    });
    if required < require.len() {
        return None;
    }
    let mut fill = Fill::default();
    // Roles already filled (by a key of higher priority), as bits of `role_rank`.
    let mut done = 0u32;
    let mut matched = 0u16;
    for (k, (role, _)) in keys.iter().enumerate() {
        let Some(v) = found[k] else { continue };
        let bit = 1u32 << role_rank(*role);
        if done & bit != 0 {
            continue;
        }
        let (text, escaped) = split::json_value(v);
        if fill.apply(*role, text, escaped) {
            done |= bit;
            matched += 1;
        }
    }
    let mut req = fill.finish();
    req.tokens = matched;
    (req.status.is_some() && (!req.method.is_empty() || !req.target.is_empty())).then_some(req)
}

/// Every layout in use, in vote-tie order.
#[derive(Clone, Debug)]
pub struct Layouts {
    /// The layouts.
    pub layouts: Vec<Layout>,
    /// The last segment of every JSON layout's status keys, with its closing quote
    /// (`statusCode"`): a line holding none of them is no JSON access line.
    json_status: Vec<memchr::memmem::Finder<'static>>,
}

impl Layouts {
    /// The embedded layouts.
    pub fn builtin() -> Result<Layouts> {
        let (data, tables) = builtin_data()?;
        compile_all(data, &tables, "<builtin access layouts>")
    }

    /// The embedded layouts with the `access` sections of rules files applied (each
    /// `(path, section)`); errors name the file and the layout.
    pub fn with_rules(rules: &[(String, serde_json::Value)]) -> Result<Layouts> {
        let (mut data, mut tables) = builtin_data()?;
        for (path, section) in rules {
            let err = |entry: Option<String>, reason: String| Error::Rules {
                path: path.clone(),
                entry,
                reason: format!("access: {reason}"),
            };
            let sec: RulesSection =
                serde_json::from_value(section.clone()).map_err(|e| err(None, e.to_string()))?;
            tables.extend(sec.flag_tables);
            let mut added = Vec::new();
            for l in sec.layouts {
                if l.disabled {
                    data.retain(|d: &LayoutData| d.id != l.id);
                    continue;
                }
                compile(l.clone(), &tables).map_err(|r| err(Some(l.id.clone()), r))?;
                match data.iter().position(|d| d.id == l.id) {
                    Some(i) => data[i] = l,
                    None => added.push(l),
                }
            }
            for id in sec.disable {
                let before = data.len();
                data.retain(|d| d.id != id);
                if data.len() == before {
                    return Err(err(Some(id), "cannot disable: no such layout".into()));
                }
            }
            added.extend(data);
            data = added;
        }
        compile_all(data, &tables, "<access layouts>")
    }

    fn new(layouts: Vec<Layout>) -> Layouts {
        let mut needles: Vec<Vec<u8>> = Vec::new();
        for l in &layouts {
            if let Split::Json { keys, .. } = &l.split {
                for (r, k) in keys {
                    if *r == Role::Status {
                        let seg = k.rsplit(|c| *c == b'.').next().unwrap_or(k);
                        let mut n = seg.to_vec();
                        n.push(b'"');
                        if !needles.contains(&n) {
                            needles.push(n);
                        }
                    }
                }
            }
        }
        Layouts {
            layouts,
            json_status: needles
                .iter()
                .map(|n| memchr::memmem::Finder::new(n).into_owned())
                .collect(),
        }
    }

    /// Whether a JSON line may be an access line: it holds one of the JSON layouts' status
    /// keys (a cheap test before the layouts read it).
    pub fn may_hold_json_status(&self, line: &[u8]) -> bool {
        self.json_status.iter().any(|f| f.find(line).is_some())
    }

    /// The layout with this id.
    pub fn get(&self, id: &str) -> Option<&Layout> {
        self.layouts.iter().find(|l| l.id == id)
    }

    /// What `flag` means in the layout `layout`.
    pub fn explain(&self, layout: &str, flag: &str) -> Option<&str> {
        self.get(layout)?.explain(flag)
    }
}

/// Flag tables by name.
type FlagTables = BTreeMap<String, Vec<FlagEntry>>;

fn builtin_data() -> Result<(Vec<LayoutData>, FlagTables)> {
    let mut data = Vec::new();
    let mut tables = BTreeMap::new();
    for (name, text) in BUILTIN_FILES {
        let path = format!("catalog/access/{name}");
        let f: FamilyFile = serde_json::from_str(text).map_err(|e| Error::Rules {
            path: path.clone(),
            entry: None,
            reason: e.to_string(),
        })?;
        if f.schema != SCHEMA {
            return Err(Error::Rules {
                path,
                entry: None,
                reason: format!("schema `{}` (expected {SCHEMA})", f.schema),
            });
        }
        tables.extend(f.flag_tables);
        data.extend(f.layouts);
    }
    Ok((data, tables))
}

fn compile_all(
    data: Vec<LayoutData>,
    tables: &BTreeMap<String, Vec<FlagEntry>>,
    path: &str,
) -> Result<Layouts> {
    let mut seen = std::collections::BTreeSet::new();
    let mut layouts = Vec::with_capacity(data.len());
    for d in data {
        if !seen.insert(d.id.clone()) {
            return Err(Error::Rules {
                path: path.into(),
                entry: Some(d.id),
                reason: "duplicate layout id".into(),
            });
        }
        let id = d.id.clone();
        layouts.push(compile(d, tables).map_err(|reason| Error::Rules {
            path: path.into(),
            entry: Some(id),
            reason,
        })?);
    }
    Ok(Layouts::new(layouts))
}

fn compile(
    d: LayoutData,
    tables: &BTreeMap<String, Vec<FlagEntry>>,
) -> std::result::Result<Layout, String> {
    if d.id.is_empty() {
        return Err("empty id".into());
    }
    let split = match d.split.as_deref() {
        Some("tokens") => {
            let mut head = Vec::new();
            let mut tail = Vec::new();
            let mut seen_optional = false;
            for f in &d.fields {
                let spec = Spec::parse(f)?;
                if spec.optional {
                    seen_optional = true;
                    if !tail.is_empty() {
                        return Err(format!(
                            "optional field `{f}` after the fields read from the end"
                        ));
                    }
                } else if seen_optional {
                    tail.push(spec);
                } else {
                    head.push(spec);
                }
            }
            let roles = || head.iter().chain(&tail).flat_map(|s| s.parts.iter());
            if !roles().any(|r| matches!(r, Role::Status | Role::Flags)) {
                return Err("`fields` names no `status` (or `flags`)".into());
            }
            let mut keys = Vec::new();
            for (k, v) in &d.keys {
                let OneOrMany::One(role) = v else {
                    return Err(format!("keys: `{k}` must name one role"));
                };
                keys.push((k.as_bytes().to_vec(), parse_role(role)?));
            }
            Split::Tokens { head, tail, keys }
        }
        Some("w3c") => {
            let mut names = Vec::new();
            for (n, r) in &d.names {
                names.push((n.clone(), parse_role(r)?));
            }
            if !names.iter().any(|(_, r)| *r == Role::Status) {
                return Err("`names` maps no field to `status`".into());
            }
            Split::W3c { names }
        }
        Some("json") => {
            let mut keys = Vec::new();
            for (role, paths) in &d.keys {
                let role = parse_role(role)?;
                let paths = match paths {
                    OneOrMany::One(p) => vec![p.clone()],
                    OneOrMany::Many(p) => p.clone(),
                };
                for p in paths {
                    keys.push((role, p.into_bytes()));
                }
            }
            if !keys.iter().any(|(r, _)| *r == Role::Status) {
                return Err("`keys` names no `status` key".into());
            }
            if keys.len() > MAX_JSON_KEYS {
                return Err(format!("more than {MAX_JSON_KEYS} keys"));
            }
            // Priority: the data's order within a role, roles in the order a reader expects.
            keys.sort_by_key(|(r, _)| role_rank(*r));
            let require = d.require.iter().map(|r| r.as_bytes().to_vec()).collect();
            Split::Json { keys, require }
        }
        other => return Err(format!("split {other:?}: expected tokens, w3c or json")),
    };
    let flags = match &d.flag_table {
        Some(t) => Some(Arc::new(
            tables
                .get(t)
                .cloned()
                .ok_or_else(|| format!("no flag table `{t}`"))?,
        )),
        None => None,
    };
    let flag_sep = match d.flag_separator.as_deref() {
        None => None,
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(s) => return Err(format!("flag_separator `{s}`: one character")),
    };
    let has_flags = d.missing_upstream_status_flag.is_some()
        || match &split {
            Split::Tokens { head, tail, keys } => head
                .iter()
                .chain(tail)
                .flat_map(|s| &s.parts)
                .chain(keys.iter().map(|k| &k.1))
                .any(|r| *r == Role::Flags),
            Split::W3c { names } => names.iter().any(|n| n.1 == Role::Flags),
            Split::Json { keys, .. } => keys.iter().any(|k| k.0 == Role::Flags),
        };
    Ok(Layout {
        has_flags,
        id: d.id,
        title: d.title,
        refs: d.refs,
        format: d.format,
        examples: d.examples,
        split,
        flags,
        flag_chars: d.flag_chars.unwrap_or(0),
        flag_sep,
        missing_upstream_flag: d.missing_upstream_status_flag,
        client_closed_status: d.client_closed_status.unwrap_or_else(|| vec![499]),
    })
}

fn parse_role(name: &str) -> std::result::Result<Role, String> {
    Role::parse(name).ok_or_else(|| format!("unknown role `{name}`"))
}

/// Role order for JSON keys (stable within a role: the data's order is the priority);
/// one rank per field a request has, so a rank also marks the field as filled.
pub(super) fn role_rank(r: Role) -> u8 {
    match r {
        Role::Status => 0,
        Role::Method => 1,
        Role::Path | Role::Request => 2,
        Role::Duration(_) | Role::DurationPart(_) => 3,
        Role::UpstreamStatus => 4,
        Role::Upstream => 5,
        Role::UpstreamName => 6,
        Role::Flags => 7,
        Role::Client => 8,
        Role::Host => 9,
        Role::Time => 10,
        Role::Bytes => 11,
        Role::Ignore => 12,
    }
}

//! Layout tests: every example of the data reads back its fields and wins the vote; a random
//! valid line of every layout (rendered from the layout's own field list, with numbers in
//! 500–599 in every field that is not the status, IPv6 clients, upstream statuses that
//! differ from the status, prefixes and CRLF) parses back to the values that made it.

use super::detect::{detect, Prefix};
use super::layout::{Expect, Layout, Layouts, Split};
use super::split::{Role, Spec, Unit, Wrap};
use super::traffic::request_path_text;
use super::Request;

fn layouts() -> Layouts {
    Layouts::builtin().expect("builtin layouts compile")
}

/// Reads `line` with `layout` after whichever prefix it carries.
fn read<'a>(layout: &Layout, header: Option<&str>, line: &'a str) -> Option<(Prefix, Request<'a>)> {
    let w3c = header.and_then(|h| layout.w3c_fields(h.as_bytes()));
    Prefix::ALL.into_iter().find_map(|p| {
        let rest = p.strip(line.as_bytes())?;
        layout.parse(rest, w3c.as_ref()).map(|r| (p, r))
    })
}

fn flags_text(layout: &Layout, req: &Request) -> Option<String> {
    let mut v = Vec::new();
    layout.for_each_flag(req, |f, _| v.push(String::from_utf8_lossy(f).into_owned()));
    (!v.is_empty()).then(|| v.join(","))
}

fn check(layout: &Layout, req: &Request, e: &Expect, what: &str) {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(st) = e.status {
        assert_eq!(req.status, Some(st), "{what}: status");
    }
    if let Some(u) = e.upstream_status {
        assert_eq!(req.upstream_status, Some(u), "{what}: upstream status");
    }
    if let Some(m) = &e.method {
        assert_eq!(&s(req.method), m, "{what}: method");
    }
    if let Some(p) = &e.path {
        assert_eq!(&request_path_text(req), p, "{what}: path");
    }
    if let Some(c) = &e.client {
        assert_eq!(&s(req.client), c, "{what}: client");
    }
    if let Some(u) = &e.upstream {
        assert_eq!(&s(req.upstream), u, "{what}: upstream");
    }
    if let Some(f) = &e.flags {
        assert_eq!(
            flags_text(layout, req).as_deref(),
            Some(f.as_str()),
            "{what}: flags"
        );
    }
    if let Some(d) = e.duration_ms {
        assert_eq!(
            req.duration_us.map(|us| us / 1000),
            Some(d),
            "{what}: duration"
        );
    }
}

#[test]
fn every_example_reads_back_and_wins_the_vote() {
    let all = layouts();
    assert!(all.layouts.len() >= 17, "{} layouts", all.layouts.len());
    for (i, l) in all.layouts.iter().enumerate() {
        assert!(l.examples.len() >= 2, "{}: needs 2 examples", l.id);
        assert!(
            !l.refs.is_empty() && !l.format.is_empty(),
            "{}: ref and format",
            l.id
        );
        for ex in &l.examples {
            let what = format!("{}: {}", l.id, ex.line);
            let (_, req) = read(l, ex.header.as_deref(), &ex.line)
                .unwrap_or_else(|| panic!("{what}: not read"));
            check(l, &req, &ex.expect, &what);
            let mut lines: Vec<&[u8]> = Vec::new();
            if let Some(h) = &ex.header {
                lines.push(h.as_bytes());
            }
            lines.push(ex.line.as_bytes());
            let d = detect(&all, &[lines]).unwrap_or_else(|| panic!("{what}: no layout detected"));
            assert_eq!(
                all.layouts[d.layout].id,
                l.id,
                "{what}: vote went to {}",
                d.describe(&all)
            );
            let _ = i;
        }
    }
}

#[test]
fn flag_tables_explain_the_proxy_flags() {
    let all = layouts();
    for (layout, flag) in [
        ("haproxy-http", "sH"),
        ("haproxy-http", "SC"),
        ("haproxy-http", "CD"),
        ("envoy", "UF"),
        ("envoy", "UH"),
        ("envoy", "URX"),
        ("envoy", "UT"),
        ("aws-alb", "target_status_code -"),
    ] {
        let means = all
            .explain(layout, flag)
            .unwrap_or_else(|| panic!("{layout} {flag}"));
        assert!(
            means.len() > 20 && !means.contains('\n'),
            "{layout} {flag}: {means}"
        );
    }
}

#[test]
fn outcomes_fail_5xx_and_close_clients() {
    let all = layouts();
    let outcome = |id: &str, line: &str| {
        let l = all.get(id).unwrap();
        let (_, r) = read(l, None, line).unwrap();
        l.outcome(&r)
    };
    // CD-- with no status: the client went away.
    let o = outcome("haproxy-http", "haproxy[1]: 10.0.1.9:51299 [03/Sep/2024:15:12:43.500] fe be/s1 0/0/1/-1/512 -1 0 - - CD-- 1/1/0/0/0 0/0 \"GET /x HTTP/1.1\"");
    assert!(o.client_closed && !o.failed && o.class.is_none());
    // A TCP log has no status: SC fails the connection.
    let o = outcome("haproxy-tcp", "haproxy[1]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/-1/3001 0 SC 0/0/0/0/3 0/0");
    assert!(o.failed);
    let o = outcome(
        "combined",
        "1.2.3.4 - - [21/Aug/2019:08:00:01 +0800] \"GET / HTTP/1.1\" 499 0 \"-\" \"-\"",
    );
    assert!(o.client_closed && !o.failed && o.class == Some(3));
    let o = outcome(
        "combined",
        "1.2.3.4 - - [21/Aug/2019:08:00:01 +0800] \"GET / HTTP/1.1\" 504 0 \"-\" \"-\"",
    );
    assert!(o.failed && o.class == Some(4));
}

#[test]
fn ingress_request_length_is_never_a_status() {
    let all = layouts();
    let l = all.get("ingress-nginx").unwrap();
    for len in 500..600 {
        let line = format!("10.0.0.4 - - [18/Jun/2024:02:00:02 +0000] \"GET /a HTTP/2.0\" 200 {len} \"-\" \"Mozilla/5.0\" {len} 0.{len} [ns-web-80] [] 10.0.1.22:80 {len} 0.{len} 200 abc");
        let (_, r) = read(l, None, &line).unwrap();
        assert_eq!(
            (r.status, l.outcome(&r).failed),
            (Some(200), false),
            "{line}"
        );
    }
}

#[test]
fn rules_add_replace_and_disable_layouts() {
    let rules = serde_json::json!({
        "flag_tables": {"mine": [{"flag": "X1", "server_failure": true, "means": "my proxy's own failure"}]},
        "layouts": [
            {"id": "my-proxy", "title": "t", "ref": ["internal wiki"], "format": "%t %s %f %p",
             "split": "tokens", "fields": ["time", "status", "flags", "path"], "flag_table": "mine"},
            {"id": "spring-boot-tomcat", "disabled": true}
        ],
        "disable": ["caddy"]
    });
    let all = Layouts::with_rules(&[("rules.json".into(), rules)]).unwrap();
    assert_eq!(all.layouts[0].id, "my-proxy");
    assert!(all.get("caddy").is_none() && all.get("spring-boot-tomcat").is_none());
    let l = all.get("my-proxy").unwrap();
    let r = l.parse(b"2024-03-02T09:14:11Z 200 X1 /a", None).unwrap();
    assert!(
        l.outcome(&r).failed.then_some(()).is_none(),
        "a 200 is not a failure"
    );
    assert_eq!(
        all.explain("my-proxy", "X1"),
        Some("my proxy's own failure")
    );
    let bad =
        serde_json::json!({"layouts": [{"id": "b", "split": "tokens", "fields": ["stauts"]}]});
    let e = Layouts::with_rules(&[("r.toml".into(), bad)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("r.toml") && e.contains("`b`") && e.contains("stauts"),
        "{e}"
    );
    let bad = serde_json::json!({"disable": ["nope"]});
    assert!(Layouts::with_rules(&[("r".into(), bad)]).is_err());
}

/// A tiny deterministic generator (splitmix64); `.1`: lists (`a, b`) allowed.
struct Gen(u64, bool);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
    /// A number in 500–599 most of the time: what a regex would read as a 5xx.
    fn five(&mut self) -> u64 {
        if self.below(4) == 0 {
            self.below(100_000)
        } else {
            500 + self.below(100)
        }
    }
}

/// What a rendered line must read back.
#[derive(Default, Debug)]
struct Want {
    status: Option<u16>,
    upstream_status: Option<u16>,
    method: String,
    path: String,
    client: String,
    upstream: String,
    duration_ms: Option<u64>,
    part_ms: Vec<u64>,
}

fn value(g: &mut Gen, role: Role, wrap: Wrap, layout: &Layout, want: &mut Want) -> String {
    match role {
        Role::Ignore | Role::Bytes | Role::Host | Role::UpstreamName => match (role, wrap) {
            (Role::UpstreamName, _) => format!("ns-svc-{}", g.five()),
            (Role::Host, _) => format!("api{}.example.com", g.five()),
            (_, Wrap::Quote) => format!("Mozilla/5.0 (X11; {}) 503 \\\"q\\\"", g.five()),
            (Role::Bytes, _) if g.below(8) == 0 => "-".into(),
            _ => g.five().to_string(),
        },
        Role::Client => {
            let c = match g.below(3) {
                0 => format!("10.{}.{}.{}", g.below(256), g.below(256), g.below(256)),
                1 => format!("2001:db8::{:x}", g.five()),
                _ => format!("fe80::1:{}", g.five()),
            };
            want.client = c.clone();
            c
        }
        Role::Time => match wrap {
            Wrap::Bracket => format!(
                "{:02}/Aug/2019:08:{:02}:01 +0800",
                1 + g.below(28),
                g.below(60)
            ),
            _ => format!(
                "2019-08-21T08:{:02}:01.{:06}Z",
                g.below(60),
                g.below(1_000_000)
            ),
        },
        Role::Request | Role::Method | Role::Path => {
            let m = g
                .pick(&["GET", "POST", "PUT", "DELETE", "PATCH"])
                .to_string();
            let p = format!("/api/v{}/item/{}", g.below(3), g.five());
            let q = if g.below(2) == 0 {
                format!("?page={}&x=503", g.five())
            } else {
                String::new()
            };
            match role {
                Role::Request => {
                    want.method = m.clone();
                    want.path = p.clone();
                    format!("{m} {p}{q} HTTP/1.1")
                }
                Role::Method => {
                    want.method = m.clone();
                    m
                }
                _ => {
                    want.path = p.clone();
                    format!("{p}{q}")
                }
            }
        }
        Role::Status => {
            let s = 100 + g.below(500) as u16;
            want.status = Some(s);
            s.to_string()
        }
        Role::UpstreamStatus => {
            let s = 100 + g.below(500) as u16;
            want.upstream_status = Some(s);
            if g.1 && g.below(3) == 0 {
                format!("{}, {s}", 500 + g.below(100))
            } else {
                s.to_string()
            }
        }
        Role::Duration(unit) | Role::DurationPart(unit) => {
            let ms = g.below(70_000);
            if matches!(role, Role::DurationPart(_)) {
                want.part_ms.push(ms);
            } else {
                want.duration_ms = Some(ms);
            }
            match unit {
                Unit::S => format!("{}.{:03}", ms / 1000, ms % 1000),
                Unit::Ms => ms.to_string(),
                Unit::Us => (ms * 1000 + g.below(1000)).to_string(),
                Unit::Ns => (ms * 1_000_000 + g.below(1_000_000)).to_string(),
            }
        }
        Role::Upstream => {
            let u = format!("10.0.{}.{}:{}", g.below(256), g.below(256), g.five());
            want.upstream = u.clone();
            if g.1 && g.below(3) == 0 {
                format!("10.9.9.9:{}, {u}", g.five())
            } else {
                u
            }
        }
        Role::Flags => match &layout.flags {
            Some(t) => {
                let e = &t[g.below(t.len() as u64) as usize];
                if e.flag.len() == 2 && layout.id.starts_with("haproxy-http") {
                    format!("{}--", e.flag)
                } else {
                    e.flag.clone()
                }
            }
            None => "-".into(),
        },
    }
}

fn render_spec(g: &mut Gen, spec: &Spec, layout: &Layout, want: &mut Want) -> String {
    let mut body = String::new();
    for (k, &role) in spec.parts.iter().enumerate() {
        if k > 0 {
            body.push(spec.seps[k - 1] as char);
        }
        let mut v = value(g, role, spec.wrap, layout, want);
        // A part of a composite (`-/-/duration`) must not hold its separators.
        if spec.parts.len() > 1 && role == Role::Ignore {
            v = g.below(600).to_string();
        }
        body.push_str(&v);
    }
    match spec.wrap {
        Wrap::None => body,
        Wrap::Quote => format!("\"{body}\""),
        Wrap::Bracket => format!("[{body}]"),
        Wrap::Brace => format!("{{{body}}}"),
        Wrap::Paren => format!("({body}"),
    }
}

/// A random valid line of `layout` (and its W3C header), and what it must read back.
fn render(g: &mut Gen, layout: &Layout) -> (Option<String>, String, Want) {
    let mut want = Want::default();
    match &layout.split {
        Split::Tokens { head, tail, .. } => {
            let mut toks: Vec<String> = head
                .iter()
                .map(|s| render_spec(g, s, layout, &mut want))
                .collect();
            if !tail.is_empty() && g.below(2) == 0 {
                toks.push(format!("{{h{}.example}}", g.five()));
            }
            toks.extend(tail.iter().map(|s| render_spec(g, s, layout, &mut want)));
            (None, toks.join(" "), want)
        }
        Split::W3c { names } => {
            let mut fields: Vec<(String, Role)> = names.clone();
            fields.push(("s-port".into(), Role::Ignore));
            fields.push(("cs(User-Agent)".into(), Role::Ignore));
            // Any order, any subset that keeps the status.
            for i in (1..fields.len()).rev() {
                fields.swap(i, g.below(i as u64 + 1) as usize);
            }
            fields.retain(|(_, r)| *r == Role::Status || g.below(4) != 0);
            // One field per role (`cs-uri` and `cs-uri-stem` are both paths).
            let mut seen = Vec::new();
            fields.retain(|(_, r)| {
                *r == Role::Ignore || {
                    let new = !seen.contains(r);
                    seen.push(*r);
                    new
                }
            });
            let header = format!(
                "#Fields: {}",
                fields
                    .iter()
                    .map(|f| f.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let vals: Vec<String> = fields
                .iter()
                .map(|(n, r)| match (n.as_str(), r) {
                    ("date", _) => "2024-02-20".into(),
                    ("cs(User-Agent)", _) => format!("Mozilla/5.0+({})", g.five()),
                    _ => value(g, *r, Wrap::None, layout, &mut want),
                })
                .collect();
            (Some(header), vals.join(" "), want)
        }
        Split::Json { keys, .. } => {
            let mut obj = serde_json::Map::new();
            let mut done: Vec<u8> = Vec::new();
            for (role, name) in keys {
                let rank = super::layout::role_rank(*role);
                if done.contains(&rank) || g.below(3) == 0 && *role != Role::Status {
                    done.push(rank);
                    continue;
                }
                done.push(rank);
                let v = value(g, *role, Wrap::None, layout, &mut want);
                let name = String::from_utf8(name.clone()).unwrap();
                let v = match role {
                    Role::Status if g.below(2) == 0 => serde_json::json!(v.parse::<u64>().unwrap()),
                    Role::Duration(_) => serde_json::json!(v.parse::<f64>().unwrap()),
                    _ => serde_json::json!(v),
                };
                // Nested (`res.statusCode` → {"res":{"statusCode":…}}) or flat, at random.
                if name.contains('.') && g.below(2) == 0 {
                    let mut parts: Vec<&str> = name.split('.').collect();
                    let last = parts.pop().unwrap();
                    let mut cur = &mut obj;
                    for p in parts {
                        cur = cur
                            .entry(p)
                            .or_insert_with(|| serde_json::json!({}))
                            .as_object_mut()
                            .unwrap();
                    }
                    cur.insert(last.into(), v);
                } else {
                    obj.insert(name, v);
                }
            }
            if want.method.is_empty() && want.path.is_empty() {
                let (role, name) = keys.iter().find(|(r, _)| *r == Role::Path).unwrap();
                let v = value(g, *role, Wrap::None, layout, &mut want);
                obj.insert(
                    String::from_utf8(name.clone()).unwrap(),
                    serde_json::json!(v),
                );
            }
            for r in layout_require(layout) {
                obj.entry(r).or_insert(serde_json::json!("/"));
            }
            (None, serde_json::Value::Object(obj).to_string(), want)
        }
    }
}

fn layout_require(layout: &Layout) -> Vec<String> {
    match &layout.split {
        Split::Json { require, .. } => require
            .iter()
            .map(|r| String::from_utf8(r.clone()).unwrap())
            .collect(),
        _ => Vec::new(),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    /// Any valid line of any layout reads back the fields it was made of, after any
    /// prefix, with or without CRLF.
    #[test]
    fn random_lines_of_every_layout_read_back(seed in proptest::num::u64::ANY, which in 0usize..64) {
        let all = layouts();
        let layout = &all.layouts[which % all.layouts.len()];
        let mut g = Gen(seed, !layout.is_w3c());
        let (header, mut line, want) = render(&mut g, layout);
        let prefix = match g.below(4) {
            0 if !layout.is_w3c() => "Sep  3 15:12:41 lb1 proxy[2190]: ",
            1 if !layout.is_w3c() => "2024-06-18T02:00:02.857744722Z ",
            2 if !layout.is_w3c() => "2024-06-18T02:00:02.857744722Z stdout F ",
            _ => "",
        };
        line.insert_str(0, prefix);
        if g.below(2) == 0 {
            line.push('\r');
        }
        let got = read(layout, header.as_deref(), &line);
        proptest::prop_assert!(got.is_some(), "{}: not read: {}", layout.id, line);
        let (_, req) = got.unwrap();
        let what = format!("{}: {line}", layout.id);
        proptest::prop_assert_eq!(req.status, want.status, "{}", what);
        if want.upstream_status.is_some() {
            proptest::prop_assert_eq!(req.upstream_status, want.upstream_status, "{}", what);
        }
        proptest::prop_assert_eq!(String::from_utf8_lossy(req.method), want.method.as_str(), "{}", what);
        if !want.path.is_empty() {
            proptest::prop_assert_eq!(request_path_text(&req), want.path.clone(), "{}", what);
        }
        proptest::prop_assert_eq!(String::from_utf8_lossy(req.client), want.client.as_str(), "{}", what);
        proptest::prop_assert_eq!(String::from_utf8_lossy(req.upstream), want.upstream.as_str(), "{}", what);
        let want_ms = want.duration_ms.or((!want.part_ms.is_empty()).then(|| want.part_ms.iter().sum()));
        match (want_ms, req.duration_us) {
            (Some(ms), Some(us)) => proptest::prop_assert!((us / 1000).abs_diff(ms) <= 1, "{}: {} µs vs {} ms", what, us, ms),
            (None, None) => {}
            (w, g) => proptest::prop_assert!(false, "{}: duration {:?} vs {:?}", what, g, w),
        }
    }
}

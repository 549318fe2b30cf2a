//! The catalog's unit tests: loading, examples, precision rules, rules files.

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
fn judge_applies_the_precision_rules() {
    use RecordLevel::*;
    let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
    sig.severity = Severity::Critical;
    sig.unless = vec![r"bind\(\) to".into()];
    sig.level = Some(Error);
    let any = |_: MatchContext| true;
    let line = b"connect() failed";
    assert_eq!(sig.judge(line, None, any), Ok(Severity::Critical));
    assert_eq!(sig.judge(line, Some(Critical), any), Ok(Severity::Critical));
    assert_eq!(sig.judge(line, Some(Error), any), Ok(Severity::Critical));
    assert_eq!(sig.judge(line, Some(Warning), any), Err(Reject::Level));
    assert_eq!(sig.judge(line, Some(Info), any), Err(Reject::Level));
    assert_eq!(
        sig.judge(b"bind() to 10.0.0.1:443 failed", None, any),
        Err(Reject::Unless)
    );
    // Without `level`, the severity's own level rule: lowered on WARN, none on INFO.
    sig.level = None;
    assert_eq!(sig.judge(line, Some(Warning), any), Ok(Severity::Warning));
    assert_eq!(sig.judge(line, Some(Info), any), Err(Reject::Informational));
    // A product that logs the failure at WARN (`logged_at`) keeps the severity there.
    sig.logged_at = Some(Warning);
    assert_eq!(sig.judge(line, Some(Warning), any), Ok(Severity::Critical));
    assert_eq!(sig.judge(line, Some(Info), any), Err(Reject::Informational));
    sig.logged_at = Some(Info);
    assert_eq!(sig.judge(line, Some(Info), any), Ok(Severity::Critical));
    // Context: asked only for an entry that has one.
    sig.context = Some(MatchContext::AccessLog);
    assert_eq!(sig.judge(line, None, |_| false), Err(Reject::Context));
    sig.context = None;
    assert_eq!(
        sig.judge(line, None, |_| panic!("no context to ask")),
        Ok(Severity::Critical)
    );
    // The compiled guard gives the same answers.
    sig.logged_at = None;
    sig.level = Some(Error);
    let cat = Catalog {
        signatures: vec![sig],
        access_rules: Vec::new(),
    };
    let m = cat.compile().unwrap();
    assert_eq!(m.judge(0, line, Some(Warning), any), Err(Reject::Level));
    assert_eq!(
        m.judge(0, b"[emerg] bind() to 10.0.0.1:443 failed", None, any),
        Err(Reject::Unless)
    );
    assert!(m.needs_level(0));
}

/// The severity rule, for every catalog severity and record level: never raised, a
/// marker never changed, a WARN record caps at warning, an INFO record is no hit (unless
/// the entry is logged that low), and a record without level keeps the catalog's.
#[test]
fn severity_is_lowered_by_the_record_level_never_raised() {
    use RecordLevel::*;
    let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
    for sev in [
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Marker,
    ] {
        for logged_at in [None, Some(Info), Some(Warning), Some(Error)] {
            sig.severity = sev;
            sig.logged_at = logged_at;
            assert_eq!(sig.severity_at(None), Some(sev));
            for level in [Info, Warning, Error, Critical] {
                let got = sig.severity_at(Some(level));
                if let Some(g) = got {
                    assert!(g >= sev, "{sev:?} raised to {g:?} on {level:?}");
                }
                if sev == Severity::Marker {
                    assert_eq!(got, Some(sev));
                }
                if level >= Error {
                    assert_eq!(got, Some(sev), "{sev:?} on an {level:?} record");
                }
                let expected = sig.expected_level();
                if expected.is_some_and(|e| level < e) {
                    match level {
                        Warning => assert_eq!(got, Some(sev.max(Severity::Warning))),
                        Info => assert_eq!(got, None),
                        _ => {}
                    }
                }
            }
        }
    }
}

#[test]
fn os_fits() {
    let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
    sig.os = None;
    assert!(sig.fits_os(None) && sig.fits_os(Some(Os::Linux)) && sig.fits_os(Some(Os::Windows)));
    sig.os = Some(Os::Windows);
    assert!(sig.fits_os(None) && sig.fits_os(Some(Os::Windows)));
    assert!(!sig.fits_os(Some(Os::Linux)));
}

/// A refused match is searched past: the signature behind it still gets its hit, and the
/// refused signature's further matches on the line are refused without being judged.
#[test]
fn a_refused_match_does_not_hide_the_next() {
    let text = r#"{"schema": "faultscope-catalog/2", "family": "x", "signatures": [
        {"id": "long", "title": "t", "category": "c", "severity": "error", "layer": 3,
         "patterns": ["alpha beta"], "unless": ["skip me"], "ref": ["x"]},
        {"id": "inner", "title": "t", "category": "c", "severity": "error", "layer": 3,
         "patterns": ["beta gamma"], "ref": ["x"]}]}"#;
    let cat = Catalog {
        signatures: Catalog::parse_family("x.json", text).unwrap(),
        access_rules: Vec::new(),
    };
    let m = cat.compile().unwrap();
    let ids = |line: &str| -> Vec<&str> {
        m.hits_on_line(line.as_bytes(), None, |_| true)
            .iter()
            .map(|&(s, _)| cat.signatures[s].id.as_str())
            .collect()
    };
    // Accepted: `long` claims `alpha beta`, hiding `beta gamma` (leftmost-first).
    assert_eq!(ids("alpha beta gamma"), ["long"]);
    // Refused by `unless`: the search resumes inside it and finds `inner`.
    assert_eq!(ids("skip me: alpha beta gamma"), ["inner"]);
    let mut judged = 0;
    m.search_line(b"alpha beta alpha beta", 0..21, |_| {
        judged += 1;
        false
    });
    assert_eq!(judged, 1, "a refused signature is judged once per line");
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
            // A class of more than 4 bytes ends a prefix (an ASCII `\d` would expand
            // `" (5\d\d)` into 100 literals; the prefix is `" (5`).
            let mut seq = Extractor::new()
                .kind(ExtractKind::Prefix)
                .limit_class(4)
                .extract(&hir);
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
    let e = rules(
        "[[signatures]]\nid = \"x\"\npatterns=['a']\n[[signatures]]\nid = \"x\"\npatterns=['b']\n",
        "toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("duplicate"), "{e}");
    let e = rules(
        "[[signatures]]\nid = \"huge\"\npatterns = ['(?u)\\w{1000}\\w{1000}\\w{1000}']\n",
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
                let line = format!("2024-05-14T09:12:01.123Z WARNING {provider}[{id}]: param1=x");
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

/// No pattern keeps a Unicode word boundary: one would make the lazy DFA quit at the first
/// non-ASCII byte and the meta regex fall back to the PikeVM (a 4 MB log with one non-ASCII
/// word per line: 220 s instead of 12 s). A lazy DFA built from the matcher's own patterns,
/// as the meta regex builds it, runs through Chinese, accented and box-drawing text without
/// quitting; and the patterns still match there (`1040\b`, the one `\b` of the catalog).
#[test]
fn non_ascii_text_keeps_the_lazy_dfa() {
    use regex_automata::hybrid::dfa::DFA;
    use regex_automata::nfa::thompson;
    let cat = Catalog::builtin().unwrap();
    let m = cat.compile().unwrap();
    for h in &m.hirs {
        assert!(!h.properties().look_set().contains_word_unicode(), "{h:?}");
    }
    let mut rules = cat.clone();
    rules.signatures.truncate(1);
    rules.signatures[0].patterns = vec![r"\bbad\b \w+ bij\b".into()];
    assert!(!rules.compile().unwrap().hirs[0]
        .properties()
        .look_set()
        .contains_word_unicode());
    let nfa = thompson::Compiler::new()
        .configure(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
        .build_many_from_hir(&m.hirs)
        .unwrap();
    let dfa = DFA::builder()
        .configure(
            DFA::config()
                .unicode_word_boundary(true)
                .cache_capacity(8 * 1024 * 1024),
        )
        .build_from_nfa(nfa)
        .unwrap();
    let mut cache = dfa.create_cache();
    let hay = "2024-05-14 09:12:01 信息 [main] 数据库连接超时 │ ├─ échec réseau — ERROR 1040 Too many connections 用户\n".repeat(50);
    let found = dfa
        .try_search_fwd(&mut cache, &regex_automata::Input::new(hay.as_bytes()))
        .expect("the lazy DFA does not quit on non-ASCII bytes");
    assert!(found.is_some());
    // The line's own level (`ERROR`): this test is about the automaton, not the level rule
    // (which `record`'s tests judge with the line's level read as the scan reads it).
    let line = hay.lines().next().unwrap().as_bytes();
    let hits = m.hits_on_line(line, Some(RecordLevel::Error), |_| false);
    let want = cat.index_of("db-server-connection-limit").unwrap();
    assert!(hits.iter().any(|h| h.0 == want), "{hits:?}");
}

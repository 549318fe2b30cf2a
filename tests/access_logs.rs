//! Access logs through the binary, as a new user runs it: a directory of many layouts (each
//! file's exact request and 5xx counts, with numbers in 500–599 in every other field, IPv6
//! clients, syslog and kubectl prefixes, CRLF, an IIS header that changes mid-file), an
//! ingress-nginx log whose healthy requests have lengths 500–599 (no user impact), a JSON
//! stack trace matched inside its string, a layout added with `--rules`, and `--debug`
//! naming the winning layout.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("faultscope").unwrap()
}

fn scan(dir: &Path, extra: &[&str]) -> (Value, i32, String) {
    let out = bin()
        .args(["scan", "--format", "json", "--tz", "UTC"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (
        v,
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn file<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in files[]"))
}

/// The status of request `i`: 5xx, 4xx, 499 and 200 mixed.
fn status(i: usize) -> u16 {
    match i {
        _ if i % 13 == 5 => 503,
        _ if i % 29 == 7 => 500,
        _ if i % 7 == 3 => 404,
        _ if i % 17 == 2 => 499,
        _ => 200,
    }
}

/// A number in 500–599 (what a regex reads as a 5xx).
fn five(i: usize, k: usize) -> usize {
    500 + (i * 7 + k * 13) % 100
}

fn ip(i: usize) -> String {
    if i % 3 == 0 {
        format!("2001:db8::{:x}", five(i, 1))
    } else {
        format!("10.0.{}.{}", i % 256, five(i, 2) % 256)
    }
}

/// Times of request `i` (7 s apart from 2024-03-02 09:00:00 UTC).
struct T {
    clf: String,
    clf_ms: String,
    iso: String,
    iso6: String,
    syslog: String,
    date: String,
    clock: String,
    epoch: String,
}

fn t(i: usize) -> T {
    let s = i * 7;
    let (m, sec) = (s / 60, s % 60);
    T {
        clf: format!("02/Mar/2024:09:{m:02}:{sec:02} +0000"),
        clf_ms: format!("02/Mar/2024:09:{m:02}:{sec:02}.{:03}", five(i, 3)),
        iso: format!("2024-03-02T09:{m:02}:{sec:02}.{:03}Z", five(i, 4)),
        iso6: format!("2024-03-02T09:{m:02}:{sec:02}.{:06}Z", five(i, 5) * 1000),
        syslog: format!("Mar  2 09:{m:02}:{sec:02}"),
        date: "2024-03-02".into(),
        clock: format!("09:{m:02}:{sec:02}"),
        epoch: format!("{}.{}", 1_709_370_000 + s, five(i, 6)),
    }
}

const N: usize = 120;

/// (file name, expected layout, lines (with `\n`), expected requests, expected 5xx).
fn layouts() -> Vec<(&'static str, &'static str, String, usize, usize)> {
    type Line = Box<dyn Fn(usize, u16, &T) -> String>;
    let specs: Vec<(&str, &str, Line)> = vec![
        (
            "combined.log",
            "combined",
            Box::new(|i, s, t| {
                format!(
            "{} - - [{}] \"GET /api/{}?q={} HTTP/1.1\" {s} {} \"https://shop.example/{}\" \"Mozilla/5.0 ({})\"",
            ip(i), t.clf, five(i, 7), five(i, 8), five(i, 9), five(i, 10), five(i, 11))
            }),
        ),
        (
            "timed.log",
            "combined-timed",
            Box::new(|i, s, t| {
                format!(
                    "{} - - [{}] \"POST /v1/{} HTTP/1.1\" {s} {} \"-\" \"okhttp/4 {}\" 0.{} 0.{}",
                    ip(i),
                    t.clf,
                    five(i, 7),
                    five(i, 8),
                    five(i, 9),
                    five(i, 10),
                    five(i, 11)
                )
            }),
        ),
        (
            "ingress.log",
            "ingress-nginx",
            Box::new(|i, s, t| {
                format!(
            "{} {} - - [{}] \"GET /a/{} HTTP/2.0\" {s} {} \"-\" \"Mozilla/5.0\" {} 0.{} [ns-web-{}] [] 10.0.1.{}:{} {} 0.{} {} {:032x}",
            t.iso, ip(i), t.clf, five(i, 7), five(i, 8), five(i, 9), five(i, 10), five(i, 11),
            i % 250, five(i, 12), five(i, 13), five(i, 14), if s >= 500 { "502, 503".to_string() } else { s.to_string() }, i)
            }),
        ),
        (
            "common.log",
            "common",
            Box::new(|i, s, t| {
                format!(
                    "{} - - [{}] \"GET /c/{} HTTP/1.0\" {s} {}",
                    ip(i),
                    t.clf,
                    five(i, 7),
                    five(i, 8)
                )
            }),
        ),
        (
            "apache-d.log",
            "combined-D",
            Box::new(|i, s, t| {
                format!(
                    "{} - - [{}] \"GET /d HTTP/1.1\" {s} {} \"-\" \"curl/8 {}\" {}000",
                    ip(i),
                    t.clf,
                    five(i, 7),
                    five(i, 8),
                    five(i, 9)
                )
            }),
        ),
        (
            "tomcat.log",
            "tomcat-common-D",
            Box::new(|i, s, t| {
                format!(
                    "{} - - [{}] \"GET /t/{} HTTP/1.1\" {s} {} {}",
                    ip(i),
                    t.clf,
                    five(i, 7),
                    five(i, 8),
                    five(i, 9)
                )
            }),
        ),
        (
            "spring.log",
            "spring-boot-tomcat",
            Box::new(|i, s, t| {
                format!(
                    "[{}] {} GET /s/{} HTTP/1.1 {s} ({} ms)",
                    t.clf,
                    ip(i),
                    five(i, 7),
                    five(i, 8)
                )
            }),
        ),
        (
            "haproxy.log",
            "haproxy-http",
            Box::new(|i, s, t| {
                // Every 11th request: the client went away (-1, CD--).
                let (st, fl) = if i % 11 == 10 {
                    ("-1".to_string(), "CD--")
                } else if s >= 500 {
                    (s.to_string(), "sH--")
                } else {
                    (s.to_string(), "----")
                };
                format!("{} lb1 haproxy[2190]: {}:{} [{}] fe_https~ be_api/api-{} 0/0/1/{}/{} {st} {} - - {fl} 1/1/1/1/0 0/0 \"GET /h/{} HTTP/1.1\"",
                t.syslog, ip(i), five(i, 7), t.clf_ms, i % 3, five(i, 8), five(i, 9), five(i, 10), five(i, 11))
            }),
        ),
        (
            "haproxy-tcp.log",
            "haproxy-tcp",
            Box::new(|i, s, t| {
                format!(
                    "{} lb1 haproxy[2190]: {}:{} [{}] fnt bck/srv1 0/0/{} {} {} 0/0/0/0/0 0/0",
                    t.syslog,
                    ip(i),
                    five(i, 7),
                    t.clf_ms,
                    five(i, 8),
                    five(i, 9),
                    if s >= 500 { "SC" } else { "--" }
                )
            }),
        ),
        (
            "envoy.log",
            "envoy",
            Box::new(|i, s, t| {
                format!(
            "[{}] \"GET /e/{} HTTP/1.1\" {s} {} {} {} {} - \"{}\" \"curl/7\" \"id{i}\" \"api.example\" \"10.0.0.5:{}\"",
            t.iso, five(i, 7), if s == 503 { "UF" } else { "-" }, five(i, 8), five(i, 9), five(i, 10), ip(i), five(i, 11))
            }),
        ),
        (
            "istio.log",
            "istio-proxy",
            Box::new(|i, s, t| {
                format!(
            "[{}] \"GET /i/{} HTTP/1.1\" {s} {} via_upstream - \"-\" {} {} {} {} \"-\" \"curl/7\" \"id{i}\" \"svc:8000\" \"10.0.0.5:80\" outbound|8000||svc.ns.svc.cluster.local 10.0.0.1:{} 10.0.0.2:8000 10.0.0.3:{} - default",
            t.iso, five(i, 7), if s == 503 { "UH" } else { "-" }, five(i, 8), five(i, 9), five(i, 10), five(i, 11), five(i, 12), five(i, 13))
            }),
        ),
        (
            "alb.log",
            "aws-alb",
            Box::new(|i, s, t| {
                format!(
            "https {} app/lb/50dc6c495c0c9188 {}:{} 10.0.0.1:{} 0.001 0.{} 0.000 {s} {} {} {} \"GET https://x.example:443/p/{}?a=1 HTTP/1.1\" \"curl/7\" - - arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/t/7 \"Root=1-{i}\" \"-\" \"-\" 0 {} \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"{}\" \"-\" \"-\"",
            t.iso6, ip(i), five(i, 7), five(i, 8), five(i, 9), if s == 503 { "-".to_string() } else { s.to_string() }, five(i, 10), five(i, 11), five(i, 12), t.iso6, s)
            }),
        ),
        (
            "elb.log",
            "aws-elb-classic",
            Box::new(|i, s, t| {
                format!(
            "{} my-lb {}:{} 10.0.0.1:{} 0.000073 0.001048 0.000057 {s} {s} 0 {} \"GET http://x.example:80/{} HTTP/1.1\" \"curl/7\" - -",
            t.iso6, ip(i), five(i, 7), five(i, 8), five(i, 9), five(i, 10))
            }),
        ),
        (
            "traefik.log",
            "traefik-clf",
            Box::new(|i, s, t| {
                format!(
            "{} - - [{}] \"GET /tr/{} HTTP/1.1\" {s} {} \"-\" \"curl/8\" {} \"api@docker\" \"http://172.18.0.5:{}\" {}ms",
            ip(i), t.clf, five(i, 7), five(i, 8), five(i, 9), five(i, 10), five(i, 11))
            }),
        ),
        (
            "caddy.log",
            "caddy",
            Box::new(|i, s, t| {
                format!(
            "{{\"level\":\"info\",\"ts\":{},\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\",\"request\":{{\"remote_ip\":\"{}\",\"method\":\"GET\",\"host\":\"x\",\"uri\":\"/c/{}?p={}\"}},\"duration\":0.{},\"size\":{},\"status\":{s}}}",
            t.epoch, ip(i), five(i, 7), five(i, 8), five(i, 9), five(i, 10))
            }),
        ),
        (
            "ecs.json",
            "json-access",
            Box::new(|i, s, t| {
                format!(
            "{{\"@timestamp\":\"{}\",\"http.request.method\":\"GET\",\"url.path\":\"/j/{}\",\"http.response.status_code\":{s},\"http.request.bytes\":{},\"event.duration\":{}000000}}",
            t.iso, five(i, 7), five(i, 8), five(i, 9))
            }),
        ),
        (
            "traefik.json",
            "traefik-json",
            Box::new(|i, s, t| {
                format!(
            "{{\"ClientHost\":\"{}\",\"DownstreamStatus\":{s},\"Duration\":{}000000,\"OriginStatus\":{},\"RequestMethod\":\"GET\",\"RequestPath\":\"/t/{}\",\"time\":\"{}\"}}",
            ip(i), five(i, 7), if s >= 500 { 0 } else { s }, five(i, 8), t.iso)
            }),
        ),
    ];
    specs
        .into_iter()
        .map(|(name, layout, f)| {
            let mut text = String::new();
            let mut fivexx = 0;
            for i in 0..N {
                let s = status(i);
                let line = f(i, s, &t(i));
                let dash_status = name == "haproxy.log" && i % 11 == 10;
                if s >= 500 && !dash_status && name != "haproxy-tcp.log" {
                    fivexx += 1;
                }
                text.push_str(&line);
                text.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
            }
            (name, layout, text, N, fivexx)
        })
        .collect()
}

/// IIS with CRLF, fields in a non-default order and a second `#Fields:` block mid-file.
fn iis() -> (String, usize) {
    let mut text = String::from("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-03-02 09:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n");
    let mut fivexx = 0;
    for i in 0..N {
        let s = status(i);
        fivexx += usize::from(s >= 500);
        let tt = t(i);
        if i == N / 2 {
            text.push_str("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-03-02 09:07:00\r\n#Fields: time c-ip cs-method cs-uri-stem sc-status sc-bytes time-taken sc-win32-status date\r\n");
        }
        if i < N / 2 {
            let _ = write!(
                text,
                "{} {} 10.30.1.15 GET /api/{} id={} 443 - {} Mozilla/5.0+({}) - {s} 0 {} {}\r\n",
                tt.date,
                tt.clock,
                five(i, 7),
                five(i, 8),
                ip(i),
                five(i, 9),
                if i % 9 == 0 { 64 } else { 0 },
                five(i, 10)
            );
        } else {
            let _ = write!(
                text,
                "{} {} GET /api/{} {s} {} {} 0 {}\r\n",
                tt.clock,
                ip(i),
                five(i, 7),
                five(i, 8),
                five(i, 9),
                tt.date
            );
        }
    }
    (text, fivexx)
}

#[test]
fn exact_request_and_5xx_counts_per_file_for_a_directory_of_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for (name, layout, text, requests, fivexx) in layouts() {
        std::fs::write(dir.path().join(name), text).unwrap();
        want.push((name.to_string(), layout.to_string(), requests, fivexx));
    }
    let (text, fivexx) = iis();
    std::fs::write(dir.path().join("u_ex240302.log"), text).unwrap();
    want.push(("u_ex240302.log".into(), "iis-w3c".into(), N, fivexx));
    // An application log with request-looking numbers is no access log.
    let mut app = String::new();
    for i in 0..N {
        let tt = t(i);
        let _ = writeln!(app, "2024-03-02 {}.000  INFO 1 --- [main] c.e.Api : served GET /api/x 503 times, \"status\" 500 {}", tt.clock, five(i, 1));
    }
    std::fs::write(dir.path().join("app.log"), app).unwrap();

    let (v, _, stderr) = scan(dir.path(), &[]);
    for (name, layout, requests, fivexx) in &want {
        let http = &file(&v, name)["http"];
        assert_eq!(
            http["layout"],
            layout.as_str(),
            "{name}: {http:#}\n{stderr}"
        );
        assert_eq!(http["requests"], *requests as u64, "{name}: {http:#}");
        assert_eq!(http["by_class"]["5xx"], *fivexx as u64, "{name}: {http:#}");
    }
    assert!(file(&v, "app.log")["http"].is_null());
    // 499 is client-closed, not a failure; HAProxy TCP failures come from SC flags.
    let h = &file(&v, "combined.log")["http"];
    assert_eq!(
        h["client_closed"],
        (0..N).filter(|&i| status(i) == 499).count() as u64
    );
    assert!(h["duration_ms"].is_null());
    let tcp = &file(&v, "haproxy-tcp.log")["http"];
    assert_eq!(
        tcp["failed"],
        (0..N).filter(|&i| status(i) >= 500).count() as u64
    );
    let hp = &file(&v, "haproxy.log")["http"];
    assert!(
        hp["duration_ms"]["p99"].as_f64().unwrap() >= 500.0,
        "{hp:#}"
    );
    // Each failed request is one http-5xx-access-log hit, decided by the parsed status.
    let total5: u64 = want.iter().map(|w| w.3 as u64).sum();
    let hits: u64 = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["http"].is_null())
        .map(|f| f["hits"].as_u64().unwrap())
        .sum();
    assert!(hits >= total5, "{hits} hits < {total5} failed requests");
    // Flags explained in the traffic finding.
    let tr = &v["findings"]["traffic"];
    let flags: Vec<&Value> = tr["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["flags"].as_array().unwrap())
        .collect();
    for f in ["sH", "UF", "UH", "target_status_code -"] {
        let found = flags
            .iter()
            .find(|x| x["flag"] == f)
            .unwrap_or_else(|| panic!("flag {f}: {tr:#}"));
        assert!(found["means"].as_str().unwrap().len() > 20);
    }
}

/// ingress-nginx's default format puts `$request_length` after the user agent: healthy
/// requests whose lengths (and bytes, times, ports) are 500–599 are no user impact.
#[test]
fn ingress_request_lengths_in_500s_are_no_user_impact() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..3000 {
        let s = i * 3;
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
        let _ = writeln!(
            text,
            "2024-06-18T{:02}:{m:02}:{sec:02}.{:09}Z {} - - [18/Jun/2024:{:02}:{m:02}:{sec:02} +0000] \"GET /static/{} HTTP/2.0\" 200 {} \"https://shop.example.com/\" \"Mozilla/5.0\" {} 0.{} [shop-web-80] [] 10.0.1.22:{} {} 0.{} 200 {:032x}",
            2 + h, i * 7919 % 1_000_000_000, ip(i), 2 + h, five(i, 1), five(i, 2), five(i, 3), five(i, 4), five(i, 5), five(i, 6), five(i, 7), i
        );
    }
    std::fs::write(dir.path().join("ingress-nginx-controller.log"), text).unwrap();
    let (v, code, stderr) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}\n{:#}", v["incidents"]);
    assert_eq!(v["incidents"].as_array().unwrap().len(), 0);
    let http = &file(&v, "ingress-nginx-controller.log")["http"];
    assert_eq!(
        (http["layout"].as_str(), http["requests"].as_u64()),
        (Some("ingress-nginx"), Some(3000))
    );
    assert_eq!(http["by_class"]["5xx"], 0);
    assert_eq!(v["findings"]["traffic"]["errors"], 0);
}

/// Slowness without errors: two hours of an nginx `combined` + `$request_time
/// $upstream_response_time` log at 20–60 ms with a steady trickle of slow requests (one in
/// 300 takes 2 s), then 6 minutes where a fifth of the requests take 2–3 s. The window is
/// the traffic finding's `slow[]`, in text too; no 5xx anywhere.
#[test]
fn a_latency_jump_without_errors_is_a_slow_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..(120 * 30) {
        let s = i * 2;
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
        let minute = s / 60;
        let ms = if (60..66).contains(&minute) && i % 5 == 0 {
            2000 + (i * 37) % 1000
        } else if i % 300 == 7 {
            2000
        } else {
            20 + (i * 13) % 40
        };
        let _ = writeln!(
            text,
            "{} - - [18/Jun/2024:{:02}:{m:02}:{sec:02} +0000] \"GET /api/items/{} HTTP/1.1\" 200 {} \"-\" \"okhttp/4.12\" {}.{:03} {}.{:03}",
            ip(i), 8 + h, five(i, 1), five(i, 2), ms / 1000, ms % 1000, ms / 1000, ms % 1000
        );
    }
    std::fs::write(dir.path().join("access.log"), text).unwrap();
    let (v, _, stderr) = scan(dir.path(), &[]);
    let http = &file(&v, "access.log")["http"];
    assert_eq!(
        (http["layout"].as_str(), http["requests"].as_u64()),
        (Some("combined-timed"), Some(3600)),
        "{stderr}"
    );
    let slow = v["findings"]["traffic"]["slow"].as_array().unwrap();
    assert_eq!(slow.len(), 1, "{slow:#?}");
    assert_eq!(slow[0]["from"], "2024-06-18T09:00:00Z");
    assert_eq!(slow[0]["to"], "2024-06-18T09:06:00Z");
    assert_eq!(slow[0]["slow_minutes"], 6);
    assert_eq!(slow[0]["failed"], 0);
    assert!(slow[0]["p99_ms"].as_f64().unwrap() > 1900.0, "{slow:#?}");
    assert!(
        slow[0]["baseline_p99_ms"].as_f64().unwrap() < 100.0,
        "{slow:#?}"
    );
    let out = bin()
        .args(["scan", "--tz", "UTC"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("slow 2024-06-18 09:00 → 09:06"), "{text}");
}

/// A stack trace inside a JSON string is read unescaped: `\"Too many connections\"` and
/// the `Caused by:` line inside `stack_trace` match their signatures.
#[test]
fn json_message_fields_are_matched_unescaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..40 {
        let _ = writeln!(text, "{{\"@timestamp\":\"2024-03-02T09:00:{:02}.000Z\",\"level\":\"INFO\",\"logger_name\":\"c.e.Api\",\"message\":\"served {i}\"}}", i);
    }
    text.push_str(r#"{"@timestamp":"2024-03-02T09:00:41.000Z","level":"ERROR","logger_name":"c.e.Db","message":"query failed","stack_trace":"org.springframework.dao.DataAccessResourceFailureException: x\n\tat a.B.c(B.java:1)\nCaused by: java.sql.SQLNonTransientConnectionException: Data source rejected establishment of connection,  message from server: \"Too many connections\"\n\t... 12 common frames omitted"}"#);
    text.push('\n');
    std::fs::write(dir.path().join("app.json"), text).unwrap();
    let out = bin()
        .args(["scan", "--format", "ndjson", "--tz", "UTC"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let hit = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| {
            v["rule.id"] == "db-server-connection-limit" && v["event.dataset"] == "faultscope.hit"
        })
        .unwrap_or_else(|| panic!("no hit: {stdout}"));
    assert!(
        hit["message"]
            .as_str()
            .unwrap()
            .starts_with("Caused by: java.sql.SQLNonTransientConnectionException"),
        "{hit}"
    );
    assert_eq!(hit["@timestamp"], "2024-03-02T09:00:41Z");
}

#[test]
fn rules_add_an_access_layout_and_debug_names_the_winner() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let mut text = String::new();
    for i in 0..50 {
        let _ = writeln!(
            text,
            "2024-03-02T09:00:{:02}Z|{}|{}|/pay/{}|X{}",
            i,
            status(i),
            five(i, 1),
            five(i, 2),
            i % 2
        );
    }
    std::fs::write(logs.join("edge.log"), text).unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"access": {
            "flag_tables": {"edge": [{"flag": "X1", "server_failure": true, "means": "the edge's own upstream failure"}]},
            "layouts": [{"id": "my-edge", "title": "our edge proxy", "ref": ["internal wiki"],
                         "format": "%t|%s|%D|%U|%f", "split": "tokens",
                         "fields": ["time|status|duration_ms|path|flags"]}]}}"#,
    )
    .unwrap();
    // `|` is no separator a spec knows: a clear error naming the file and the layout.
    let out = bin()
        .args(["scan", "--rules"])
        .arg(&rules)
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.json") && err.contains("my-edge"),
        "{err}"
    );
    // Space-separated, it reads.
    let text = std::fs::read_to_string(logs.join("edge.log"))
        .unwrap()
        .replace('|', " ");
    std::fs::write(logs.join("edge.log"), text).unwrap();
    let fixed = std::fs::read_to_string(&rules).unwrap().replace(
        r#""time|status|duration_ms|path|flags""#,
        r#""time", "status", "duration_ms", "path", "flags""#,
    );
    std::fs::write(&rules, fixed).unwrap();
    let (v, _, stderr) = scan(&logs, &["--rules", rules.to_str().unwrap(), "--debug"]);
    let http = &file(&v, "edge.log")["http"];
    assert_eq!(
        (http["layout"].as_str(), http["requests"].as_u64()),
        (Some("my-edge"), Some(50)),
        "{stderr}"
    );
    assert!(
        stderr.contains("http=my-edge (prefix none; vote over 32 sampled lines: my-edge 32)"),
        "{stderr}"
    );
}

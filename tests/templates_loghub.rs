//! Grouping accuracy of the template miner on the 16 loghub-2k systems, with the single
//! built-in configuration, against the `EventId` column (ground truth) of each
//! `*_2k.log_structured.csv`, mining the `Content` column.
//!
//! Grouping accuracy (GA, Zhu et al. "Tools and Benchmarks for Automated Log Parsing",
//! ICSE-SEIP 2019; also the Drain paper's metric): a message is correctly grouped iff the
//! set of messages in its predicted group equals the set of messages of its ground-truth
//! event. GA = correctly grouped messages / all messages.
//!
//! Needs the research-licensed corpus: set `FAULTSCOPE_LOGHUB` to the `loghub` folder
//! (`.ci/run` uses `../shared/corpus/loghub`). Without it the test prints "SKIPPED" and
//! passes, or fails under CI (`tests/skip`). Run with `--nocapture` to see the table (docs/templates.md holds a copy).

mod common;

use std::collections::HashMap;
use std::path::Path;

/// The floor this implementation reaches with margin (measured 0.970; drain3 with its
/// default configuration: 0.76; the goal: 0.90).
const FLOOR_MEAN: f64 = 0.95;

/// (Content, EventId) per row.
fn load(dir: &Path, system: &str) -> Vec<(String, String)> {
    common::structured_rows(dir, system)
        .into_iter()
        .map(|r| {
            let get = |k: &str| {
                r.get(k)
                    .cloned()
                    .unwrap_or_else(|| panic!("{system}: no {k} column"))
            };
            (get("Content"), get("EventId"))
        })
        .collect()
}

/// Grouping accuracy of `pred` against `truth` (one label per message).
fn grouping_accuracy<A: std::hash::Hash + Eq, B: std::hash::Hash + Eq>(
    pred: &[A],
    truth: &[B],
) -> f64 {
    let mut truth_size: HashMap<&B, usize> = HashMap::new();
    for t in truth {
        *truth_size.entry(t).or_default() += 1;
    }
    // Per predicted group: its size and the truth labels it holds.
    let mut groups: HashMap<&A, HashMap<&B, usize>> = HashMap::new();
    for (p, t) in pred.iter().zip(truth) {
        *groups.entry(p).or_default().entry(t).or_default() += 1;
    }
    let mut correct = 0usize;
    for labels in groups.values() {
        if labels.len() == 1 {
            let (t, n) = labels.iter().next().unwrap();
            if truth_size[t] == *n {
                correct += n;
            }
        }
    }
    correct as f64 / pred.len() as f64
}

#[test]
fn grouping_accuracy_on_loghub_2k() {
    let Some(dir) = common::loghub_dir("grouping_accuracy_on_loghub_2k") else {
        return;
    };
    let dir = dir.as_path();
    println!(
        "{:<12} {:>6} {:>7} {:>10} {:>7}",
        "system", "lines", "events", "templates", "GA"
    );
    let mut sum = 0.0;
    let mut worst: Vec<(f64, &str)> = Vec::new();
    for sys in common::SYSTEMS {
        let rows = load(dir, sys);
        let msgs: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let truth: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        let (c, assign) = faultscope::analysis::templates::mine(&msgs);
        let ga = grouping_accuracy(&assign, &truth);
        let events = truth.iter().collect::<std::collections::HashSet<_>>().len();
        println!(
            "{:<12} {:>6} {:>7} {:>10} {:>7.3}",
            sys,
            rows.len(),
            events,
            c.templates.len(),
            ga
        );
        if std::env::var("FAULTSCOPE_LOGHUB_DEBUG").is_ok_and(|v| v == sys) {
            debug_groups(&rows, &c, &assign);
        }
        sum += ga;
        worst.push((ga, sys));
    }
    let mean = sum / common::SYSTEMS.len() as f64;
    println!(
        "{:<12} {:>6} {:>7} {:>10} {:>7.3}",
        "mean", "", "", "", mean
    );
    assert!(
        mean >= FLOOR_MEAN,
        "mean grouping accuracy {mean:.3} fell below the floor {FLOOR_MEAN}"
    );
}

/// Prints the wrongly grouped messages of one system (FAULTSCOPE_LOGHUB_DEBUG=<system>).
fn debug_groups(
    rows: &[(String, String)],
    c: &faultscope::analysis::templates::Clustering,
    assign: &[u32],
) {
    let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_truth.entry(r.1.as_str()).or_default().push(i);
    }
    let mut by_pred: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &p) in assign.iter().enumerate() {
        by_pred.entry(p).or_default().push(i);
    }
    let mut keys: Vec<_> = by_truth.keys().copied().collect();
    keys.sort();
    for t in keys {
        let members = &by_truth[t];
        let preds: std::collections::BTreeSet<u32> = members.iter().map(|&i| assign[i]).collect();
        let ok = preds.len() == 1 && by_pred[preds.iter().next().unwrap()].len() == members.len();
        if ok {
            continue;
        }
        println!(
            "--- truth {t} ({} msgs) split into {} groups",
            members.len(),
            preds.len()
        );
        for p in preds {
            let others = by_pred[&p].iter().filter(|&&i| rows[i].1 != t).count();
            let ex = members.iter().find(|&&i| assign[i] == p).unwrap();
            println!(
                "    pred {:>4} [{}] (+{} from other events) e.g. {}",
                p, c.templates[p as usize], others, rows[*ex].0
            );
        }
    }
}

//! Shared by the loghub tests: the 16 systems and their structured CSVs (ground truth).
//! The corpus is never copied into the repository; `FAULTSCOPE_LOGHUB` points at it.

#[path = "../skip/mod.rs"]
pub mod skip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The 16 loghub-2k systems.
pub const SYSTEMS: [&str; 16] = [
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "HPC",
    "Hadoop",
    "HealthApp",
    "Linux",
    "Mac",
    "OpenSSH",
    "OpenStack",
    "Proxifier",
    "Spark",
    "Thunderbird",
    "Windows",
    "Zookeeper",
];

/// The corpus directory, or `None` when the variable is unset (after [`skip::skip`]: the
/// test says it skipped, and fails under CI, where `.ci/run` sets the variable).
pub fn loghub_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("FAULTSCOPE_LOGHUB") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            skip::skip(
                test,
                "FAULTSCOPE_LOGHUB not set (the loghub corpus, ../shared/corpus/loghub)",
            );
            None
        }
    }
}

/// The structured CSV of one system as one map per row (header names, BOM stripped).
pub fn structured_rows(dir: &Path, system: &str) -> Vec<BTreeMap<String, String>> {
    let path = dir
        .join(system)
        .join(format!("{system}_2k.log_structured.csv"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = rd
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(|f| f.to_string()))
                .collect()
        })
        .collect()
}

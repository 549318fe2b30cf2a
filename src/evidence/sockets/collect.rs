//! Collecting the dumps to analyse: the `--sockets` files beside the dumps the scan found.
//!
//! Input: the dumps found among the scanned files ([`DumpInput`]), the `--sockets` paths,
//! the input options, the `--ephemeral-range` override and the assumed zone. Output: the
//! [`SocketsReport`] and the warnings for `--sockets` files that cannot be used.
//!
//! Tricky cases:
//! * A `--sockets` file is read through `input::open`, like every scanned file: a FIFO or
//!   device never blocks, and gzip / UTF-16 dumps (PowerShell's `netstat > f`) are decoded.
//! * The files are read apart from the analysis ([`read_socket_files`]) so a partial result
//!   can carry them to `merge`; a file also found among the scanned paths counts once.
//! * Naive capture times are read at the zone's offset around the logs' time (DST zones
//!   differ by season), so the result does not depend on when faultscope runs.
//!
//! These took their settings from `ScanConfig` before; they take the few fields they read
//! as arguments, so this stage does not import `config` (which sits above it).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{analyze, sniff, DumpInput, SocketConfig, SocketsReport};
use crate::input::InputOptions;
use crate::time::Zone;

/// One `--sockets` file as read: the dump, or why it cannot be used.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SocketFile {
    /// Path as given.
    pub path: String,
    /// The dump.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump: Option<DumpInput>,
    /// Why it is not used (a warning of the report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Analyses the socket dumps found among the scanned files plus the `--sockets` files
/// (`paths`, read with `input`). Naive times inside dumps are read in `zone`;
/// `ephemeral_range` is the `--ephemeral-range` override.
pub fn analyze_sockets(
    found: &[DumpInput],
    reference: Option<DateTime<Utc>>,
    paths: &[PathBuf],
    input: &InputOptions,
    ephemeral_range: Option<(u16, u16)>,
    zone: &Zone,
) -> (SocketsReport, Vec<String>) {
    analyze_sockets_with(
        found,
        &read_socket_files(paths, input),
        reference,
        ephemeral_range,
        zone,
    )
}

/// Reads the `--sockets` files (in the order given). Kept apart from the analysis so a
/// partial result can carry them to `merge`.
pub fn read_socket_files(paths: &[PathBuf], input: &InputOptions) -> Vec<SocketFile> {
    paths
        .iter()
        .map(|p| {
            let shown = p.display().to_string();
            // Through `input::open`, like every scanned file: a FIFO or device never
            // blocks, and gzip / UTF-16 dumps (PowerShell's `netstat > f`) are decoded.
            let read = match crate::input::open(p, input) {
                Ok(Ok(o)) => Ok(o.bytes.to_vec()),
                Ok(Err(skip)) => Err(skip.into_note()),
                Err(e) => Err(e.message),
            };
            let (dump, problem) = match read {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    if sniff(&text).is_none() {
                        let why = format!(
                            "{shown}: not a recognised netstat/ss/tasklist/ps dump (--sockets)"
                        );
                        (None, Some(why))
                    } else {
                        let mtime = std::fs::metadata(p)
                            .and_then(|m| m.modified())
                            .ok()
                            .map(chrono::DateTime::<chrono::Utc>::from);
                        let path = shown.clone();
                        (Some(DumpInput { path, text, mtime }), None)
                    }
                }
                Err(e) => (None, Some(format!("{e} (--sockets)"))),
            };
            SocketFile {
                path: shown,
                dump,
                problem,
            }
        })
        .collect()
}

/// [`analyze_sockets`] with the `--sockets` files already read.
pub fn analyze_sockets_with(
    found: &[DumpInput],
    files: &[SocketFile],
    reference: Option<DateTime<Utc>>,
    ephemeral_range: Option<(u16, u16)>,
    zone: &Zone,
) -> (SocketsReport, Vec<String>) {
    let mut inputs: Vec<DumpInput> = found.to_vec();
    let mut problems = Vec::new();
    for f in files {
        // A file also found among the scanned paths counts once.
        if inputs.iter().any(|d| d.path == f.path) {
            continue;
        }
        if let Some(d) = &f.dump {
            inputs.push(d.clone());
        }
        if let Some(p) = &f.problem {
            problems.push(p.clone());
        }
    }
    // The offset for naive capture times: the zone's offset around the logs' time (DST
    // zones differ by season), so the result does not depend on when faultscope runs.
    let offset = zone.offset_at(reference.unwrap_or(chrono::DateTime::UNIX_EPOCH));
    let report = analyze(&inputs, &SocketConfig { ephemeral_range }, offset);
    (report, problems)
}

//! Socket-state snapshots as evidence: who is exhausting the ephemeral ports?
//!
//! # Job
//! Read **saved** command output (a support engineer ran `netstat -ano > netstat.txt` or
//! `ss -tanp > ss.txt` on the sick host and shipped the file along with the logs), recognise
//! what it is, count sockets per TCP state, measure how much of the ephemeral port range is
//! held, and name the process behind the TIME_WAIT pile-up (signatures.md §12, §1).
//!
//! # Inputs and outputs
//! * Input: [`DumpInput`] (path, already-decoded text, file mtime). UTF-16 files written by
//!   PowerShell `>` must be decoded by the caller; a UTF-8 BOM and CRLF line ends are handled here.
//! * Recognised dumps ([`DumpKind`]): Windows `netstat -an/-ano/-anob` (also with localized
//!   headers and state words), Linux `netstat -tan/-tanp`, `ss -tan/-tanp/-tn` (with or without
//!   header and `Netid` column), and process tables `tasklist` (table and `/FO CSV`, `/svc`),
//!   `ps -ef`, `ps aux`. Recognition is by content ([`sniff`]), never by file name.
//! * Output: [`SocketsReport`] (serde JSON, see the field docs) and [`render_text`].
//!
//! # Tricky cases, and why the code does what it does
//! * A TIME_WAIT socket has no owner any more: Windows shows PID 0 ("System Idle Process"),
//!   Linux shows `-`. So the culprit is found by *port matching*: a TIME_WAIT whose local port is
//!   a LISTENING port is the server side of that listener; one whose foreign end is a listening
//!   port on this very host (loopback or one of our own addresses) is the client side of
//!   connections **to** that listener, and it pins one of our ephemeral ports. Everything else is
//!   grouped by remote `ip:port`.
//! * The founding case: SQL Server on the same Windows host churned connections, 15k+ TIME_WAIT
//!   `127.0.0.1:<ephemeral> -> 127.0.0.1:1433` ate the 49152–65535 range, and unrelated JVMs
//!   got `No buffer space available (maximum connections reached?): connect`. The report must
//!   say "sqlservr.exe (PID 2468) listening on 1433", which needs a process table or
//!   `netstat -b` names; without either we fall back to a well-known-port guess.
//! * Exhaustion is per destination on Linux (`connect()` only needs a unique 4-tuple), so the
//!   headline ratio is the worst remote endpoint; the global count is reported beside it.
//! * Ordinary logs mention `TIME_WAIT`/`LISTENING` too. [`sniff`] therefore demands that most
//!   sampled lines parse as rows of one format; headers, titles and timestamp lines are neutral.
//! * Parsing is tolerant: a row that cannot be parsed is counted in `malformed_rows` and skipped;
//!   nothing here returns an error or panics on hostile input (there is a proptest for that).
//! * Speed: rows are split on ASCII whitespace and parsed by hand (no regex per row); a
//!   1,000,000-row dump parses in a fraction of a second in release mode.
//!
//! # Where the code is
//! This file holds the public types; the work is in one file per step, in pipeline order:
//! * `row`: the row model (TCP states, endpoints, what one line is).
//! * `classify`: one line of a dump of a given kind → a row, a process, neutral or bad.
//! * `sniff`: which kind of dump a file is, by content ([`may_be_dump`], [`sniff`]).
//! * `stamp`: the capture time written inside a dump.
//! * `parse`: a whole dump → socket rows or a PID → name table.
//! * `analyze`: the two passes over a dump's rows and the report ([`analyze`]).
//! * `culprit`: who holds the ports: culprit groups named and ranked.
//! * `render`: the text ([`render_text`], [`culprit_sentence`]).
//! * `collect`: the `--sockets` files beside the dumps the scan found ([`SocketFile`],
//!   [`read_socket_files`], [`analyze_sockets_with`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

mod analyze;
mod classify;
mod collect;
mod culprit;
mod parse;
mod render;
mod row;
mod sniff;
mod stamp;

pub use analyze::analyze;
pub use collect::{analyze_sockets, analyze_sockets_with, read_socket_files, SocketFile};
pub use culprit::well_known_port;
pub use render::{culprit_sentence, render_text, render_text_with};
pub use sniff::{may_be_dump, sniff};

/// What a saved command output is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DumpKind {
    /// Windows `netstat -an`, `-ano`, `-anob` (any display language).
    NetstatWindows,
    /// Linux net-tools `netstat -tan` / `-tanp`.
    NetstatLinux,
    /// iproute2 `ss -tan` / `-tanp` / `-tn`, with or without header and Netid column.
    Ss,
    /// Windows `tasklist` (table format, optionally `/svc` or `/v`).
    Tasklist,
    /// Windows `tasklist /FO CSV` (optionally `/svc`).
    TasklistCsv,
    /// `ps -ef`.
    PsEf,
    /// `ps aux`.
    PsAux,
}

const ALL_KINDS: [DumpKind; 7] = [
    DumpKind::NetstatWindows,
    DumpKind::NetstatLinux,
    DumpKind::Ss,
    DumpKind::Tasklist,
    DumpKind::TasklistCsv,
    DumpKind::PsEf,
    DumpKind::PsAux,
];

impl DumpKind {
    /// The serde name, e.g. `"netstat-windows"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DumpKind::NetstatWindows => "netstat-windows",
            DumpKind::NetstatLinux => "netstat-linux",
            DumpKind::Ss => "ss",
            DumpKind::Tasklist => "tasklist",
            DumpKind::TasklistCsv => "tasklist-csv",
            DumpKind::PsEf => "ps-ef",
            DumpKind::PsAux => "ps-aux",
        }
    }

    /// True for process tables (tasklist, ps), false for socket dumps.
    pub fn is_process_table(self) -> bool {
        !matches!(
            self,
            DumpKind::NetstatWindows | DumpKind::NetstatLinux | DumpKind::Ss
        )
    }

    fn is_windows(self) -> bool {
        matches!(
            self,
            DumpKind::NetstatWindows | DumpKind::Tasklist | DumpKind::TasklistCsv
        )
    }

    /// OS default dynamic port range: Windows Vista+ 49152–65535, Linux
    /// `ip_local_port_range` 32768–60999 (signatures.md §12 table).
    pub fn default_ephemeral_range(self) -> (u16, u16) {
        if self.is_windows() {
            (49152, 65535)
        } else {
            (32768, 60999)
        }
    }
}

/// Analysis knobs.
#[derive(Debug, Clone, Default)]
pub struct SocketConfig {
    /// Override of the ephemeral range (inclusive); `None` = the OS default of the dump kind.
    pub ephemeral_range: Option<(u16, u16)>,
}

/// One file handed to [`analyze`] (also carried by partial results).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DumpInput {
    /// Path as shown to the user.
    pub path: String,
    /// The dump's text (already decoded).
    pub text: String,
    /// File modification time: the snapshot time when the file carries none.
    pub mtime: Option<DateTime<Utc>>,
}

/// Where a snapshot's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// A timestamp line inside the file (`date`, ISO line, `date /t` + `time /t`).
    File,
    /// The file's modification time passed by the caller.
    Mtime,
}

/// How a culprit's process name was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessSource {
    /// PID looked up in a `tasklist` table or CSV.
    Tasklist,
    /// PID looked up in a `ps -ef` / `ps aux` table.
    Ps,
    /// `[image.exe]` line of `netstat -b`.
    NetstatB,
    /// `PID/Program name` column of Linux `netstat -p`.
    NetstatP,
    /// `users:(("name",pid=…))` of `ss -p`.
    SsP,
    /// Only a guess from the port number (1433 → SQL Server, …).
    WellKnownPort,
}

/// Which end of the connections a culprit's TIME_WAIT sockets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Our client sockets to a listener on this same host; each pins one ephemeral port.
    ClientToListener,
    /// The listener closed first, so the TIME_WAIT sits on its side.
    ServerSide,
    /// Connections to another host, grouped by remote `ip:port`.
    Remote,
}

/// A process (or remote endpoint) ranked by the TIME_WAIT sockets attributed to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Culprit {
    /// Listening port (client-to-listener, server-side) or remote port (remote).
    pub port: u16,
    /// PID of the listener (client-to-listener, server-side) or of the one local program
    /// connecting to the remote endpoint (remote), when known.
    pub pid: Option<u32>,
    /// Process name (or a well-known-port service label): the listener's, or for a remote
    /// endpoint the local client's when one program owns its connections.
    pub process: Option<String>,
    /// How the name was learned.
    pub process_source: Option<ProcessSource>,
    /// TIME_WAIT sockets attributed.
    pub time_wait: usize,
    /// ESTABLISHED sockets attributed.
    pub established: usize,
    /// Distinct ephemeral ports of this host held by this group ÷ range size.
    pub share: f64,
    /// Most of the TIME_WAIT sockets are loopback ↔ loopback.
    pub loopback: bool,
    /// Which end of the connections holds the TIME_WAIT sockets.
    pub side: Side,
    /// Remote `ip:port` (only for `side: "remote"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// What the remote endpoint's port usually serves (a guess from the port number, only
    /// for `side: "remote"`): `process` then names the local client doing the churning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_service: Option<String>,
    /// Distinct ephemeral ports counted in `share`.
    pub ephemeral_ports: usize,
    /// Owners of the ESTABLISHED client sockets of this group (from `-b`/`-p`/PID + table):
    /// for a local listener these are the processes doing the churning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
}

/// TIME_WAIT / ESTABLISHED counts toward one remote endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteEndpoint {
    /// `ip:port`.
    pub endpoint: String,
    /// TIME_WAIT sockets toward it.
    pub time_wait: usize,
    /// ESTABLISHED sockets toward it.
    pub established: usize,
}

/// Analysis of one socket dump.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Dump file.
    pub path: String,
    /// When the snapshot was taken.
    pub time: Option<DateTime<Utc>>,
    /// Where that time came from.
    pub time_source: Option<TimeSource>,
    /// Dump format.
    pub kind: DumpKind,
    /// TCP sockets per normalized state (LISTENING, ESTABLISHED, TIME_WAIT, …; unknown
    /// localized words are kept as written).
    pub states: BTreeMap<String, usize>,
    /// Ephemeral port range assumed (inclusive).
    pub ephemeral_range: (u16, u16),
    /// Worst remote endpoint: distinct local ephemeral ports held (TIME_WAIT + ESTABLISHED)
    /// toward it ÷ range size.
    pub ephemeral_in_use_ratio: f64,
    /// Distinct local ephemeral ports held (TIME_WAIT + ESTABLISHED) toward any destination.
    pub ephemeral_in_use: usize,
    /// Ranked by TIME_WAIT held.
    pub culprits: Vec<Culprit>,
    /// TCP rows parsed.
    pub rows: usize,
    /// UDP rows (no TCP state; counted apart).
    pub udp_rows: usize,
    /// Rows skipped because they did not parse.
    pub malformed_rows: usize,
    /// Busiest remote endpoints.
    pub top_remote_endpoints: Vec<RemoteEndpoint>,
}

/// A process table found among the inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessTableSummary {
    /// Table file.
    pub path: String,
    /// Table format.
    pub kind: DumpKind,
    /// Number of processes listed.
    pub processes: usize,
}

/// Everything [`analyze`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SocketsReport {
    /// One per netstat/ss dump.
    pub snapshots: Vec<Snapshot>,
    /// Process tables used for PID → name.
    pub process_tables: Vec<ProcessTableSummary>,
}

// Shared by the unit tests of the files above (sample dumps and helpers).
#[cfg(test)]
mod fixtures;

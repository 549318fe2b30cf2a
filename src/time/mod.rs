//! Timestamps: find them in a log line, parse them, and turn them into UTC instants under an
//! explicit zone rule.
//!
//! Input is one physical line (bytes, `\r` already stripped or not). Output is a
//! [`RawStamp`]: the wall-clock reading plus what the text said about its zone
//! ([`StampZone`]: nothing, an explicit offset, UTC, or an abbreviation such as `CST`) and
//! what it lacks ([`Partial`]: the year for syslog/klog/logcat, the date for time-only
//! stamps, a wall clock for JVM uptime). A per-file [`FileTime`] fills in what is missing
//! (year from the file's mtime or `--year`, date from the file name) and [`ZoneRule::resolve`]
//! turns the result into an instant plus the *provenance* of the offset used (explicit /
//! flag / alias / default local), because a timeline is only as trustworthy as the zone
//! assumption under it (the founding case ends with `Sun Jun 30 12:46:00 CST 2019` re-read
//! as US Central: 14 h off).
//!
//! Tricky cases handled here (see `shared/reference/timestamps.md`):
//! - `boot-logback` (`.452`), `comma-millis` (`,452`), `mssql-errorlog` (`.45`), `pg-prefix`
//!   (`… CST [123]`), `iis-w3c` (`… 10.0.0.5 GET`), `cri` (`…Z stdout F`) and ISO 8601 share
//!   a prefix: one parser reads them all and the *shape* names the format.
//! - `nginx-error` and Go `log` both start `yyyy/MM/dd HH:mm:ss`; Spark writes `yy/MM/dd`.
//! - Access logs carry the stamp after the client address: `[21/Aug/2019:08:00:01 +0800]`.
//! - Some files put the stamp after other fields (OpenStack: a file name; HPC: epoch
//!   seconds in the 5th column): detection learns a per-file [`Layout`] (format + fields to
//!   skip).
//! - JSON lines keep the time in a field (`@timestamp`, `timestamp`, `time`, `ts`, ...) as an
//!   RFC 3339 string (possibly naive) or an epoch number whose unit is told by magnitude.
//! - Ambiguous abbreviations (CST, IST, BST, ...) are never guessed: they need an alias.
//! - HDFS `yyMMdd HHmmss` and bare `HH:mm:ss` are only accepted per file (six-digit pairs
//!   and clock times are common in messages), never by the per-line fallback.
//!
//! Detection is per file ([`detect_file`]) on the first stamped lines; a line the detected
//! format does not read is retried with every column-0 format (per-line fallback, for mixed
//! stdout files).
//!
//! The module is a face: the code is split by job, and every item is re-exported here, so
//! callers name `crate::time::X` whatever file `X` lives in.
//! - `format`: [`Format`], [`StampZone`], [`Partial`], [`RawStamp`].
//! - `bytes`: the digit, month, fraction and offset readers every parser shares.
//! - `parse`: [`parse_with`], the per-line fallback [`parse_any`] and the per-line shape
//!   checks; the readers in `parse/iso.rs`, `parse/fields.rs` and `parse/syslog.rs`.
//! - `detect`: [`Layout`], [`detect_file`].
//! - `prepass` and `context`: [`FileTime`], the year, date and clock of one file.
//! - `zone`: [`Zone`], [`ZoneRule`], [`ZoneReason`], [`Resolved`], the abbreviation tables.
//! - `fmt`: [`rfc3339`], [`push_rfc3339`], [`parse_duration`].

mod bytes;
mod context;
mod detect;
mod fmt;
mod format;
mod multiline;
mod parse;
mod prepass;
mod zone;

pub use context::{FileTime, FileTimeInput, Inference, SAMPLE_BYTES};
pub use detect::{detect, detect_file, Detected, Layout};
pub use fmt::{parse_duration, push_rfc3339, rfc3339};
pub use format::{Format, Partial, RawStamp, StampZone, PLACEHOLDER_YEAR};
pub use parse::{
    epoch_text, epoch_to_utc, may_start_stamp, parse_any, parse_json_kind, parse_json_line,
    parse_with, quick_any, quick_shape, skip_fields, space_bracket,
};
pub use zone::{
    abbrev_examples, ambiguous_abbrev, ambiguous_candidates, builtin_abbrev, default_zone, tz_env,
    Resolved, Zone, ZoneReason, ZoneRule,
};

//! Detection: how a file's stamps are written, learned per file from a sample of its first
//! lines ([`detect_file`]). The answer is one to three [`Layout`]s (a format after `skip`
//! leading fields), most votes first.
//!
//! Input: a sample of a file's bytes and how many stamped lines vote. Output: [`Detected`]:
//! the layouts, SQL Server's `UTC adjustment:` offset when the file states one, and the
//! number of sample lines looked at.
//!
//! Tricky cases:
//! - Continuation lines do not vote; a line the detected format does not read is later
//!   retried with every column-0 format (the per-line fallback, for mixed stdout files).
//! - Some files put the stamp after other fields (OpenStack: a file name; HPC: epoch seconds
//!   in the 5th column); after leading fields only full dates count (year-less and JSON
//!   shapes are too weak to trust away from column 0).
//! - HDFS `yyMMdd HHmmss`, epoch columns and bare `HH:mm:ss` are only accepted per file
//!   (six-digit pairs and clock times are common in messages), never by the per-line
//!   fallback.
//! - IIS directives (`#Software: Microsoft Internet Information Services`, `#Fields: date
//!   time`) make `date time` rows UTC.

use super::format::{Format, Partial, RawStamp};
use super::parse::more::{cell, parse_table, table_header};
use super::parse::syslog::{parse_epoch_field, parse_hdfs, parse_time_only};
use super::parse::{
    fields::parse_clf_line, may_start_stamp, parse_any, parse_with, quick_shape, skip_fields,
    strip_line,
};
use chrono::FixedOffset;
use std::fmt;

/// Where and how a file's stamps are read: a format, after `skip` leading fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Layout {
    /// The format.
    pub format: Format,
    /// Whitespace-separated fields before the stamp (OpenStack: 1, HPC epoch column: 4).
    pub skip: u8,
}

impl Layout {
    /// A layout with the stamp at column 0.
    pub fn at0(format: Format) -> Layout {
        Layout { format, skip: 0 }
    }

    /// Parses the stamp of one line in this layout.
    #[inline]
    pub fn parse(&self, line: &[u8]) -> Option<RawStamp> {
        match self.table() {
            Some(delim) => parse_table(strip_line(line), delim, self.skip as usize),
            None => parse_with(self.format, skip_fields(strip_line(line), self.skip)?),
        }
    }

    /// Syntactic header check in this layout.
    #[inline]
    pub fn quick(&self, line: &[u8]) -> bool {
        if let Some(delim) = self.table() {
            return cell(strip_line(line), delim, self.skip as usize)
                .is_some_and(|c| c.first().is_some_and(u8::is_ascii_digit));
        }
        match skip_fields(strip_line(line), self.skip) {
            Some(b) => quick_shape(self.format, b),
            None => false,
        }
    }

    /// For a table's time column, its delimiter (the layout's `skip` is then the column).
    fn table(&self) -> Option<u8> {
        match self.format {
            Format::CsvColumn => Some(b','),
            Format::TsvColumn => Some(b'\t'),
            _ => None,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.table().is_some() {
            return write!(f, "{} (column {})", self.format, self.skip as usize + 1);
        }
        match self.skip {
            0 => write!(f, "{}", self.format),
            1 => write!(f, "{} after 1 field", self.format),
            n => write!(f, "{} after {n} fields", self.format),
        }
    }
}

/// What detection learned about a file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detected {
    /// Layouts, most votes first (several for mixed files); empty: no stamps found.
    pub layouts: Vec<Layout>,
    /// SQL Server `UTC adjustment: 5:30` seen: the file's offset.
    pub utc_adjustment: Option<FixedOffset>,
    /// Non-empty sample lines looked at (continuation and `#` lines included).
    pub lines: usize,
}

/// Lines of a sample, `\r` and a BOM stripped, empty lines skipped.
fn sample_lines(sample: &[u8]) -> impl Iterator<Item = &[u8]> {
    // memchr, not `slice::split`, whose byte-at-a-time predicate loop was 70 % of format
    // detection on the 100,000-file bench corpus (detection reads every line of a small
    // file). Same pieces as `split(b'\n')`, the last one included.
    let mut rest = Some(sample);
    std::iter::from_fn(move || {
        let r = rest?;
        Some(match memchr::memchr(b'\n', r) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                &r[..i]
            }
            None => {
                rest = None;
                r
            }
        })
    })
    .map(|l| strip_line(l.strip_suffix(b"\r").unwrap_or(l)))
    .filter(|l| !l.is_empty())
}

/// Detects how a file's stamps are written from a sample of its first lines.
///
/// Each of the first `max_lines` stamped lines votes for the layout that reads it
/// (continuation lines do not vote): column-0 formats first, then CLF anywhere in the line,
/// then column-0 formats after 1-4 leading fields (OpenStack). Formats that are only safe per
/// file decide afterwards: HDFS when every line reads as HDFS, an epoch column when every
/// line has a plausible epoch in the same field (HPC), time-only when nothing else reads.
/// IIS directives (`#Software: Microsoft Internet Information Services`, `#Fields: date
/// time`) make `date time` rows UTC.
pub fn detect_file(sample: &[u8], max_lines: usize) -> Detected {
    detect_file_keeping(sample, max_lines, |_, _, _| {})
}

/// [`detect_file`], calling `keep(line, layout, stamp)` for every line that voted: the line
/// (a slice of `sample`, `\r` and BOM stripped), the layout it voted for and the stamp that
/// layout reads there.
pub(super) fn detect_file_keeping<'s>(
    sample: &'s [u8],
    max_lines: usize,
    mut keep: impl FnMut(&'s [u8], Layout, RawStamp),
) -> Detected {
    // (layout, votes): a file has one to three layouts, so a vector searched in place (one
    // allocation) rather than a map (a node per file, and a second collection to rank).
    let mut votes: Vec<(Layout, usize)> = Vec::new();
    let mut heads = 0usize; // non-continuation lines seen
    let mut hdfs = 0usize;
    let mut consumed = 0usize; // sample lines looked at (the second pass reads the same)
    let mut iis = false;
    let mut adjustment = None;
    // SQL Server's `UTC adjustment:` line, looked for in the lines only when the sample holds
    // the words at all: one search instead of one per line (the per-line searches were
    // 1.5% of the CPU of a scan of the bench's 100,000 small files).
    let adjustment_possible = UTC_ADJUSTMENT.find(sample).is_some();
    let mut voted = 0usize;
    // A CSV/TSV export with a header naming its time column (Event Viewer, Get-WinEvent):
    // its rows are read at that column.
    let table = sample_lines(sample)
        .find(|l| l[0] != b'#')
        .and_then(table_header)
        .map(|(delim, col)| {
            let format = if delim == b'\t' {
                Format::TsvColumn
            } else {
                Format::CsvColumn
            };
            Layout {
                format,
                skip: col.min(255) as u8,
            }
        });
    for line in sample_lines(sample).take(max_lines.max(1) * 4) {
        if voted >= max_lines {
            break;
        }
        consumed += 1;
        if line[0] == b'#' {
            iis |= line.starts_with(b"#Software: Microsoft Internet Information Services")
                || line.starts_with(b"#Fields: date time");
            continue;
        }
        if adjustment.is_none() && adjustment_possible {
            adjustment = utc_adjustment(line);
        }
        if line[0].is_ascii_whitespace() {
            continue;
        }
        heads += 1;
        // HDFS only counts when every head reads as HDFS: after one miss, stop trying.
        if hdfs + 1 == heads && parse_hdfs(line).is_some() {
            hdfs += 1;
        }
        let mut found = table.and_then(|l| l.parse(line).map(|st| (l, st)));
        if found.is_none() && may_start_stamp(line) {
            found = parse_any(line).map(|(st, f)| (Layout::at0(f), st));
        }
        // A relay's header before the device's own stamp (a syslog relay, a firewall's
        // forwarded line): the inner stamp is the event's time.
        if let Some((l, st)) = &found {
            if let Some(inner) = relay_inner(line, l.format, st) {
                found = Some(inner);
            }
        }
        if found.is_none() {
            found = parse_clf_line(line).map(|st| (Layout::at0(Format::Clf), st));
        }
        if found.is_none() {
            for k in 1..=4u8 {
                let Some(rest) = skip_fields(line, k) else {
                    break;
                };
                if !may_start_stamp(rest) {
                    continue;
                }
                if let Some((st, f)) = parse_any(rest) {
                    // Only full dates after leading fields: year-less and JSON shapes are too
                    // weak to trust away from column 0.
                    if st.partial == Partial::Full
                        && !matches!(
                            f,
                            Format::Clf
                                | Format::JsonLines
                                | Format::JsonEpoch
                                | Format::DockerJson
                        )
                    {
                        found = Some((Layout { format: f, skip: k }, st));
                        break;
                    }
                }
            }
        }
        if let Some((l, st)) = found {
            match votes.iter_mut().find(|(v, _)| *v == l) {
                Some((_, n)) => *n += 1,
                None => votes.push((l, 1)),
            }
            voted += 1;
            keep(line, l, st);
        }
    }
    let ranked = rank_votes(votes, heads, hdfs, sample, consumed);
    let layouts = pick_layouts(ranked, iis);
    Detected {
        layouts,
        utc_adjustment: adjustment,
        lines: consumed,
    }
}

/// The stamp a relay forwarded: right after the header stamp and one host token
/// (`Jun 14 15:16:02 relay01 Jun 14 15:16:01 fw01 sshd[1]: …`, `2024-05-14T09:47:16+02:00
/// relay01 Apr 15 2013 09:36:50: %ASA-4-106023: …`). Only a full date, or a year-less
/// syslog stamp under a syslog header, counts.
fn relay_inner(line: &[u8], outer: Format, outer_st: &RawStamp) -> Option<(Layout, RawStamp)> {
    let header_tokens = match outer {
        Format::Syslog3164 => 3,
        Format::Iso8601Offset | Format::JournalShortIso | Format::Iso8601Naive => 1,
        _ => return None,
    };
    let rest = skip_fields(line, header_tokens + 1)?;
    if !may_start_stamp(rest) {
        return None;
    }
    let (st, f) = parse_any(rest)?;
    let ok = st.partial == Partial::Full
        || (f == Format::Syslog3164 && outer_st.partial == Partial::NoYear);
    ok.then_some((
        Layout {
            format: f,
            skip: header_tokens + 1,
        },
        st,
    ))
}

/// Detection's ranking step: the votes of [`detect_file_keeping`], most votes first, with the
/// per-file formats decided: HDFS when every head read as HDFS, else, when the votes are
/// weak, an epoch column or time-only stamps. `heads`: non-continuation lines seen;
/// `consumed`: sample lines looked at.
fn rank_votes(
    votes: Vec<(Layout, usize)>,
    heads: usize,
    hdfs: usize,
    sample: &[u8],
    consumed: usize,
) -> Vec<(Layout, usize)> {
    let mut ranked = votes;
    // Most votes first; ties go to the more specific format (enum order), then fewer skips
    // (layouts are distinct: a total order, whatever order they were met in).
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top = ranked.first().map_or(0, |r| r.1);
    if heads > 0 && hdfs == heads {
        ranked = vec![(Layout::at0(Format::Hdfs), hdfs)];
    } else if top * 2 < heads {
        // Epoch columns and time-only stamps only matter when the votes are weak: the head
        // lines are read for them again here, not on every file (most files vote clearly;
        // perf on the 100,000-file bench corpus: ~1% of the scan's CPU).
        let mut time_only = 0usize;
        let mut epoch_cols = [0usize; 8];
        let head_lines = sample_lines(sample)
            .take(consumed)
            .filter(|l| l[0] != b'#' && !l[0].is_ascii_whitespace());
        for line in head_lines {
            if parse_time_only(line).is_some() {
                time_only += 1;
            }
            for (k, field) in line
                .split(|&c| c == b' ')
                .filter(|f| !f.is_empty())
                .take(epoch_cols.len())
                .enumerate()
            {
                if parse_epoch_field(field).is_some() {
                    epoch_cols[k] += 1;
                }
            }
        }
        if let Some(f) = super::multiline::detect(sample) {
            // JSON pretty-printed over several lines, `wevtutil` text: the stamp is in the
            // record, not on its first line.
            ranked.insert(0, (Layout::at0(f), heads));
        } else if let Some(k) = (0..epoch_cols.len()).find(|&k| heads > 0 && epoch_cols[k] == heads)
        {
            ranked.insert(
                0,
                (
                    Layout {
                        format: Format::EpochColumn,
                        skip: k as u8,
                    },
                    heads,
                ),
            );
        } else if time_only > 0 && time_only * 2 >= heads {
            ranked.insert(0, (Layout::at0(Format::TimeOnly), time_only));
        }
    }
    ranked
}

/// Detection's last step: the ranked layouts with at least a fifth of the top votes (at most
/// three), `date time` rows made UTC when the file has IIS directives.
fn pick_layouts(ranked: Vec<(Layout, usize)>, iis: bool) -> Vec<Layout> {
    let top = ranked.first().map_or(0, |r| r.1);
    let mut layouts: Vec<Layout> = ranked
        .into_iter()
        .filter(|(_, n)| *n * 5 >= top && *n > 0)
        .map(|(l, _)| l)
        .take(3)
        .collect();
    if iis {
        for l in &mut layouts {
            if l.skip == 0 && matches!(l.format, Format::DateTimeSeconds | Format::BootLogback) {
                l.format = Format::IisW3c;
            }
        }
        layouts.dedup();
    }
    layouts
}

/// The words of SQL Server's `UTC adjustment:` line. A finder built once, not per call
/// (perf on the 100,000-file bench corpus: building it was 1.5% of the scan's CPU).
static UTC_ADJUSTMENT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"UTC adjustment: "));

/// SQL Server's startup line `… Server      UTC adjustment: 5:30` (or `-5:00`).
fn utc_adjustment(line: &[u8]) -> Option<FixedOffset> {
    let i = UTC_ADJUSTMENT.find(line)?;
    let rest = std::str::from_utf8(&line[i + 16..]).ok()?.trim();
    let (sign, rest) = match rest.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, rest.strip_prefix('+').unwrap_or(rest)),
    };
    let (h, m) = rest.split_once(':')?;
    let h: i32 = h.trim().parse().ok()?;
    let m: i32 = m.trim().get(..2)?.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Detects the dominant format of a file from a sample of its first lines (the first
/// layout of [`detect_file`]).
pub fn detect(sample: &[u8], max_lines: usize) -> Option<Format> {
    detect_file(sample, max_lines)
        .layouts
        .first()
        .map(|l| l.format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_prefers_majority() {
        let sample = b"2019-08-21 08:00:04.053  INFO 1 --- [main] a : b\n\tat x\n2019-08-21 08:00:05.053  INFO 1 --- [main] a : b\n";
        assert_eq!(detect(sample, 50), Some(Format::BootLogback));
        assert_eq!(detect(b"no stamps here\nnone\n", 50), None);
    }
}

//! A file's time context for a stream read window by window (`scan::stream`).
//!
//! Input: the context of the previous window and the next window's bytes (the end of the
//! previous window, kept for record walk-back, then new bytes). Output: the context for
//! the next window, in its own offsets.
//!
//! A stream's offsets restart with every window, and its end is not known while it is
//! read, so what `FileTime::learn` takes from the whole file is carried forward instead:
//! - stamps read at detection belong to the first window's offsets: dropped;
//! - year-less (syslog) and time-only stamps: the New Years / new days are found again in
//!   each window (the same syntactic pre-pass, over the window), and the year or date in
//!   force where the previous window stopped scanning carries on from there. The first
//!   window's last record is anchored as a file's last record is (its "mtime" is the time
//!   the stream is read; `--year` names the year of that record).
//! - Uptime anchors and the zone need nothing.

use super::{Base, FileTime};
use crate::time::prepass::{prepass, Kind};
use chrono::Duration;

impl FileTime {
    /// The context for the next window of a stream. `prev_end` (an offset of this
    /// window's bytes, where its scan stopped) is byte `scan_start` of `buf`, the next
    /// window.
    pub fn next_window(&self, prev_end: usize, buf: &[u8], scan_start: usize) -> FileTime {
        let mut ft = self.clone();
        ft.head = Vec::new();
        let kind = match self.base {
            Base::Year(_) => Kind::Year,
            Base::Date(_) => Kind::Day,
            Base::None | Base::Anchor(_) => return ft,
        };
        let Some(layout) = self.layouts.first().copied() else {
            return ft;
        };
        // Periods begun before `prev_end`, counted from this window's base.
        let carried = self.period(prev_end) as i64;
        ft.periods = prepass(buf, std::slice::from_ref(&(0..buf.len())), layout, kind).boundaries;
        // The new base puts the period in force at `scan_start` where it was.
        let shift = carried - ft.period(scan_start) as i64;
        ft.base = match self.base {
            Base::Year(y0) => Base::Year(y0 + shift as i32),
            Base::Date(d0) => Base::Date(d0 + Duration::days(shift)),
            ref other => other.clone(),
        };
        ft
    }
}

#[cfg(test)]
mod tests {
    use crate::time::{FileTime, FileTimeInput, Resolved, Zone, ZoneReason, ZoneRule};

    fn utc() -> ZoneRule {
        ZoneRule {
            zone: Zone::parse("UTC").unwrap(),
            reason: ZoneReason::Flag,
            aliases: Default::default(),
        }
    }

    fn year_at(ft: &FileTime, buf: &[u8], at: usize) -> i32 {
        let le = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |i| at + i);
        let (st, _) = ft.parse_line(&buf[at..le]).unwrap();
        match ft.resolve(&st, at) {
            Resolved::At(t, _) => chrono::Datelike::year(&t),
            other => panic!("{other:?}"),
        }
    }

    /// A syslog stream crossing New Year in its second window: read window by window, every
    /// record gets the year it gets when the same bytes are one file.
    #[test]
    fn years_carry_across_windows_as_in_the_whole_file() {
        let mut text = String::new();
        for (m, d) in [("Dec", 30), ("Dec", 31), ("Jan", 1), ("Jan", 2), ("Feb", 3)] {
            for h in 0..40 {
                text.push_str(&format!(
                    "{m} {d:2} {:02}:{:02}:00 host sshd[1]: line\n",
                    h % 24,
                    h
                ));
            }
        }
        let buf = text.as_bytes();
        let input = FileTimeInput {
            path: "x",
            name: "x",
            year: Some(2020),
            ..Default::default()
        };
        let whole = FileTime::learn(buf, std::slice::from_ref(&(0..buf.len())), &input, utc());
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', buf).map(|i| i + 1))
            .filter(|&p| p < buf.len())
            .collect();
        let want: Vec<i32> = starts.iter().map(|&p| year_at(&whole, buf, p)).collect();
        assert_eq!(want.first(), Some(&2019));
        assert_eq!(want.last(), Some(&2020));
        // Windows: [0, a) then [a - ctx, b) then [b - ctx, end), contexts kept.
        let cut = |i: usize| starts[i];
        let (a, b) = (cut(60), cut(130));
        // The first window is learnt as a stream learns it: its last record anchors the
        // year, so anchor it at the year the whole file gives that record.
        let first = &buf[..a];
        let y_last_first = want[59];
        let ft1 = FileTime::learn(
            first,
            std::slice::from_ref(&(0..first.len())),
            &FileTimeInput {
                year: Some(y_last_first),
                ..input.clone()
            },
            utc(),
        );
        let mut got: Vec<i32> = starts[..60]
            .iter()
            .map(|&p| year_at(&ft1, first, p))
            .collect();
        let ctx1 = cut(50);
        let w2 = &buf[ctx1..b];
        let ft2 = ft1.next_window(a, w2, a - ctx1);
        got.extend(starts[60..130].iter().map(|&p| year_at(&ft2, w2, p - ctx1)));
        let ctx2 = cut(120);
        let w3 = &buf[ctx2..];
        let ft3 = ft2.next_window(b - ctx1, w3, b - ctx2);
        got.extend(starts[130..].iter().map(|&p| year_at(&ft3, w3, p - ctx2)));
        assert_eq!(got, want);
    }
}

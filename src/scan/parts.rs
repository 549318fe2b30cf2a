//! One file, several services: the parts of a file whose records belong to different
//! services (a journal's units, a cluster-info dump's containers, an events dump's objects).
//!
//! Input: the [`Part`]s `input` found (where each service's run of the bytes starts), the
//! file's [`Source`] and the `--service` rules. Output: the parts the scan cuts the file
//! into ([`effective`]), and after the scan, the file list with one [`FileScan`] per part
//! and every hit and unknown record pointing at its part ([`flatten`]).
//!
//! How: each part is scanned like a file of its own (its chunks never cross a part's
//! start, so every counter, minute and first/last time is the part's), and reported as a
//! row of the files table with the same path and its own service. `scan_file` returns the
//! first part with the others in [`FileScan::split`]; [`flatten`] puts them after it in the
//! file list. Hits carry their file's index and their byte offset: the offset names the
//! part. The new indexes keep the old order (a file's parts follow it), so the bounded
//! stores' choices and the deterministic orders do not change.
//!
//! Tricky cases: a `--service` rule that matches the file wins over the parts (the user
//! said what the file is); a single part only renames the file's service; a first part
//! that does not start at byte 0 gets a part of the file's own service before it.

use super::output::{FileScan, Hit};
use crate::config::ScanConfig;
use crate::input::discover::Source;
use crate::input::Part;
use std::sync::Arc;

/// The parts to scan (`start`, service), or none when the file is one service: then
/// `service` is set to the single part's service, if it names one.
pub(super) fn effective(
    parts: Vec<Part>,
    src: &Source,
    cfg: &ScanConfig,
    service: &mut Arc<str>,
) -> Vec<(usize, Arc<str>)> {
    if parts.is_empty()
        || cfg
            .discover
            .services
            .iter()
            .any(|r| r.matches(&src.path, &src.relative))
    {
        return Vec::new();
    }
    let mut out: Vec<(usize, Arc<str>)> = Vec::with_capacity(parts.len() + 1);
    if parts[0].start > 0 {
        out.push((0, service.clone()));
    }
    for p in parts {
        let name: Arc<str> = match p.service {
            Some(s) if !s.trim().is_empty() => s.trim().into(),
            _ => service.clone(),
        };
        match out.last_mut() {
            // Same service again, or an empty part: one run.
            Some(last) if last.1 == name || last.0 == p.start => {
                last.1 = name;
            }
            _ => out.push((p.start, name)),
        }
    }
    if out.len() == 1 {
        *service = out.pop().map_or_else(|| service.clone(), |p| p.1);
    }
    out
}

/// Old file index → new index of its first part, and the later parts' start offsets for
/// the files that were split.
pub struct Remap {
    base: Vec<u32>,
    starts: Vec<Vec<u64>>,
}

impl Remap {
    /// The new file index of a hit or record at `offset` of old file `file`.
    fn index(&self, file: u32, offset: u64) -> u32 {
        let starts = &self.starts[file as usize];
        self.base[file as usize] + starts.partition_point(|&s| s <= offset) as u32
    }

    /// The new index of old file `file`'s first part.
    pub fn first(&self, file: usize) -> usize {
        self.base[file] as usize
    }

    /// Points hits at their part.
    pub fn hits(&self, hits: &mut [Hit]) {
        for h in hits {
            h.file = self.index(h.file, h.offset);
        }
    }
}

/// Puts every file's later parts after it; `None` when no file was split (nothing moves).
pub fn flatten(files: &mut Vec<FileScan>) -> Option<Remap> {
    if files.iter().all(|f| f.split.is_empty()) {
        return None;
    }
    let mut base = Vec::with_capacity(files.len());
    let mut starts = Vec::with_capacity(files.len());
    let mut out =
        Vec::with_capacity(files.len() + files.iter().map(|f| f.split.len()).sum::<usize>());
    for mut f in std::mem::take(files) {
        let split = std::mem::take(&mut f.split);
        base.push(out.len() as u32);
        starts.push(split.iter().map(|(s, _)| *s).collect::<Vec<u64>>());
        out.push(f);
        out.extend(split.into_iter().map(|(_, p)| p));
    }
    let remap = Remap { base, starts };
    // Unknown records travel in their part's `FileScan`; only their file index changes.
    for (i, f) in out.iter_mut().enumerate() {
        f.unknown.map_files(|_| i as u32);
    }
    *files = out;
    Some(remap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(path: &str, svc: &str, split: Vec<(u64, FileScan)>) -> FileScan {
        FileScan {
            path: path.into(),
            service: svc.into(),
            split,
            ..Default::default()
        }
    }

    #[test]
    fn parts_follow_their_file_and_hits_follow_offsets() {
        let mut files = vec![
            fs("a", "a", vec![]),
            fs(
                "j",
                "nginx",
                vec![(100, fs("j", "api", vec![])), (250, fs("j", "db", vec![]))],
            ),
            fs("z", "z", vec![]),
        ];
        let r = flatten(&mut files).unwrap();
        let names: Vec<&str> = files.iter().map(|f| &*f.service).collect();
        assert_eq!(names, ["a", "nginx", "api", "db", "z"]);
        let hit = |file, offset| Hit {
            file,
            sig: 0,
            offset,
            line: 1,
            record: offset,
            time: None,
            level: None,
            excerpt: "".into(),
        };
        let mut hits = vec![
            hit(0, 5),
            hit(1, 0),
            hit(1, 99),
            hit(1, 100),
            hit(1, 300),
            hit(2, 7),
        ];
        r.hits(&mut hits);
        let got: Vec<u32> = hits.iter().map(|h| h.file).collect();
        assert_eq!(got, [0, 1, 1, 2, 3, 4]);
        let mut plain = vec![fs("a", "a", vec![])];
        assert!(flatten(&mut plain).is_none());
    }
}

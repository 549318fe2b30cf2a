//! Discovery: turns the paths a user typed into the list of files to scan, each with the
//! service it belongs to.
//!
//! Input: root paths (files or directories) and [`DiscoverOptions`]. Output: a
//! [`Discovery`]: the files, sorted by path so every later stage is deterministic, plus
//! per-path problems (missing path, symlink loop, special file) that are reported but never
//! stop the scan.
//!
//! Rules and tricky cases:
//! - Directories are walked recursively. Symlinks found *inside* a walk are not followed
//!   unless `--follow` (like ripgrep): a `current -> ..` link must not scan the tree twice or
//!   leave the given roots. With `--follow`, loops are detected and reported.
//! - The walk runs on every thread (without `--follow`, the root's subdirectories are
//!   walked separately) and is then taken in the order of one serial sorted walk: the
//!   output does not depend on `-j`. Files met in a walk are not `stat`ed: the directory
//!   entry tells a regular file and its inode number, and the scan `fstat`s what it opens.
//! - Roots named on the command line are followed even when they are symlinks.
//! - The same file reached through two paths (a bind mount, a hard link, a root given twice)
//!   is scanned once: files are keyed by (device, inode). Two such paths share an inode
//!   number, so only files whose directory-entry inode number occurs twice are `stat`ed
//!   for the key.
//! - FIFOs, sockets and device files are skipped with a note: reading them could block
//!   forever.
//! - Hidden files and directories met during a walk are skipped (`.git`, editor swap files);
//!   a hidden file named explicitly is scanned.
//! - `-g/--glob` patterns ([`Globs`], ripgrep's rules) are asked about every entry under a
//!   root, by its path under the root: an excluded directory is not entered, an excluded
//!   file is left out silently; a root itself is never matched.
//! - Measured against ripgrep's own walker (the `ignore` crate's parallel walk, same
//!   output) on the bench's 100,000 small files, this walk was faster (discovery 198 ms
//!   against 288 ms, median of 10; docs/performance.md): it stays, and `ignore` supplies
//!   only the `-g` matcher.
//! - Service name: the first directory under the scan root (`zuul-gateway/gateway.log` →
//!   `zuul-gateway`); for a file directly under the root (or a root that is a file), the
//!   file stem without rotation and date suffixes (`gateway.2019-08-21.0.log.gz` →
//!   `gateway`); `--service GLOB=NAME` overrides both. The naming is in [`super::service`]
//!   (re-exported here: `discover::ServiceRule`, `service_name`, `clean_stem`).

use crate::error::FileError;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use super::globs::Globs;
pub use super::service::{clean_stem, service_name, ServiceRule};
use super::service::{relative, service_of, shared_service, strip_root};

/// A file to scan.
#[derive(Clone, Debug, Default)]
pub struct Source {
    /// Path as shown to the user (root joined with the relative path).
    pub path: PathBuf,
    /// Path relative to its scan root (the file name for a root that is a file).
    pub relative: PathBuf,
    /// The service this file belongs to (one string shared by the files of a directory).
    pub service: std::sync::Arc<str>,
    /// Size in bytes at discovery time, when discovery read the file's metadata (roots,
    /// `--follow` walks, entries whose inode number two paths share); the scan takes the
    /// size and the modification time from the opened descriptor anyway.
    pub size: Option<u64>,
    /// Modification time, if discovery read it and the OS gave one.
    pub mtime: Option<SystemTime>,
    /// Set for a stream (stdin, or a FIFO or device named on the command line): read once
    /// as it arrives (`input::stream`), never opened as a file. Discovery never makes one.
    pub stream: Option<super::stream::StreamKind>,
}

/// A path that could not be turned into a file to scan.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The path as given or found.
    pub path: PathBuf,
    /// What is wrong.
    pub error: FileError,
    /// True for notes (skipped special files, symlinks not followed): not errors.
    pub note: bool,
}

/// Result of discovery.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// Files, sorted by path.
    pub sources: Vec<Source>,
    /// Problems and notes, in the order met.
    pub problems: Vec<Problem>,
}

/// Discovery options.
#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    /// Follow symlinks met inside a walk (`--follow`).
    pub follow: bool,
    /// `--service` overrides, first match wins.
    pub services: Vec<ServiceRule>,
    /// `-g/--glob` include and exclude patterns.
    pub globs: Globs,
}

/// Walks the roots.
pub fn discover(roots: &[PathBuf], opts: &DiscoverOptions) -> Discovery {
    // Everything found, in the order of one serial sorted walk of the roots, in parts as the
    // threads found them (a root, a subdirectory's walk); deduplicated and split into
    // sources and problems at the end. Not concatenated first: moving 100,000 entries of
    // ~150 bytes into one vector was a serial copy (and its page faults) before the scan
    // could start.
    let mut found: Vec<Vec<Found>> = Vec::new();
    for root in roots {
        walk_root(root, opts, &mut found);
    }
    stat_shared(&mut found);
    let mut out = Discovery::default();
    out.sources.reserve(found.iter().map(Vec::len).sum());
    let mut seen = BTreeSet::new();
    for f in found.into_iter().flatten() {
        match f {
            Found::Problem(p) => out.problems.push(p),
            Found::Keyed(src, key) => add_source(&mut out, &mut seen, src, key),
            Found::Listed(src, _) => out.sources.push(src),
        }
    }
    // One root is in order already: its walk is in path order and the dedup keeps that
    // order. Only several roots are sorted (100,000 `Path` comparisons were 11 ms on one
    // thread before the scan could start).
    if roots.len() > 1 {
        out.sources.sort_by(|a, b| a.path.cmp(&b.path));
    }
    debug_assert!(out.sources.windows(2).all(|w| w[0].path <= w[1].path));
    out
}

/// Everything found under one root, in the order of one serial sorted walk of it, appended
/// to `found` in parts as the threads found them (the root itself, or a subdirectory's walk).
fn walk_root(root: &PathBuf, opts: &DiscoverOptions, found: &mut Vec<Vec<Found>>) {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) => {
            let dangling = std::fs::symlink_metadata(root).is_ok();
            let error = if is_eloop(&e) {
                FileError::new(
                    "symlink-loop",
                    format!("{}: symlink loop, cannot be followed", root.display()),
                )
            } else {
                let what = if dangling {
                    "broken symlink"
                } else {
                    "cannot open"
                };
                FileError::io(&format!("{}: {what}", root.display()), &e)
            };
            found.push(vec![Found::Problem(Problem {
                path: root.clone(),
                error,
                note: false,
            })]);
            return;
        }
    };
    if meta.is_file() {
        let rel = PathBuf::from(root.file_name().unwrap_or(root.as_os_str()));
        let src = source(root.clone(), rel, Some(&meta), opts);
        found.push(vec![Found::Keyed(src, file_key(&meta))]);
        return;
    }
    if !meta.is_dir() {
        found.push(vec![Found::Problem(special(root))]);
        return;
    }
    // The walk is split by the root's subdirectories and those are walked on every
    // thread; results are taken in walk order, so problems, notes and the
    // first-path-wins dedup are exactly those of one serial walk. On the 100,000-file
    // bench corpus the serial walk with its stats took 273 ms before any scanning could
    // start. With `--follow` the walk stays one walkdir walk: its loop check needs every
    // ancestor in the same walk.
    //
    // Each walked file becomes its source (relative path, service with globs, the inode
    // number of its directory entry; a followed symlink, `--follow`: its target's key)
    // on the thread that walked it.
    let found_of = |step: Step| match step {
        Step::Problem(p) => Some(Found::Problem(p)),
        // Expanded below; only a walk from inside a walk would leave one.
        Step::Walk(_) => None,
        Step::Stat(entry) => Some(listed(entry, root, opts)),
    };
    if opts.follow {
        let items: Vec<Found> = walk_following(root, &opts.globs)
            .into_par_iter()
            .filter_map(found_of)
            .collect();
        found.push(items);
    } else {
        let parts: Vec<Vec<Found>> = walk_sorted(root, root, true, &opts.globs)
            .into_par_iter()
            .map(|step| match step {
                Step::Walk(dir) => walk_sorted(&dir, root, false, &opts.globs)
                    .into_iter()
                    .filter_map(found_of)
                    .collect(),
                other => found_of(other).into_iter().collect(),
            })
            .collect();
        found.extend(parts);
    }
}

/// Files whose directory-entry inode number another path shares are `stat`ed for their
/// (device, inode) key ([`stat_listed`]); every other file stays as listed.
fn stat_shared(found: &mut [Vec<Found>]) {
    // Two paths to one file share an inode number, and the directory entry already holds
    // it (`d_ino`): only files whose number appears twice are `stat`ed for their
    // (device, inode) key; every other file is known to be unique without a system call.
    // Before, every file was `stat`ed here: on the 100,000-file bench corpus that was
    // 8 % of the CPU and most of discovery's 160 ms, all before the first file was read
    // (the scan `fstat`s each file it opens anyway).
    let mut numbers: Vec<u64> = found
        .par_iter()
        .flat_map_iter(|part| {
            part.iter().filter_map(|f| match f {
                Found::Listed(_, ino) | Found::Keyed(_, Some((_, ino))) => Some(*ino),
                _ => None,
            })
        })
        .collect();
    // Sorted, the shared numbers sit side by side (a hash map of 100,000 numbers took 7 ms
    // on one thread here).
    numbers.par_sort_unstable();
    let mut shared: Vec<u64> = numbers
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    shared.dedup();
    if !shared.is_empty() {
        found.par_iter_mut().flatten().for_each(|f| {
            if let Found::Listed(src, ino) = f {
                if shared.binary_search(ino).is_ok() {
                    *f = stat_listed(src);
                }
            }
        });
    }
}

/// A path found: a problem (or note), a source with its (device, inode) key when its
/// metadata was read, or a regular file met in a walk with its directory entry's inode
/// number (not `stat`ed).
enum Found {
    Problem(Problem),
    Keyed(Source, Option<(u64, u64)>),
    Listed(Source, u64),
}

/// A walked entry without `stat` when the directory entry says enough (a regular file, its
/// inode number); a symlink followed by `--follow` (the entry describes the link, not its
/// target), or any entry where directory entries carry no inode number, by its metadata.
fn listed(entry: walkdir::DirEntry, root: &Path, opts: &DiscoverOptions) -> Found {
    #[cfg(unix)]
    if !entry.path_is_symlink() {
        use walkdir::DirEntryExt;
        if !entry.file_type().is_file() {
            return Found::Problem(special(entry.path()));
        }
        let (rel, ino) = (relative(&entry, root), entry.ino());
        // The entry's own path becomes the source's (no copy per walked file).
        return Found::Listed(source(entry.into_path(), rel, None, opts), ino);
    }
    match stat_entry(&entry, root, opts) {
        Stated::File(src, key) => Found::Keyed(src, key),
        Stated::Special => Found::Problem(special(entry.path())),
        Stated::Failed(e) => Found::Problem(Problem {
            path: entry.path().to_path_buf(),
            error: FileError::new("io", format!("{}: {e}", entry.path().display())),
            note: false,
        }),
    }
}

/// The metadata of a listed file whose inode number another path shares: its key decides
/// whether it is a duplicate.
fn stat_listed(src: &mut Source) -> Found {
    match std::fs::symlink_metadata(&src.path) {
        Ok(m) if m.is_file() => {
            let mut src = std::mem::take(src);
            src.size = Some(m.len());
            src.mtime = m.modified().ok();
            Found::Keyed(src, file_key(&m))
        }
        Ok(_) => Found::Problem(special(&src.path)),
        Err(e) => Found::Problem(Problem {
            path: src.path.clone(),
            error: FileError::new("io", format!("{}: {e}", src.path.display())),
            note: false,
        }),
    }
}

/// One item of a directory walk, in walk order: a problem already known, a file whose
/// metadata is still to be read, or a subdirectory still to be walked.
enum Step {
    Problem(Problem),
    Stat(walkdir::DirEntry),
    Walk(PathBuf),
}

/// Walks `root` with `--follow`: one walkdir walk in sorted order (its loop check needs
/// every ancestor in the same walk), hidden entries below the root skipped.
fn walk_following(root: &Path, globs: &Globs) -> Vec<Step> {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    walk_into(walker, root, false, globs)
}

/// Walks `start` (inside the scan root `root`) without following symlinks: the steps of
/// a sorted walk, hidden entries below `start` skipped. With `split`, only `start`'s own
/// entries are listed and each subdirectory among them becomes a [`Step::Walk`], to be
/// walked separately (the same entries, in the same order, as walking on into it: no
/// subdirectory is a link here).
///
/// The walk runs in directory order and the steps are sorted by path afterwards: a sorted
/// depth-first walk visits paths in `Path` order (component by component), so the steps
/// are those of the sorted walk. walkdir's own sort re-parses both file names at every
/// comparison (3% of the CPU of a scan of the bench's 100,000 small files), and with a
/// sort it reads every subdirectory it yields in full even at `max_depth`, which would
/// read the whole tree on one thread before the split.
fn walk_sorted(start: &Path, root: &Path, split: bool, globs: &Globs) -> Vec<Step> {
    let mut walker = walkdir::WalkDir::new(start);
    if split {
        walker = walker.max_depth(1);
    }
    let mut steps = walk_into(walker, root, split, globs);
    // Paths of one walk are distinct: an unstable sort gives the same order.
    steps.sort_unstable_by(|a, b| walk_order(a.path(), b.path()));
    steps
}

/// `Path` order (component by component, as `Path::cmp`) for paths of one walk, which are
/// `start` joined with entry names: comparing their bytes with the separator read as the
/// lowest byte gives the same order, because a component that ends (`/`) sorts before any
/// longer name sharing its prefix (`a/b` < `a.b`), and a path before its own descendants.
/// `Path::cmp` parses components at every comparison: sorting the bench's 100,000 walked
/// paths with it was a third of discovery's CPU time.
#[cfg(unix)]
fn walk_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    use std::os::unix::ffi::OsStrExt;
    let (x, y) = (a.as_os_str().as_bytes(), b.as_os_str().as_bytes());
    let common = common_prefix(x, y);
    let rank = |s: &[u8]| {
        s.get(common)
            .map(|&c| if c == b'/' { 0 } else { u16::from(c) + 1 })
    };
    rank(x).cmp(&rank(y))
}

/// Length of the common prefix of `x` and `y`, eight bytes at a time: the paths of one walk
/// share their directory (`bench/corpus-small/host-042/app-0`, 33 bytes), and a byte loop
/// over it made this sort 2.5% of the CPU of a scan of the bench's 100,000 small files.
#[cfg(unix)]
fn common_prefix(x: &[u8], y: &[u8]) -> usize {
    let n = x.len().min(y.len());
    let mut i = 0;
    while i + 8 <= n {
        let word = |s: &[u8]| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
        let diff = word(x) ^ word(y);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + x[i..n]
        .iter()
        .zip(&y[i..n])
        .take_while(|(p, q)| p == q)
        .count()
}

#[cfg(not(unix))]
fn walk_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    a.cmp(b)
}

impl Step {
    /// The path a step is about.
    fn path(&self) -> &Path {
        match self {
            Step::Problem(p) => &p.path,
            Step::Stat(e) => e.path(),
            Step::Walk(p) => p,
        }
    }
}

/// The steps of one walkdir walk, in its order (see [`walk_sorted`]). Hidden entries and
/// those `-g` excludes are dropped before they are yielded (a directory is then not
/// entered); the start of a walk was checked where it was found.
fn walk_into(walker: walkdir::WalkDir, root: &Path, split: bool, globs: &Globs) -> Vec<Step> {
    let mut steps = Vec::new();
    for entry in walker.into_iter().filter_entry(|e| {
        e.depth() == 0
            || !(is_hidden(e.file_name())
                || globs.excludes(strip_root(e.path(), root), e.file_type().is_dir()))
    }) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                steps.push(Step::Problem(walk_error(root, &e)));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            if split && entry.depth() == 1 {
                steps.push(Step::Walk(entry.into_path()));
            }
            continue;
        }
        if ft.is_symlink() {
            steps.push(Step::Problem(symlink_note(entry.path())));
            continue;
        }
        steps.push(Step::Stat(entry));
    }
    steps
}

/// The problem (or note) for an entry the walk could not read.
fn walk_error(root: &Path, e: &walkdir::Error) -> Problem {
    let path = e
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.to_path_buf());
    // With --follow: a link to an ancestor (walkdir's loop check), a link
    // cycle (ELOOP), or a dangling link. All are notes: the walk goes on.
    let loop_ = e.loop_ancestor().is_some() || e.io_error().is_some_and(is_eloop);
    let dangling = !loop_
        && e.io_error()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
        && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink());
    let msg = if loop_ {
        format!("{}: symlink loop, not followed", path.display())
    } else if dangling {
        format!(
            "{}: broken symlink (target missing), skipped",
            path.display()
        )
    } else {
        format!("{}: {e}", path.display())
    };
    let kind = if loop_ {
        "symlink-loop"
    } else if dangling {
        "broken-symlink"
    } else if e
        .io_error()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
    {
        "permission-denied"
    } else {
        "io"
    };
    Problem {
        path,
        error: FileError::new(kind, msg),
        note: loop_ || dangling,
    }
}

/// A symlink met inside a walk without `--follow`: a note, so a user who expected the
/// target knows why it was not scanned.
fn symlink_note(path: &Path) -> Problem {
    let target = std::fs::metadata(path);
    let (kind, why) = match &target {
        Err(e) if is_eloop(e) => ("symlink-loop", "symlink loop, not followed"),
        Err(_) => ("broken-symlink", "broken symlink (target missing), skipped"),
        Ok(_) => ("symlink-skipped", "symlink not followed (use --follow)"),
    };
    Problem {
        path: path.to_path_buf(),
        error: FileError::new(kind, format!("{}: {why}", path.display())),
        note: true,
    }
}

fn special(path: &Path) -> Problem {
    Problem {
        path: path.to_path_buf(),
        error: FileError::new(
            "special-file",
            format!(
                "{}: not a regular file (FIFO, socket or device), skipped",
                path.display()
            ),
        ),
        note: true,
    }
}

fn is_eloop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|s| s.starts_with('.') && s != "." && s != "..")
}

#[cfg(unix)]
fn file_key(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_key(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// A walked file after its `stat`: a source (with its dedup key), not a regular file, or
/// no metadata.
enum Stated {
    File(Source, Option<(u64, u64)>),
    Special,
    Failed(walkdir::Error),
}

/// Reads a walked file's metadata and builds its source (not yet deduplicated).
fn stat_entry(entry: &walkdir::DirEntry, root: &Path, opts: &DiscoverOptions) -> Stated {
    let meta = match entry.metadata() {
        Ok(m) => m,
        Err(e) => return Stated::Failed(e),
    };
    if !meta.is_file() {
        return Stated::Special;
    }
    Stated::File(
        source(
            entry.path().to_path_buf(),
            relative(entry, root),
            Some(&meta),
            opts,
        ),
        file_key(&meta),
    )
}

/// The source for a regular file.
fn source(
    path: PathBuf,
    relative: PathBuf,
    meta: Option<&std::fs::Metadata>,
    opts: &DiscoverOptions,
) -> Source {
    let service = match opts.services.iter().find(|r| r.matches(&path, &relative)) {
        Some(r) => shared_service(&r.name),
        None => shared_service(&service_of(&relative)),
    };
    Source {
        path,
        relative,
        service,
        size: meta.map(std::fs::Metadata::len),
        mtime: meta.and_then(|m| m.modified().ok()),
        stream: None,
    }
}

/// Adds a source unless its file (device, inode) was already added through another path.
fn add_source(
    out: &mut Discovery,
    seen: &mut BTreeSet<(u64, u64)>,
    src: Source,
    key: Option<(u64, u64)>,
) {
    if let Some(key) = key {
        if !seen.insert(key) {
            return;
        }
    }
    out.sources.push(src);
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The walk's byte comparison orders paths under one start as `Path::cmp` does,
        /// names with bytes below and above `/` included (`a.b`, `a-b`, `a0`).
        #[test]
        fn walk_order_is_path_order(
            a in proptest::collection::vec("[-.a0/]{1,3}|[-.a0]{8,20}", 1..4),
            b in proptest::collection::vec("[-.a0/]{1,3}|[-.a0]{8,20}", 1..4),
        ) {
            let join = |parts: &[String]| {
                let mut p = PathBuf::from("logs");
                for part in parts {
                    // Names as a directory listing gives them: no separators, not `.`/`..`.
                    let name = part.replace('/', "_");
                    if name != "." && name != ".." {
                        p.push(name);
                    }
                }
                p
            };
            let (x, y) = (join(&a), join(&b));
            proptest::prop_assert_eq!(walk_order(&x, &y), x.cmp(&y), "{:?} vs {:?}", x, y);
        }

        #[cfg(unix)]
        /// The word-at-a-time common prefix is the byte loop's, wherever the first difference
        /// falls (inside a word, at a word edge, in the tail, none).
        #[test]
        fn common_prefix_is_bytewise(
            x in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            cut in 0usize..41,
            y_tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
        ) {
            let mut y = x[..cut.min(x.len())].to_vec();
            y.extend(y_tail);
            let naive = x.iter().zip(&y).take_while(|(p, q)| p == q).count();
            proptest::prop_assert_eq!(common_prefix(&x, &y), naive);
        }
    }

    #[test]
    fn walk_dedups_and_sorts_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("b-svc")).unwrap();
        std::fs::create_dir_all(d.join("a-svc")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join("b-svc/x.log"), "x\n").unwrap();
        std::fs::write(d.join("a-svc/y.log"), "y\n").unwrap();
        std::fs::write(d.join(".git/HEAD"), "ref\n").unwrap();
        std::fs::write(d.join("top.log.1"), "z\n").unwrap();
        let opts = DiscoverOptions {
            follow: false,
            services: vec![ServiceRule::parse("**/x.log=renamed").unwrap()],
            ..Default::default()
        };
        // The same root twice: files once.
        let got = discover(&[d.to_path_buf(), d.to_path_buf()], &opts);
        let names: Vec<_> = got
            .sources
            .iter()
            .map(|s| (s.relative.clone(), s.service.to_string()))
            .collect();
        assert_eq!(
            names,
            vec![
                (PathBuf::from("a-svc/y.log"), "a-svc".to_string()),
                (PathBuf::from("b-svc/x.log"), "renamed".to_string()),
                (PathBuf::from("top.log.1"), "top".to_string()),
            ]
        );
        // A file met once in one walk is not `stat`ed (its inode number is unique); a root
        // that is a file is.
        let once = discover(&[d.to_path_buf()], &opts);
        assert!(once.sources.iter().all(|s| s.size.is_none()));
        let file_root = discover(&[d.join("top.log.1")], &opts);
        assert_eq!(file_root.sources[0].size, Some(2));
        // A hard link inside one walk shares the inode number: both paths are `stat`ed
        // and the file is scanned once, under its first path.
        #[cfg(unix)]
        {
            std::fs::hard_link(d.join("b-svc/x.log"), d.join("a-svc/z.log")).unwrap();
            let linked = discover(&[d.to_path_buf()], &opts);
            let rel: Vec<_> = linked.sources.iter().map(|s| s.relative.clone()).collect();
            assert_eq!(
                rel,
                vec![
                    PathBuf::from("a-svc/y.log"),
                    PathBuf::from("a-svc/z.log"),
                    PathBuf::from("top.log.1"),
                ]
            );
            assert!(linked.sources[1].size.is_some(), "stated for its key");
            assert!(linked.sources[0].size.is_none(), "unique: not stated");
        }
        let missing = discover(&[d.join("nope")], &opts);
        assert_eq!(missing.problems.len(), 1);
        assert!(missing.problems[0].error.message.contains("nope"));
    }

    #[test]
    fn globs_in_both_walks() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("svc/archive")).unwrap();
        for f in [
            "svc/a.log",
            "svc/a_structured.csv",
            "svc/archive/old.log",
            "top.log",
        ] {
            std::fs::write(d.join(f), "x\n").unwrap();
        }
        for follow in [false, true] {
            let opts = DiscoverOptions {
                follow,
                globs: Globs::new(&["!*_structured.csv".into(), "!archive".into()]).unwrap(),
                ..Default::default()
            };
            let got = discover(&[d.to_path_buf()], &opts);
            let rel: Vec<_> = got.sources.iter().map(|s| s.relative.clone()).collect();
            assert_eq!(
                rel,
                [PathBuf::from("svc/a.log"), PathBuf::from("top.log")],
                "follow={follow}"
            );
            assert!(got.problems.is_empty());
            // One file and one directory (not entered) were left out.
            assert_eq!(opts.globs.excluded(), 2, "follow={follow}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_loops_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("svc")).unwrap();
        std::fs::write(d.join("svc/a.log"), "a\n").unwrap();
        std::os::unix::fs::symlink(d, d.join("svc/up")).unwrap();
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("svc/broken.log")).unwrap();
        let fifo = d.join("svc/pipe.log");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc_mkfifo(c.as_ptr(), 0o644) }, 0);
        for follow in [false, true] {
            let got = discover(
                &[d.to_path_buf()],
                &DiscoverOptions {
                    follow,
                    ..Default::default()
                },
            );
            assert_eq!(got.sources.len(), 1, "follow={follow}: {:?}", got.sources);
            assert!(got.problems.iter().any(|p| p.error.kind == "special-file"));
        }
    }

    extern "C" {
        #[link_name = "mkfifo"]
        fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
    }
}

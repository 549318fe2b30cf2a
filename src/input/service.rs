//! Service naming: a path under its scan root, and the service it names.
//!
//! Input: a file's path relative to its scan root (and its shown path, for `--service`
//! rules). Output: the service name: the first directory under the scan root
//! (`zuul-gateway/gateway.log` → `zuul-gateway`); for a file directly under the root (or a
//! root that is a file), the file stem without rotation and date suffixes
//! (`gateway.2019-08-21.0.log.gz` → `gateway`); `--service GLOB=NAME` ([`ServiceRule`])
//! overrides both.
//!
//! Tricky cases:
//! * [`clean_stem`] strips compression, rotation and date suffixes until none is left
//!   (`access.log.2.gz` → `access`); a name that would be stripped to nothing is kept whole.
//! * A walk's paths are its root joined with plain names, so the relative path is cut by
//!   bytes (`strip_root`); anything not plainly joined takes `Path::strip_prefix`.
//! * The files a thread walks one after another mostly belong to one service: they share
//!   one string (`shared_service`).
//!
//! `strip_root` and `relative` live here with the naming rather than in `discover`, which
//! imports this file: both ways would be a cycle.

use globset::{Glob, GlobMatcher};
use std::path::{Path, PathBuf};

/// One `--service GLOB=NAME` rule.
#[derive(Clone, Debug)]
pub struct ServiceRule {
    glob: GlobMatcher,
    pub(super) name: String,
}

impl ServiceRule {
    /// Parses `GLOB=NAME`.
    pub fn parse(s: &str) -> Result<ServiceRule, String> {
        let (g, name) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("`{s}`: expected GLOB=NAME"))?;
        if name.is_empty() {
            return Err(format!("`{s}`: empty service name"));
        }
        let glob = Glob::new(g)
            .map_err(|e| format!("`{g}`: {e}"))?
            .compile_matcher();
        Ok(ServiceRule {
            glob,
            name: name.to_string(),
        })
    }

    /// True if the rule applies to a file (matched against its shown path, its path
    /// relative to the root, and its file name).
    pub fn matches(&self, shown: &Path, relative: &Path) -> bool {
        self.glob.is_match(shown)
            || self.glob.is_match(relative)
            || shown.file_name().is_some_and(|n| self.glob.is_match(n))
    }

    /// Service name of the rule.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule as written: `GLOB=NAME`.
    pub fn describe(&self) -> String {
        format!("{}={}", self.glob.glob(), self.name)
    }
}

/// `entry`'s path relative to the scan root `root` (see [`strip_root`]).
pub(super) fn relative(entry: &walkdir::DirEntry, root: &Path) -> PathBuf {
    strip_root(entry.path(), root).to_path_buf()
}

/// `path` without its leading `root` (as `Path::strip_prefix`; `path` itself if it is not
/// under `root`). A walk's paths are `root` joined with plain names, so the bytes after
/// `root` and one separator are the answer; `strip_prefix` parses both paths into
/// components for every file, 17 % of discovery's CPU on the 100,000-file bench corpus.
/// Anything not plainly joined (`.` or empty components after the root) takes
/// `strip_prefix`.
pub(super) fn strip_root<'a>(path: &'a Path, root: &Path) -> &'a Path {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (p, r) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
        let rest = p
            .strip_prefix(r)
            .filter(|_| !r.is_empty())
            .and_then(|rest| {
                if r.ends_with(b"/") {
                    Some(rest)
                } else {
                    rest.strip_prefix(b"/")
                }
            });
        if let Some(rest) = rest {
            let plain = !rest.is_empty()
                && rest
                    .split(|&b| b == b'/')
                    .all(|c| !c.is_empty() && c != b"." && c != b"..");
            if plain {
                return Path::new(std::ffi::OsStr::from_bytes(rest));
            }
        }
    }
    path.strip_prefix(root).unwrap_or(path)
}

/// Service name from a path relative to the scan root (see module docs).
pub fn service_name(relative: &Path) -> String {
    service_of(relative).into_owned()
}

/// [`service_name`], borrowed from the path when it is a directory name.
pub(super) fn service_of(relative: &Path) -> std::borrow::Cow<'_, str> {
    let mut comps = relative.components();
    if let (Some(first), Some(_)) = (comps.next(), comps.next()) {
        return crate::input::lossy(first.as_os_str());
    }
    let name = relative
        .file_name()
        .map(crate::input::lossy)
        .unwrap_or_default();
    clean_stem(&name).into()
}

/// The service name as a shared string: the files a thread walks one after another mostly
/// belong to one service (a directory), and they share its string instead of holding a
/// copy each (an allocation per file, and another per file when the scan copied it).
pub(super) fn shared_service(name: &str) -> std::sync::Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<std::sync::Arc<str>>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some(s) if **s == *name => s.clone(),
        _ => {
            let s: std::sync::Arc<str> = name.into();
            *last = Some(s.clone());
            s
        }
    })
}

/// Strips compression, rotation and date suffixes: `gateway.2019-08-21.0.log.gz` →
/// `gateway`, `access.log.1` → `access`, `catalina.out` → `catalina`,
/// `localhost_access_log.2019-08-21.txt` → `localhost_access_log`.
pub fn clean_stem(name: &str) -> String {
    let mut s = name.to_string();
    loop {
        // Every step only shortens `s`: an unchanged length means nothing matched.
        let before = s.len();
        for ext in [
            ".gz", ".zst", ".bz2", ".xz", ".log", ".txt", ".out", ".err", ".json", ".ndjson",
            ".jsonl", ".evtx", ".xml", ".csv", ".yaml", ".export",
        ] {
            // Compared in place, case-insensitively (a lowercase copy per suffix was 14
            // allocations per file for a flat directory of logs).
            if s.len() > ext.len()
                && s.as_bytes()[s.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
            {
                s.truncate(s.len() - ext.len());
            }
        }
        // Dates with inner separators: `.2019-08-21`, `-2019-08-21`, `_2019-08-21`.
        if s.len() > 11 {
            let b = s.as_bytes();
            let t = &b[b.len() - 11..];
            if matches!(t[0], b'.' | b'-' | b'_')
                && t[1..5].iter().all(u8::is_ascii_digit)
                && t[5] == b'-'
                && t[8] == b'-'
            {
                s.truncate(s.len() - 11);
                continue;
            }
        }
        // Trailing rotation counters and compact dates: `.1`, `-3`, `_20190821`,
        // `-20190821T1300`.
        if let Some(pos) = s.rfind(['.', '-', '_']) {
            let tail = &s[pos + 1..];
            let is_counter =
                !tail.is_empty() && tail.len() <= 3 && tail.bytes().all(|c| c.is_ascii_digit());
            let is_date = tail.len() >= 6
                && tail.bytes().filter(u8::is_ascii_digit).count() >= 6
                && tail
                    .bytes()
                    .all(|c| c.is_ascii_digit() || b"-_:T".contains(&c));
            if pos > 0 && (is_counter || is_date) {
                s.truncate(pos);
            }
        }
        if s.len() == before || s.is_empty() {
            break;
        }
    }
    if s.is_empty() {
        name.to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte-level strip of a walk's root gives what `Path::strip_prefix` gives,
        /// whatever the root's spelling (`./`, trailing `/`, `/.`, doubled separators).
        #[test]
        fn strip_root_is_strip_prefix(
            root in proptest::collection::vec("a|b0|\\.|\\.\\.|x-y|", 1..4),
            slash in proptest::bool::ANY,
            rest in proptest::collection::vec("a|b0|\\.|\\.\\.|app\\.log|", 0..4),
        ) {
            let mut r = root.join("/");
            if slash {
                r.push('/');
            }
            let root = Path::new(&r);
            let mut path = root.to_path_buf();
            for c in &rest {
                path.push(c);
            }
            let want = path.strip_prefix(root).unwrap_or(&path);
            proptest::prop_assert_eq!(strip_root(&path, root), want);
            // Also for raw joins (a walk joins names onto the root as given).
            let raw = format!("{r}/{}", rest.join("/"));
            let raw = Path::new(&raw);
            proptest::prop_assert_eq!(strip_root(raw, root), raw.strip_prefix(root).unwrap_or(raw));
        }
    }

    #[test]
    fn stems() {
        for (name, want) in [
            ("gateway.2019-08-21.0.log.gz", "gateway"),
            ("gateway.log", "gateway"),
            ("access.log.1", "access"),
            ("access.log.2.gz", "access"),
            ("catalina.2019-08-21.log", "catalina"),
            ("catalina.out", "catalina"),
            (
                "localhost_access_log.2019-08-21.txt",
                "localhost_access_log",
            ),
            ("app-20190821.log", "app"),
            ("user-service.log", "user-service"),
            ("order-service.json.log", "order-service"),
            ("syslog", "syslog"),
            ("messages-20190825", "messages"),
            ("u_ex190821.log", "u_ex190821"),
            ("2019.log", "2019"),
            ("System.evtx", "System"),
            ("web01.export", "web01"),
        ] {
            assert_eq!(clean_stem(name), want, "{name}");
        }
    }

    #[test]
    fn service_from_first_dir() {
        assert_eq!(
            service_name(Path::new("zuul-gateway/gateway.log")),
            "zuul-gateway"
        );
        assert_eq!(service_name(Path::new("nginx/old/access.log.1")), "nginx");
        assert_eq!(
            service_name(Path::new("gateway.2019-08-21.0.log.gz")),
            "gateway"
        );
    }
}

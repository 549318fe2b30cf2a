//! `-g/--glob`: include and exclude patterns for discovery, with ripgrep's rules.
//!
//! Input: the patterns as typed (`-g '*.log' -g '!*_structured.csv'`). Output: [`Globs`],
//! asked by the walk about every entry under a root: excluded or not.
//!
//! Rules (ripgrep's `-g`, through its own matcher, `ignore::overrides`):
//! - A pattern has `.gitignore` syntax and is matched against the path **under the scan
//!   root** (`nginx/access.log` for `logs/nginx/access.log` scanned as `logs`): a pattern
//!   without `/` matches a name at any depth (`*.csv`), one with `/` is anchored at the root
//!   (`nginx/*.log`), `**` spans directories.
//! - `!` in front excludes; a pattern without it includes. Once any include pattern is given,
//!   a file that no include pattern matches is left out (directories are still walked, so
//!   `-g '*.log'` finds `a/b/c.log`).
//! - When several patterns match, the one given **later** wins (`-g '*.csv' -g
//!   '!*_structured.csv'` keeps `HDFS_2k.log_templates.csv` but not `HDFS_2k.log_structured.csv`).
//! - An excluded directory is not entered at all (`-g '!archive'`), which is also what makes
//!   exclusion cheap on big trees.
//!
//! Tricky cases, chosen to keep discovery's other rules unchanged:
//! - A file named on the command line is always scanned (a root is never matched), as in
//!   ripgrep: naming a file is a stronger statement than a pattern.
//! - Hidden entries stay skipped whatever the patterns say (faultscope's rule since before
//!   `-g`; ripgrep lets an include pattern bring them back): name a hidden file explicitly.
//! - Excluded files are not problems and leave no note (ripgrep is silent too); `--debug`
//!   counts them.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Compiled `-g` patterns (empty: everything is included, at no cost per entry).
#[derive(Clone, Debug, Default)]
pub struct Globs {
    matcher: Option<ignore::overrides::Override>,
    /// Entries excluded so far (files and directories), for `--debug`.
    excluded: Arc<AtomicUsize>,
}

impl Globs {
    /// Compiles the patterns; an error names the bad pattern.
    pub fn new(patterns: &[String]) -> Result<Globs, String> {
        if patterns.is_empty() {
            return Ok(Globs::default());
        }
        // Root `.`: the walk hands in paths already relative to their scan root, and the
        // matcher strips nothing from them (see `Gitignore::strip`).
        let mut b = ignore::overrides::OverrideBuilder::new(".");
        for p in patterns {
            if p.is_empty() || p == "!" {
                return Err(format!("`{p}`: empty pattern"));
            }
            b.add(p).map_err(|e| format!("`{p}`: {e}"))?;
        }
        let matcher = b.build().map_err(|e| e.to_string())?;
        Ok(Globs {
            matcher: Some(matcher),
            excluded: Arc::default(),
        })
    }

    /// True when patterns were given.
    pub fn is_active(&self) -> bool {
        self.matcher.is_some()
    }

    /// Is the entry at `relative` (its path under the scan root) left out? Counted when so.
    pub fn excludes(&self, relative: &Path, is_dir: bool) -> bool {
        let Some(m) = &self.matcher else {
            return false;
        };
        let out = m.matched(relative, is_dir).is_ignore();
        if out {
            self.excluded.fetch_add(1, Ordering::Relaxed);
        }
        out
    }

    /// Files and directories excluded so far.
    pub fn excluded(&self) -> usize {
        self.excluded.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &[&str]) -> Globs {
        Globs::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn ripgrep_rules() {
        let none = g(&[]);
        assert!(!none.is_active() && !none.excludes(Path::new("a/b.csv"), false));
        // Exclude only: the rest stays.
        let ex = g(&["!*_structured.csv"]);
        assert!(ex.excludes(Path::new("HDFS/HDFS_2k.log_structured.csv"), false));
        assert!(!ex.excludes(Path::new("HDFS/HDFS_2k.log"), false));
        assert!(!ex.excludes(Path::new("HDFS"), true));
        // An include pattern turns the rest of the files off, not the directories.
        let inc = g(&["*.log"]);
        assert!(!inc.excludes(Path::new("a/b/c.log"), false));
        assert!(inc.excludes(Path::new("a/b/c.csv"), false));
        assert!(!inc.excludes(Path::new("a/b"), true));
        // Later wins, both ways.
        let later = g(&["*.csv", "!*_structured.csv"]);
        assert!(later.excludes(Path::new("x_structured.csv"), false));
        assert!(!later.excludes(Path::new("x_templates.csv"), false));
        let back = g(&["!*.csv", "keep.csv"]);
        assert!(!back.excludes(Path::new("d/keep.csv"), false));
        assert!(back.excludes(Path::new("d/other.csv"), false));
        // A pattern with `/` is anchored at the root; a directory can be excluded whole.
        let anchored = g(&["!nginx/*.log"]);
        assert!(anchored.excludes(Path::new("nginx/a.log"), false));
        assert!(!anchored.excludes(Path::new("x/nginx/a.log"), false));
        let dir = g(&["!archive"]);
        assert!(dir.excludes(Path::new("svc/archive"), true));
        assert_eq!(dir.excluded(), 1);
    }

    #[test]
    fn bad_patterns_are_named() {
        let e = Globs::new(&["{a,b".to_string()]).unwrap_err();
        assert!(e.contains("{a,b"), "{e}");
        assert!(Globs::new(&["!".to_string()]).is_err());
    }
}

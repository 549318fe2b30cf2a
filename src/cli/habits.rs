//! The command-line world's habits: shell completions, man pages, and a hint when the
//! subcommand is missing.
//!
//! - `faultscope completions SHELL` prints clap_complete's script for bash, zsh, fish,
//!   powershell or elvish, generated from the same clap definition as the parser, so it
//!   can never list a flag that does not exist.
//! - `faultscope man [SUBCOMMAND]` prints a man page (clap_mangen's roff): faultscope(1), or
//!   faultscope-scan(1) and so on, git's layout; `--out-dir DIR` writes every page. Why a
//!   subcommand and not a build script: the pages come from the binary the user runs (a
//!   `cargo install` leaves no build output behind to copy), a build script would have to
//!   compile the clap definition a second time outside the crate, and packagers run
//!   `faultscope man --out-dir` once, as they run `rg --generate man`.
//! - `faultscope logs/` (a path where the subcommand goes) fails with "did you mean
//!   `faultscope scan logs/`?" rather than clap's "unrecognized subcommand" ([`did_you_mean`]).
//!
//! Pages and scripts carry no date or build path: the same binary prints the same bytes.

use super::args::{Cli, CompletionsArgs, ManArgs};
use super::resolve::flag_err;
use super::EXIT_CLEAN;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

/// The clap command with subcommand names and bin names filled in (`faultscope-scan`,
/// `faultscope scan`), as the parser sees it.
fn built() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

pub(super) fn run_completions(a: CompletionsArgs) -> anyhow::Result<i32> {
    let mut cmd = built();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "faultscope", &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(EXIT_CLEAN)
}

pub(super) fn run_man(a: ManArgs) -> anyhow::Result<i32> {
    let cmd = built();
    if let Some(dir) = &a.out_dir {
        for page in pages(&cmd) {
            let path = dir.join(page.get_filename());
            let mut buf = Vec::new();
            page.render(&mut buf)?;
            std::fs::write(&path, buf)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            println!("{}", path.display());
        }
        return Ok(EXIT_CLEAN);
    }
    let man = match &a.subcommand {
        None => page(cmd),
        Some(name) => {
            let sub = cmd
                .get_subcommands()
                .find(|s| s.get_name() == name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                    flag_err(
                        "SUBCOMMAND",
                        format!(
                            "`{name}` is not a subcommand (one of: {})",
                            names.join(", ")
                        ),
                    )
                })?;
            page(sub)
        }
    };
    let mut buf = Vec::new();
    man.render(&mut buf)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&buf)?;
    stdout.flush()?;
    Ok(EXIT_CLEAN)
}

/// faultscope(1) and one page per subcommand (`help` excluded: it is clap's).
fn pages(cmd: &clap::Command) -> Vec<clap_mangen::Man> {
    let mut v = vec![page(cmd.clone())];
    v.extend(
        cmd.get_subcommands()
            .filter(|s| s.get_name() != "help")
            .map(|s| page(s.clone())),
    );
    v
}

/// One page, its footer naming the program and version (a subcommand has no version of its
/// own, and clap_mangen would print just its name there).
fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .source(format!("faultscope {}", env!("CARGO_PKG_VERSION")))
        .manual("faultscope manual")
}

/// When clap rejects a command line whose subcommand slot holds a path (`faultscope logs/`,
/// `faultscope --tz UTC logs/`), the message that helps: `did you mean faultscope scan ...`.
/// `None` leaves clap's own message (a misspelt subcommand gets clap's "similar
/// subcommand" hint).
pub(super) fn did_you_mean(err: &clap::Error, args: &[std::ffi::OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    match err.kind() {
        // `faultscope WORD ...`: only when WORD itself is a path (a misspelt subcommand
        // keeps clap's "similar subcommand" hint).
        ErrorKind::InvalidSubcommand => match err.get(ContextKind::InvalidSubcommand) {
            Some(ContextValue::String(w)) if looks_like_path(w) => {}
            _ => return None,
        },
        // `faultscope --tz UTC logs/`: a scan flag met before any subcommand.
        ErrorKind::UnknownArgument => {}
        _ => return None,
    }
    let cmd = Cli::command();
    let subcommands: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if words.iter().any(|w| subcommands.contains(&w.as_str())) {
        return None;
    }
    let path = words
        .iter()
        .find(|w| !w.starts_with('-') && looks_like_path(w))?;
    let line: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
    Some(format!(
        "`{path}` is not a subcommand; did you mean `faultscope scan {}`?",
        line.join(" ")
    ))
}

/// A word that names a file or directory: one that exists, or one with a path separator.
fn looks_like_path(w: &str) -> bool {
    w.contains('/') || w.contains('\\') || Path::new(w).exists()
}

/// `w` as a POSIX shell word (single-quoted when it holds anything but plain characters).
fn shell_quote(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=+@%,-".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn hint(args: &[&str]) -> Option<String> {
        let argv: Vec<std::ffi::OsString> = std::iter::once("faultscope")
            .chain(args.iter().copied())
            .map(Into::into)
            .collect();
        let err = Cli::try_parse_from(&argv).expect_err("rejected");
        did_you_mean(&err, &argv[1..])
    }

    #[test]
    fn a_path_instead_of_a_subcommand() {
        assert_eq!(
            hint(&["logs/"]).as_deref(),
            Some("`logs/` is not a subcommand; did you mean `faultscope scan logs/`?")
        );
        assert_eq!(
            hint(&["--tz", "UTC", "my logs/"]).as_deref(),
            Some("`my logs/` is not a subcommand; did you mean `faultscope scan --tz UTC 'my logs/'`?")
        );
        // A misspelt subcommand keeps clap's hint; a real one with a bad flag too.
        assert_eq!(hint(&["scna", "x"]), None);
        assert_eq!(hint(&["scan", "--nope", "logs/"]), None);
    }

    #[test]
    fn every_page_renders() {
        let cmd = built();
        let pages = pages(&cmd);
        let subs = cmd.get_subcommands().filter(|s| s.get_name() != "help");
        assert_eq!(pages.len(), subs.count() + 1);
        for p in pages {
            let mut buf = Vec::new();
            p.render(&mut buf).unwrap();
            assert!(
                String::from_utf8(buf).unwrap().contains(".TH "),
                "{}",
                p.get_filename()
            );
        }
    }
}

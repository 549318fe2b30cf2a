//! Error types of the library.
//!
//! Two kinds of trouble exist and they are kept apart on purpose:
//! - configuration errors ([`Error`]): a bad rules file, a bad flag value. They stop the run
//!   before any scanning (exit 2), and name the file, the entry and the reason.
//! - per-file problems ([`FileError`]): a missing path, a permission error, a corrupt `.gz`.
//!   They are recorded in the file's result and on stderr; the scan goes on with every other
//!   file (one unreadable file must not abort a scan of ten thousand).

use std::fmt;

/// A configuration error: stops the run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rules file (or the built-in catalog) is invalid.
    #[error("{path}{}: {reason}", entry.as_ref().map(|e| format!(": entry `{e}`")).unwrap_or_default())]
    Rules {
        /// The file.
        path: String,
        /// The entry id, when one is at fault.
        entry: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A flag value is invalid.
    #[error("invalid value for {flag}: {reason}")]
    Flag {
        /// The flag (`--tz`).
        flag: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing the report failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// Library result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Why one input could not be (fully) read. Kept as data in the file's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileError {
    /// Short machine-readable kind (`not-found`, `permission-denied`, `corrupt-gzip`, ...).
    pub kind: String,
    /// Human message.
    pub message: String,
}

impl FileError {
    /// Builds a file error from an I/O error, classifying the common kinds.
    pub fn io(context: &str, e: &std::io::Error) -> FileError {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => "not-found",
            std::io::ErrorKind::PermissionDenied => "permission-denied",
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => "corrupt",
            _ => "io",
        };
        FileError {
            kind: kind.to_string(),
            message: format!("{context}: {e}"),
        }
    }

    /// A file error of a given kind.
    pub fn new(kind: &str, message: impl Into<String>) -> FileError {
        FileError {
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

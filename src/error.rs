//! The library's one error type.
//!
//! Every failure that user input can cause is an [`Error`]; nothing reachable from input
//! panics. `Display` is one lowercase line that names the file (and line:column where there
//! is one), so the CLI can print it as is.

use std::fmt;
use std::path::PathBuf;

/// An error from loading data, compiling rules, reading input or writing output.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

/// What went wrong, with the context needed to find it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A line of a gazetteer file is malformed or conflicts with another entry.
    #[error("{}: {message}", Location { path, line: *line, column: *column })]
    Gazetteer {
        /// The file (or `<bundled>/name` for the embedded gazetteer).
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column (in characters), when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A rule file does not parse or a rule does not compile.
    #[error("{}: {message}", Location { path, line: *line, column: *column })]
    Rules {
        /// The rule file.
        path: PathBuf,
        /// 1-based line number (0 when the problem concerns the whole file).
        line: usize,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What is wrong, naming the rule id where there is one.
        message: String,
    },
    /// An input document cannot be used.
    #[error("{}: {message}", path.display())]
    Input {
        /// The input path (`-` for standard input).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {}", path.display(), io_message(source))]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An exporter could not produce its format.
    #[error("{format}: {message}")]
    Export {
        /// The format name.
        format: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An external program an exporter runs (Graphviz `dot` for images) is not installed.
    #[error("{program} not found: {purpose} needs it; install {package} (for example `{install}`)")]
    MissingProgram {
        /// The program (`dot`).
        program: &'static str,
        /// What needs it (`svg output`).
        purpose: String,
        /// The package to install (`Graphviz`).
        package: &'static str,
        /// A command that installs it on Debian and Ubuntu.
        install: &'static str,
    },
}

/// Short lowercase wording for the common I/O failures.
fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a folder".to_string(),
        _ => e.to_string(),
    }
}

struct Location<'a> {
    path: &'a PathBuf,
    line: usize,
    column: Option<usize>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

impl Error {
    /// The kind of error, with its context.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether writing failed because the reader went away (`kgbuild x | head`), which a
    /// command-line tool treats as success.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub(crate) fn gazetteer(
        path: impl Into<PathBuf>,
        line: usize,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Error {
        ErrorKind::Gazetteer {
            path: path.into(),
            line,
            column,
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn rules(
        path: impl Into<PathBuf>,
        line: usize,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Error {
        ErrorKind::Rules {
            path: path.into(),
            line,
            column,
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        ErrorKind::Io {
            path: path.into(),
            source,
        }
        .into()
    }

    pub(crate) fn export(format: &'static str, message: impl Into<String>) -> Error {
        ErrorKind::Export {
            format,
            message: message.into(),
        }
        .into()
    }
}

/// Line and column (1-based; the column counts characters) of the first invalid byte of a
/// UTF-8 error, for messages.
pub(crate) fn utf8_position(e: &std::string::FromUtf8Error) -> (usize, usize) {
    crate::text::line_col(&e.as_bytes()[..e.utf8_error().valid_up_to()])
}

impl Error {
    pub(crate) fn missing_program(
        program: &'static str,
        purpose: impl Into<String>,
        package: &'static str,
        install: &'static str,
    ) -> Error {
        ErrorKind::MissingProgram {
            program,
            purpose: purpose.into(),
            package,
            install,
        }
        .into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error { kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_column() {
        let e = Error::gazetteer("g/people.tsv", 12, Some(3), "bad type `Persn`");
        assert_eq!(e.to_string(), "g/people.tsv:12:3: bad type `Persn`");
        let e = Error::rules("r.ron", 0, None, "empty");
        assert_eq!(e.to_string(), "r.ron: empty");
    }
}

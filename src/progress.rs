//! The progress bar: documents, bytes, rate and ETA on standard error, only when standard
//! error is a terminal, there is more than one document, and `-q` was not given.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over bytes of input, with a count of documents; hidden when not wanted.
pub struct Progress {
    bar: ProgressBar,
    docs: u64,
    unit: &'static str,
}

impl Progress {
    /// A bar for `total_bytes` of input (0 when unknown). `many` says whether there is, or
    /// may be, more than one document.
    pub fn new(total_bytes: u64, many: bool, quiet: bool, unit: &'static str) -> Progress {
        let show = many && !quiet && std::io::stderr().is_terminal();
        let bar = if show {
            let bar = if total_bytes > 0 {
                ProgressBar::new(total_bytes)
            } else {
                ProgressBar::no_length()
            };
            let template = if total_bytes > 0 {
                "{msg} {wide_bar} {decimal_bytes}/{decimal_total_bytes} \
                 {decimal_bytes_per_sec} ETA {eta}"
            } else {
                "{msg} {decimal_bytes} {decimal_bytes_per_sec} {elapsed}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar, docs: 0, unit }
    }

    /// Records `docs` more documents of `bytes` bytes.
    pub fn add(&mut self, docs: u64, bytes: u64) {
        if self.bar.is_hidden() {
            return;
        }
        self.docs += docs;
        self.bar.inc(bytes);
        self.bar.set_message(format!("{} {}", self.docs, self.unit));
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

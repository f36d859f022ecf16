//! `kgbuild gazetteer check|stats`: validate gazetteer files, count entries.

use std::io::Write;
use std::process::ExitCode;

use kgbuild::Gazetteer;
use kgbuild::gazetteer::{Checker, stats};

use crate::cli::GazetteerCommand;

pub fn run(command: &GazetteerCommand) -> anyhow::Result<ExitCode> {
    match command {
        GazetteerCommand::Check { paths } => {
            let mut checker = Checker::new();
            for p in paths {
                checker.check_path(p);
            }
            let mut err = std::io::stderr().lock();
            for e in checker.errors() {
                writeln!(err, "error: {e}")?;
            }
            for w in checker.warnings() {
                writeln!(err, "warning: {w}")?;
            }
            println!(
                "{} entries, {} errors, {} warnings (probable duplicates), {} names shared \
                 between entries of different kinds or countries",
                checker.entries(),
                checker.errors().len(),
                checker.warnings().len(),
                checker.shared_names()
            );
            Ok(if checker.errors().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        GazetteerCommand::Stats { paths } => {
            let owned;
            let g = if paths.is_empty() {
                Gazetteer::bundled()
            } else {
                let mut g = Gazetteer::new();
                for p in paths {
                    g.add_path(p)?;
                }
                owned = g;
                &owned
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<32}{:>8}", "total", g.len())?;
            for (ty, subtypes) in stats(g) {
                let n: usize = subtypes.values().sum();
                writeln!(out, "{ty:<32}{n:>8}")?;
                for (sub, n) in subtypes {
                    writeln!(out, "  {sub:<30}{n:>8}")?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! `kgbuild-corpus`: writes a news-like corpus of a given size, for benchmarks.
//!
//! ```text
//! kgbuild-corpus --size 100M [--jsonl FILE | --txt FOLDER] [--names N --gazetteer-out G.tsv]
//!                [--seed S] [--sentences K]
//! ```
//!
//! - `--size`: bytes of article text to write (suffixes K, M, G: powers of 1000).
//! - `--jsonl FILE` (`-` for standard output, the default): one `{"id", "text"}` line per
//!   article. `--txt FOLDER`: one `NNNNNNN.txt` file per article, 1,000 per sub-folder.
//! - `--names N`: also write a synthetic gazetteer of N multi-word names to
//!   `--gazetteer-out`, and write about those names (with the bundled countries, cities
//!   and agencies).

mod corpus;

use std::io::Write;
use std::path::PathBuf;

use corpus::{Generator, Names, synthetic_gazetteer};

fn main() {
    if let Err(e) = run() {
        eprintln!("kgbuild-corpus: {e}");
        std::process::exit(2);
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1_000),
        Some('M' | 'm') => (&s[..s.len() - 1], 1_000_000),
        Some('G' | 'g') => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    num.parse::<f64>()
        .map(|n| (n * mult as f64) as u64)
        .map_err(|_| format!("bad size `{s}`"))
}

fn run() -> Result<(), String> {
    let mut size = 1_000_000u64;
    let mut jsonl: Option<PathBuf> = None;
    let mut txt: Option<PathBuf> = None;
    let mut names_n = 0usize;
    let mut gaz_out: Option<PathBuf> = None;
    let mut seed = 1u64;
    let mut sentences = 16usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--size" => size = parse_size(&val()?)?,
            "--jsonl" => jsonl = Some(val()?.into()),
            "--txt" => txt = Some(val()?.into()),
            "--names" => names_n = val()?.parse().map_err(|_| "bad --names")?,
            "--gazetteer-out" => gaz_out = Some(val()?.into()),
            "--seed" => seed = val()?.parse().map_err(|_| "bad --seed")?,
            "--sentences" => sentences = val()?.parse().map_err(|_| "bad --sentences")?,
            "-h" | "--help" => {
                println!(
                    "kgbuild-corpus --size 100M [--jsonl FILE | --txt FOLDER] \
                     [--names N --gazetteer-out G.tsv] [--seed S] [--sentences K]"
                );
                return Ok(());
            }
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    let mut builder = kgbuild::PipelineBuilder::new();
    if names_n > 0 {
        let path = gaz_out.ok_or("--names needs --gazetteer-out")?;
        let tsv = synthetic_gazetteer(names_n);
        std::fs::write(&path, &tsv).map_err(|e| format!("{}: {e}", path.display()))?;
        builder.gazetteer_path(&path);
    }
    let pipeline = builder.build().map_err(|e| e.to_string())?;
    let names = Names::from_gazetteer(pipeline.gazetteer());
    let mut generator = Generator::new(seed, names);
    let mut written = 0u64;
    let mut n = 0usize;
    if let Some(dir) = txt {
        while written < size {
            let sub = dir.join(format!("{:04}", n / 1000));
            if n.is_multiple_of(1000) {
                std::fs::create_dir_all(&sub).map_err(|e| format!("{}: {e}", sub.display()))?;
            }
            let text = generator.article(sentences);
            let p = sub.join(format!("{n:07}.txt"));
            std::fs::write(&p, &text).map_err(|e| format!("{}: {e}", p.display()))?;
            written += text.len() as u64;
            n += 1;
        }
    } else {
        let out: Box<dyn Write> = match jsonl.as_deref() {
            None => Box::new(std::io::stdout().lock()),
            Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdout().lock()),
            Some(p) => {
                Box::new(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?)
            }
        };
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
        while written < size {
            let text = generator.article(sentences);
            let line = serde_json::json!({"id": format!("doc-{n:07}"), "text": text});
            serde_json::to_writer(&mut out, &line).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
            written += text.len() as u64;
            n += 1;
        }
        out.flush().map_err(|e| e.to_string())?;
    }
    eprintln!("kgbuild-corpus: {n} articles, {written} bytes of text");
    Ok(())
}

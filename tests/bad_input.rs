//! Bad input: each case gets exactly one line on standard error, naming the file (and line
//! and column where there is one), exit status 2, and no output file (an existing one is
//! left as it was, and no temporary file is left behind).

use crate::util::Workdir;

struct Case {
    name: &'static str,
    setup: fn(&Workdir) -> Vec<String>,
    /// The whole line on standard error.
    error: &'static str,
}

const GOOD: &str = "Kremlin spokesman Dmitry Peskov said on Monday that talks had stalled.";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// An article and `--gazetteer g.tsv` holding `tsv`.
fn with_gazetteer(w: &Workdir, tsv: &[u8]) -> Vec<String> {
    w.write("a.txt", GOOD);
    w.write("g.tsv", tsv);
    args(&["a.txt", "--gazetteer", "g.tsv"])
}

/// An article and `--rules r.ron` holding `ron`.
fn with_rules(w: &Workdir, ron: &[u8]) -> Vec<String> {
    w.write("a.txt", GOOD);
    w.write("r.ron", ron);
    args(&["a.txt", "--rules", "r.ron"])
}

const CASES: &[Case] = &[
    // ---------------------------------------------------------------- input files
    Case {
        name: "missing file",
        setup: |_| args(&["nope.txt"]),
        error: "kgbuild: nope.txt: no such file",
    },
    Case {
        name: "empty folder",
        setup: |w| {
            std::fs::create_dir(w.path("dir")).unwrap();
            args(&["dir"])
        },
        error: "kgbuild: dir: folder has no file that matches `*.txt`",
    },
    Case {
        name: "folder with no matching file",
        setup: |w| {
            std::fs::create_dir(w.path("dir")).unwrap();
            w.write("dir/notes.md", GOOD);
            args(&["dir"])
        },
        error: "kgbuild: dir: folder has no file that matches `*.txt`",
    },
    Case {
        name: "bad glob",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "--glob", "["])
        },
        error: "kgbuild: --glob [: bad pattern: error parsing glob '[': unclosed character class; missing ']'",
    },
    Case {
        // Write-only for everyone, root included: permissions on /proc/sys are enforced
        // even for root, so this fails wherever the tests run.
        name: "unreadable file (permission denied)",
        setup: |_| args(&["/proc/sys/vm/drop_caches"]),
        error: "kgbuild: /proc/sys/vm/drop_caches: permission denied",
    },
    Case {
        // Opens, then fails to read: the process's own memory at address 0.
        name: "unreadable file (read error)",
        setup: |_| args(&["/proc/self/mem"]),
        error: "kgbuild: /proc/self/mem: input/output error",
    },
    Case {
        name: "non-UTF-8",
        setup: |w| {
            w.write("bad.txt", b"Line one.\nAb\xff\xfecd");
            args(&["bad.txt"])
        },
        error: "kgbuild: bad.txt:2:3: not valid UTF-8 (byte offset 12); --lossy replaces invalid bytes",
    },
    Case {
        // The column counts characters, not bytes.
        name: "non-UTF-8 after multi-byte characters",
        setup: |w| {
            w.write(
                "bad.txt",
                "Zelenskyy – Зеленський\n\n«Київ» \u{2014} x"
                    .as_bytes()
                    .iter()
                    .copied()
                    .chain(*b"\x80")
                    .collect::<Vec<u8>>(),
            );
            args(&["bad.txt"])
        },
        error: "kgbuild: bad.txt:3:11: not valid UTF-8 (byte offset 54); --lossy replaces invalid bytes",
    },
    Case {
        name: "truncated multi-byte character at the end",
        setup: |w| {
            w.write("bad.txt", b"Caf\xc3");
            args(&["bad.txt"])
        },
        error: "kgbuild: bad.txt:1:4: not valid UTF-8 (byte offset 3); --lossy replaces invalid bytes",
    },
    Case {
        name: "UTF-16 (byte-order mark FF FE)",
        setup: |w| {
            w.write("utf16.txt", b"\xff\xfeK\x00r\x00");
            args(&["utf16.txt"])
        },
        error: "kgbuild: utf16.txt:1:1: not valid UTF-8 (byte offset 0); --lossy replaces invalid bytes",
    },
    Case {
        name: "NUL byte",
        setup: |w| {
            w.write("nul.txt", b"Line one.\nAb\0cd");
            args(&["nul.txt"])
        },
        error: "kgbuild: nul.txt:2:3: NUL byte (byte offset 12); not a text file? --lossy reads it as a space",
    },
    Case {
        name: "empty file",
        setup: |w| {
            w.write("empty.txt", "");
            args(&["empty.txt"])
        },
        error: "kgbuild: empty.txt: file is empty",
    },
    Case {
        name: "white space only",
        setup: |w| {
            w.write("blank.txt", "  \n\t\r\n");
            args(&["blank.txt"])
        },
        error: "kgbuild: blank.txt: file is empty",
    },
    // ---------------------------------------------------------------- gazetteer files
    Case {
        name: "gazetteer with a bad type",
        setup: |w| {
            with_gazetteer(
                w,
                b"# mine\nacme\tOrganization\tcompany\tAcme\t\t\nx\tThing\tfoo\tX\t\t\n",
            )
        },
        error: "kgbuild: g.tsv:3:3: unknown type `Thing`: expected Person, Organization, Location, Misc or Lexicon",
    },
    Case {
        name: "gazetteer with a duplicate id",
        setup: |w| with_gazetteer(w, b"kremlin\tOrganization\tgovernment_body\tKremlin\t\t\n"),
        error: "kgbuild: g.tsv:1:1: duplicate id `kremlin` (first defined at <bundled>/organizations.tsv:",
    },
    Case {
        name: "gazetteer with too few fields",
        setup: |w| with_gazetteer(w, b"acme\tOrganization\n"),
        error: "kgbuild: g.tsv:1:19: expected at least 4 tab-separated fields (id, type, subtype, name), found 2",
    },
    Case {
        name: "gazetteer with a bad id",
        setup: |w| with_gazetteer(w, b"\n\nAcme Corp\tOrganization\tcompany\tAcme\n"),
        error: "kgbuild: g.tsv:3:1: bad id `Acme Corp`: use lowercase ASCII letters, digits and `-`",
    },
    Case {
        name: "gazetteer with an alias that is only a marker",
        setup: |w| with_gazetteer(w, b"acme\tOrganization\tcompany\tAcme\tAC|=\n"),
        error: "kgbuild: g.tsv:1:32: alias `=` is only a marker",
    },
    Case {
        name: "gazetteer with an attribute that is not key=value",
        setup: |w| with_gazetteer(w, b"acme\tOrganization\tcompany\tAcme\t\tcountry\n"),
        error: "kgbuild: g.tsv:1:33: attribute `country` is not key=value",
    },
    Case {
        name: "gazetteer not UTF-8",
        setup: |w| with_gazetteer(w, b"# mine\nacme\tOrganization\tcompany\tAcm\xe9\t\t\n"),
        error: "kgbuild: g.tsv:2:30: file is not valid UTF-8",
    },
    Case {
        name: "gazetteer file missing",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "--gazetteer", "none.tsv"])
        },
        error: "kgbuild: none.tsv: no such file",
    },
    Case {
        name: "gazetteer folder without tsv files",
        setup: |w| {
            w.write("a.txt", GOOD);
            std::fs::create_dir(w.path("names")).unwrap();
            args(&["a.txt", "--gazetteer", "names"])
        },
        error: "kgbuild: names: folder holds no *.tsv file",
    },
    // ---------------------------------------------------------------- rule files
    Case {
        name: "rules with a syntax error",
        setup: |w| {
            with_rules(
                w,
                b"(\n  rules: [\n    (id: \"x\", pattern: [Word([\"a\"])] emit: []),\n  ],\n)\n",
            )
        },
        error: "kgbuild: r.ron:3:38: expected comma",
    },
    Case {
        name: "rules with an unknown field",
        setup: |w| with_rules(w, b"(rules: [], colour: 1)"),
        error: "kgbuild: r.ron:1:13: unexpected field named `colour` in `RuleFile`, expected either `predicates` or `rules` instead",
    },
    Case {
        name: "rules with an unbound slot",
        setup: |w| {
            with_rules(
                w,
                b"(\n  rules: [\n    (\n      id: \"mine.x\",\n      pattern: [Entity(bind: \"a\")],\n      emit: [(subject: \"a\", predicate: \"met_with\", object: \"b\")],\n    ),\n  ],\n)\n",
            )
        },
        error: "kgbuild: r.ron:4:11: rule `mine.x`: slot `b` is not bound by the pattern",
    },
    Case {
        name: "rules with an unknown lexicon category",
        setup: |w| {
            with_rules(
                w,
                b"(rules: [(id: \"mine.y\", pattern: [Lex(category: \"nonsense\")], emit: [(subject: \"a\", predicate: \"met_with\", object: \"a\")])])",
            )
        },
        error: "kgbuild: r.ron:1:15: rule `mine.y`: unknown lexicon category `nonsense` (no Lexicon entry of that subtype in the gazetteer)",
    },
    Case {
        name: "rules with a bundled rule's id",
        setup: |w| {
            with_rules(
                w,
                b"(rules: [(id: \"role.counterpart\", pattern: [Entity(bind: \"a\")], emit: [(subject: \"a\", predicate: \"met_with\", object: \"a\")])])",
            )
        },
        error: "kgbuild: r.ron:1:15: rule `role.counterpart`: duplicate rule id",
    },
    Case {
        name: "rules file empty",
        setup: |w| with_rules(w, b""),
        error: "kgbuild: r.ron:1:1: expected opening `(` for struct `RuleFile`",
    },
    Case {
        name: "rules not UTF-8",
        setup: |w| with_rules(w, b"(rules: [])\n// caf\xe9\n"),
        error: "kgbuild: r.ron:2:7: file is not valid UTF-8",
    },
    Case {
        name: "rules file missing",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "--rules", "none.ron"])
        },
        error: "kgbuild: none.ron: no such file",
    },
    // ---------------------------------------------------------------- output
    Case {
        name: "output folder missing",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "-o", "no/such/dir/g.json"])
        },
        error: "kgbuild: no/such/dir/g.json: cannot create output: folder no/such/dir does not exist",
    },
    Case {
        name: "output folder is a file",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "-o", "a.txt/g.json"])
        },
        error: "kgbuild: a.txt/g.json: cannot create output: a parent is not a folder",
    },
    Case {
        // sysfs refuses new files to everyone, root included.
        name: "output in a read-only place",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "-o", "/sys/kgbuild-test.json"])
        },
        error: "kgbuild: /sys/kgbuild-test.json: cannot create output: permission denied",
    },
    Case {
        name: "output is a folder",
        setup: |w| {
            w.write("a.txt", GOOD);
            std::fs::create_dir(w.path("out")).unwrap();
            args(&["a.txt", "-o", "out", "--format", "json"])
        },
        error: "kgbuild: out: cannot write output: is a folder",
    },
    Case {
        name: "unknown output extension",
        setup: |w| {
            w.write("a.txt", GOOD);
            args(&["a.txt", "-o", "g.xyz"])
        },
        error: "kgbuild: g.xyz: unknown output extension; use .dot, .gv, .ron, .json, .graphml, .nt, .ttl, .cypher, .svg, .png or .pdf, or --format",
    },
];

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), CASES.len());
}

/// The names of the `.tmp*` files kgbuild's atomic writes would leave in `dir`.
fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".tmp"))
        .collect()
}

#[test]
fn each_bad_input_gets_one_exact_line_and_exit_2() {
    let mut wrong = Vec::new();
    for case in CASES {
        let w = Workdir::new();
        let mut args = (case.setup)(&w);
        let has_output = args.iter().any(|a| a == "-o");
        if !has_output {
            args.push("-o".into());
            args.push("out.json".into());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = w.run(&argv);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.name);
        assert_eq!(
            stderr.lines().count(),
            1,
            "{}: not one line: {stderr}",
            case.name
        );
        // A row ending in `:` (the duplicate id's first definition) fixes only the start.
        let line = stderr.trim_end_matches('\n');
        let ok = if case.error.ends_with(':') {
            line.starts_with(case.error)
        } else {
            line == case.error
        };
        if !ok {
            wrong.push(format!(
                "{}:\n   got {line}\n  want {}",
                case.name, case.error
            ));
        }
        if !has_output {
            assert!(!w.path("out.json").exists(), "{}: wrote output", case.name);
        }
        assert!(
            temp_files(w.dir.path()).is_empty(),
            "{}: left a temp file",
            case.name
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn failed_run_keeps_the_previous_output() {
    let w = Workdir::new();
    w.write("g.json", "previous");
    w.write("bad.txt", b"\xff");
    let out = w.run(&["bad.txt", "-o", "g.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(w.path("g.json")).unwrap(),
        "previous"
    );
    assert!(temp_files(w.dir.path()).is_empty());
}

/// A write that fails half-way (the file-size limit, which binds root too, is hit after the
/// first kilobyte) keeps the previous graph and leaves no temporary file.
#[test]
fn write_failing_half_way_keeps_the_previous_output() {
    let w = Workdir::new();
    w.write("g.json", "previous");
    w.write("a.txt", GOOD.repeat(20));
    let out = std::process::Command::new("bash")
        .arg("-c")
        // SIGXFSZ ignored: the write then fails with EFBIG instead of killing the process.
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" a.txt -o g.json")
        .arg(env!("CARGO_BIN_EXE_kgbuild"))
        .current_dir(w.dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "kgbuild: g.json: cannot write output: file too large"
    );
    assert_eq!(
        std::fs::read_to_string(w.path("g.json")).unwrap(),
        "previous"
    );
    assert!(temp_files(w.dir.path()).is_empty());
}

/// A folder without write permission. Root ignores permissions, so there the table's
/// `/sys` row covers the read-only case and this one says it is skipped.
#[test]
fn read_only_folder_is_refused_for_non_root() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    let ro = w.path("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::File::create(ro.join("probe")).is_ok() {
        eprintln!("skipped: running as root, which may write into a read-only folder");
        return;
    }
    let out = w.run(&["a.txt", "-o", "ro/g.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "kgbuild: ro/g.json: cannot create output: permission denied"
    );
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
}

/// The output gets the permissions of a plain file (0666 less the umask), not the 0600 of
/// a private temporary file.
#[test]
fn output_file_gets_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" a.txt -o g.json")
        .arg(env!("CARGO_BIN_EXE_kgbuild"))
        .current_dir(w.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mode = std::fs::metadata(w.path("g.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn lossy_replaces_invalid_bytes_and_nul_and_goes_on() {
    let w = Workdir::new();
    w.write(
        "bad.txt",
        [b"Kremlin spokesman Dmitry Peskov\0said \xff\xfe on Monday.".as_slice()].concat(),
    );
    let out = w.run(&["bad.txt", "--lossy", "-o", "g.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g = crate::util::read_json(&w.path("g.json"));
    assert!(
        g["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["predicate"] == "spokesman_of")
    );
    // The evidence is the replaced text: NUL became a space, each invalid byte U+FFFD.
    let text = g["edges"][0]["evidence"][0]["text"].as_str().unwrap();
    assert!(text.contains("Peskov said \u{fffd}\u{fffd} on"), "{text:?}");
}

#[test]
fn lossy_applies_to_json_lines_too() {
    let w = Workdir::new();
    w.write(
        "in.jsonl",
        b"{\"id\": 1, \"text\": \"Kremlin spokesman Dmitry Peskov said \xff.\"}\n",
    );
    let out = w.run(&["--jsonl", "in.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "kgbuild: in.jsonl:1:57: not valid UTF-8 (byte offset 56); --lossy replaces invalid bytes"
    );
    let out = w.run(&["--jsonl", "in.jsonl", "--lossy"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("spokesman_of"));
}

/// 100 MB on one line works. The line is mostly spaces so that a debug build gets through
/// it quickly; `scripts/pathological.sh` measures 100 MB of real text in a release build.
#[test]
fn hundred_megabytes_on_one_line() {
    let w = Workdir::new();
    let mut text = " ".repeat(100_000_000 - GOOD.len());
    text.push_str(GOOD);
    w.write("big.txt", &text);
    drop(text);
    let out = w.run(&["big.txt", "-o", "g.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g = crate::util::read_json(&w.path("g.json"));
    let ev = &g["edges"][0]["evidence"][0];
    assert_eq!(ev["start"], 100_000_000 - GOOD.len());
    assert_eq!(ev["text"], GOOD);
}

#[test]
fn one_bad_input_among_good_ones_fails_the_run() {
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    let out = w.run(&["a.txt", "missing.txt", "-o", "g.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt"));
    assert!(!w.path("g.json").exists());
}

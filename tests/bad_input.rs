//! Bad input: each case gets one clear line naming the file, exit status 2, and no output
//! file (an existing one is left as it was).

use crate::util::Workdir;

struct Case {
    name: &'static str,
    setup: fn(&Workdir) -> Vec<String>,
    /// Substrings the one-line error must contain.
    expect: &'static [&'static str],
}

const GOOD: &str = "Kremlin spokesman Dmitry Peskov said on Monday that talks had stalled.";

const CASES: &[Case] = &[
    Case {
        name: "missing file",
        setup: |_| vec!["nope.txt".into()],
        expect: &["kgbuild: nope.txt: no such file"],
    },
    Case {
        name: "empty folder",
        setup: |w| {
            std::fs::create_dir(w.path("dir")).unwrap();
            vec!["dir".into()]
        },
        expect: &["kgbuild: dir: folder has no file that matches `*.txt`"],
    },
    Case {
        name: "folder with no matching file",
        setup: |w| {
            std::fs::create_dir(w.path("dir")).unwrap();
            w.write("dir/notes.md", GOOD);
            vec!["dir".into()]
        },
        expect: &["kgbuild: dir: folder has no file that matches `*.txt`"],
    },
    Case {
        name: "bad glob",
        setup: |w| {
            w.write("a.txt", GOOD);
            vec!["a.txt".into(), "--glob".into(), "[".into()]
        },
        expect: &["kgbuild: --glob [: bad pattern"],
    },
    Case {
        name: "non-UTF-8",
        setup: |w| {
            w.write("bad.txt", b"Line one.\nAb\xff\xfecd");
            vec!["bad.txt".into()]
        },
        expect: &["kgbuild: bad.txt:2:3: not valid UTF-8"],
    },
    Case {
        name: "empty file",
        setup: |w| {
            w.write("empty.txt", "  \n");
            vec!["empty.txt".into()]
        },
        expect: &["kgbuild: empty.txt: file is empty"],
    },
    Case {
        name: "gazetteer with a bad type",
        setup: |w| {
            w.write("a.txt", GOOD);
            w.write(
                "g.tsv",
                "# mine\nacme\tOrganization\tcompany\tAcme\t\t\nx\tThing\tfoo\tX\t\t\n",
            );
            vec!["a.txt".into(), "--gazetteer".into(), "g.tsv".into()]
        },
        expect: &["kgbuild: g.tsv:3:3: unknown type `Thing`"],
    },
    Case {
        name: "gazetteer with a duplicate id",
        setup: |w| {
            w.write("a.txt", GOOD);
            w.write(
                "g.tsv",
                "kremlin\tOrganization\tgovernment_body\tKremlin\t\t\n",
            );
            vec!["a.txt".into(), "--gazetteer".into(), "g.tsv".into()]
        },
        expect: &["kgbuild: g.tsv:1:1: duplicate id `kremlin`"],
    },
    Case {
        name: "gazetteer file missing",
        setup: |w| {
            w.write("a.txt", GOOD);
            vec!["a.txt".into(), "--gazetteer".into(), "none.tsv".into()]
        },
        expect: &["kgbuild: none.tsv:"],
    },
    Case {
        name: "rules with a syntax error",
        setup: |w| {
            w.write("a.txt", GOOD);
            w.write(
                "r.ron",
                "(\n  rules: [\n    (id: \"x\", pattern: [Word([\"a\"])] emit: []),\n  ],\n)\n",
            );
            vec!["a.txt".into(), "--rules".into(), "r.ron".into()]
        },
        expect: &["kgbuild: r.ron:3:"],
    },
    Case {
        name: "rules with an unbound slot",
        setup: |w| {
            w.write("a.txt", GOOD);
            w.write(
                "r.ron",
                "(\n  rules: [\n    (\n      id: \"mine.x\",\n      pattern: [Entity(bind: \"a\")],\n      emit: [(subject: \"a\", predicate: \"met_with\", object: \"b\")],\n    ),\n  ],\n)\n",
            );
            vec!["a.txt".into(), "--rules".into(), "r.ron".into()]
        },
        expect: &["kgbuild: r.ron:4:", "rule `mine.x`: slot `b` is not bound"],
    },
    Case {
        name: "rules with an unknown lexicon category",
        setup: |w| {
            w.write("a.txt", GOOD);
            w.write(
                "r.ron",
                "(rules: [(id: \"mine.y\", pattern: [Lex(category: \"nonsense\")], emit: [(subject: \"a\", predicate: \"met_with\", object: \"a\")])])",
            );
            vec!["a.txt".into(), "--rules".into(), "r.ron".into()]
        },
        expect: &["kgbuild: r.ron:1:", "mine.y"],
    },
    Case {
        name: "output folder missing",
        setup: |w| {
            w.write("a.txt", GOOD);
            vec!["a.txt".into(), "-o".into(), "no/such/dir/g.json".into()]
        },
        expect: &["kgbuild: no/such/dir/g.json: cannot create output"],
    },
    Case {
        name: "unknown output extension",
        setup: |w| {
            w.write("a.txt", GOOD);
            vec!["a.txt".into(), "-o".into(), "g.xyz".into()]
        },
        expect: &["kgbuild: g.xyz: unknown output extension"],
    },
];

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), CASES.len());
}

#[test]
fn each_bad_input_gets_one_clear_line_and_exit_2() {
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
        for want in case.expect {
            assert!(
                stderr.contains(want),
                "{}: {stderr:?} lacks {want:?}",
                case.name
            );
        }
        assert!(!stderr.contains("panicked"), "{}", case.name);
        if !has_output {
            assert!(!w.path("out.json").exists(), "{}: wrote output", case.name);
        }
    }
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
    let leftovers: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
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

//! Regression tests, each named after what it guards.

use std::os::unix::fs::FileTypeExt;

use crate::util::Workdir;

const GOOD: &str = "Kremlin spokesman Dmitry Peskov said on Monday that talks had stalled.";

/// `-o /dev/null` used to rename a temporary file over the device, leaving a regular file
/// at /dev/null for the whole machine. Writing to a FIFO shows the same path without
/// touching /dev: it must stay a FIFO, and the reader must get the graph.
#[test]
fn output_to_a_device_or_pipe_is_written_in_place() {
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    let fifo = w.path("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = w.run(&["a.txt", "-o", "pipe", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = reader.join().unwrap();
    assert!(got.contains("\"spokesman_of\""), "{got}");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
}

/// Atomic replacement must replace the file a symbolic link names, not the link.
#[test]
fn output_through_a_symlink_keeps_the_link() {
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    w.write("real.json", "previous");
    std::os::unix::fs::symlink("real.json", w.path("link.json")).unwrap();
    let out = w.run(&["a.txt", "-o", "link.json"]);
    assert_eq!(out.status.code(), Some(0));
    let meta = std::fs::symlink_metadata(w.path("link.json")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    let real = std::fs::read_to_string(w.path("real.json")).unwrap();
    assert!(real.contains("\"spokesman_of\""), "{real}");
}

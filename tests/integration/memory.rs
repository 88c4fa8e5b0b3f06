//! Bounded memory, measured: the child's peak resident set (`VmHWM` from
//! `/proc/<pid>/status`, read just before its input ends) stays under a
//! generous ceiling for inputs that would grow an unbounded filter without
//! limit. A bound on growth, not a timing test. Linux only.

use crate::util::{peak_rss_kib, std_command};
use std::io::{Read, Write};
use std::process::Stdio;
use std::thread;

const CEILING_KIB: u64 = 64 * 1024;

/// Runs logdedup with `args`, writing `write_input`'s bytes to its stdin,
/// reading stdout until `done(bytes_so_far, tail)` says the input has been
/// processed, then samples the peak RSS and closes stdin.
fn peak_while(
    args: &[&str],
    write_input: impl FnOnce(&mut dyn Write) + Send + 'static,
    done: impl Fn(u64, &[u8]) -> bool,
) -> u64 {
    let mut child = std_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let writer = thread::spawn(move || {
        write_input(&mut stdin);
        stdin.flush().unwrap();
        // Keep stdin open until the peak has been read.
        let _ = rx.recv();
        drop(stdin);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    let mut tail = Vec::new();
    loop {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "logdedup ended early");
        total += n as u64;
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 64 {
            tail.drain(..tail.len() - 64);
        }
        if done(total, &tail) {
            break;
        }
    }
    let peak = peak_rss_kib(pid);
    tx.send(()).unwrap();
    writer.join().unwrap();
    std::io::copy(&mut stdout, &mut std::io::sink()).unwrap();
    assert!(child.wait().unwrap().success());
    peak
}

#[test]
fn a_200_mb_line_without_newline_does_not_grow_memory() {
    const SIZE: u64 = 200 << 20;
    let peak = peak_while(
        &[],
        |stdin| {
            let block = vec![b'x'; 1 << 20];
            for _ in 0..(SIZE >> 20) {
                stdin.write_all(&block).unwrap();
            }
        },
        |total, _| total >= SIZE,
    );
    eprintln!("peak RSS, 200 MB line: {peak} KiB");
    assert!(peak < CEILING_KIB, "peak RSS {peak} KiB");
}

#[test]
fn a_million_distinct_keys_do_not_grow_memory() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("k.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"k\"\npattern = 'user=(?P<u>\\d+)'\nkey = \"{u}\"\n",
    )
    .unwrap();
    let rules = rules.to_str().unwrap().to_owned();
    let peak = peak_while(
        &["-r", &rules, "--template", "{count}"],
        |stdin| {
            let mut batch = String::new();
            for i in 0..1_000_000u32 {
                batch.push_str(&format!("login failed user={i}\n"));
                if batch.len() > 1 << 16 {
                    stdin.write_all(batch.as_bytes()).unwrap();
                    batch.clear();
                }
            }
            batch.push_str("END OF INPUT\n");
            stdin.write_all(batch.as_bytes()).unwrap();
        },
        |_, tail| tail.ends_with(b"END OF INPUT\n"),
    );
    eprintln!("peak RSS, 10^6 keys: {peak} KiB");
    assert!(peak < CEILING_KIB, "peak RSS {peak} KiB");
}

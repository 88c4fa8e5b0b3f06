//! `logdedup run` in a terminal, as a job of an interactive shell (bash in
//! a pseudo-terminal, with job control): one Ctrl-C is one SIGINT for the
//! bot, a bot under `--group` can read the terminal (a first-login
//! prompt), and Ctrl-Z then `fg` stop and continue the job.
//!
//! Time limits are liveness bounds (a hang fails instead of blocking the
//! suite), never performance assertions; waits are on conditions.

use crate::util::RuleDir;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// An interactive bash on a new pseudo-terminal, in a session of its own
/// whose controlling terminal that is; everything written to the terminal
/// is collected in `screen`.
struct Terminal {
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    shell: Child,
}

impl Terminal {
    fn open() -> Terminal {
        let (mut master, mut slave): (libc::c_int, libc::c_int) = (-1, -1);
        // SAFETY: openpty writes the two descriptors; the name, termios and
        // window size are optional and passed as null.
        let rc = unsafe {
            libc::openpty(
                &raw mut master,
                &raw mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here only.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let stdio = || Stdio::from(slave.try_clone().expect("dup the terminal"));
        let mut command = Command::new("bash");
        command
            .args(["--norc", "--noprofile", "-i"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PS1", "$ ")
            .env("TERM", "dumb")
            .env("INPUTRC", "/dev/null")
            .env("HISTFILE", "/dev/null")
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio());
        // SAFETY: setsid and ioctl are async-signal-safe; the child makes
        // the terminal on its standard input its controlling terminal, in
        // a new session, as a terminal emulator does for its shell.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let shell = command.spawn().expect("bash is needed for terminal tests");
        drop(command);
        drop(slave);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup the master");
        let sink = Arc::clone(&screen);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once no process has the terminal open.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            master,
            screen,
            shell,
        }
    }

    /// Types `bytes` (a control character is the key that sends it).
    fn type_in(&mut self, bytes: &str) {
        self.master.write_all(bytes.as_bytes()).expect("type");
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().expect("lock")).into_owned()
    }

    /// Waits until the screen shows `want` after what it showed when
    /// `from` (a length of [`Terminal::text`]) was taken; returns where it
    /// ends.
    fn wait_for(&self, from: usize, want: &str) -> usize {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.text();
            if let Some(at) = text.get(from..).and_then(|t| t.find(want)) {
                return from + at + want.len();
            }
            assert!(Instant::now() < deadline, "never saw {want:?} in {text:?}");
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Terminal {
    /// Leaves nothing behind: every process of the shell's session (the
    /// shell, logdedup, the bot) is killed.
    fn drop(&mut self) {
        let session = self.shell.id().to_string();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // Fields after the command name: state, ppid, pgrp, session.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            if fields.get(3) == Some(&session.as_str()) {
                let _ = Command::new("kill")
                    .args(["-9", &entry.file_name().to_string_lossy()])
                    .status();
            }
        }
        let _ = self.shell.wait();
    }
}

/// The command line that runs logdedup with `args` on `python3 BOT`,
/// then prints its status.
fn job(args: &str, bot: &std::path::Path) -> String {
    let bin = assert_cmd::cargo::cargo_bin("logdedup");
    format!(
        "{} run {args} -- python3 {}; echo status=$?\n",
        bin.display(),
        bot.display()
    )
}

/// A bot that counts its SIGINTs, and reports the count once it reads a
/// line.
const COUNTING_BOT: &str = "\
import signal, sys
n = 0
def on_int(*_):
    global n
    n += 1
    print(f'INT {n}', flush=True)
signal.signal(signal.SIGINT, on_int)
print('noise', flush=True)
print('ready', flush=True)
sys.stdin.readline()
print(f'total {n}', flush=True)
";

/// A bot at its first login: a prompt without a newline, then the answer
/// read from the terminal.
const LOGIN_BOT: &str = "\
import sys
sys.stdout.write('Enter phone number or bot token: ')
sys.stdout.flush()
print('got', sys.stdin.readline().strip(), flush=True)
";

/// One Ctrl-C, one SIGINT. In logdedup's process group (the default) the
/// bot gets the terminal's SIGINT itself, and logdedup once passed its
/// own copy on too: two, unless both arrived before the bot's handler ran
/// (then the kernel merges them), so the job is run several times. Under
/// `--group` the bot's group is the terminal's foreground group and alone
/// gets it.
#[test]
fn one_ctrl_c_is_one_sigint_for_the_bot() {
    for (group, runs) in [(false, 5), (true, 1)] {
        let dir = RuleDir::new();
        let bot = dir.file("counting.py", COUNTING_BOT);
        let rules = dir.file(
            "noise.toml",
            "[[rule]]\nname = \"noise\"\npattern = '^noise'\nwindow = \"1h\"\n",
        );
        let mut args = format!(
            "-r {} --no-default-rules --template 'S {{count}}'",
            rules.display()
        );
        if group {
            args.push_str(" --group");
        }
        let mut term = Terminal::open();
        let mut at = 0;
        for run in 0..runs {
            term.type_in(&job(&args, &bot));
            at = term.wait_for(at, "ready\r\n");
            term.type_in("\x03");
            // A barrier: logdedup has handled its SIGINT (it writes the
            // pending summary at once, after passing the signal on if it
            // does), or, under --group, the bot has handled its own.
            at = term.wait_for(at, if group { "INT 1\r\n" } else { "S 1\r\n" });
            term.type_in("go\n");
            let total = term.wait_for(at, "total ");
            at = term.wait_for(total, "status=");
            let text = term.text();
            assert!(
                text[total..].starts_with("1\r\n"),
                "group {group}, run {run}: {text:?}"
            );
            at = term.wait_for(at, "0\r\n");
        }
    }
}

/// `--group`: the bot, in a process group of its own, was stopped by
/// SIGTTIN as soon as it read the terminal, and the run hung for ever.
/// Its group is now the terminal's foreground group while it runs.
#[test]
fn a_bot_under_group_reads_the_terminal() {
    let dir = RuleDir::new();
    let bot = dir.file("login.py", LOGIN_BOT);
    let mut term = Terminal::open();
    term.type_in(&job("--group", &bot));
    let at = term.wait_for(0, "Enter phone number or bot token: ");
    term.type_in("alice\n");
    let at = term.wait_for(at, "got alice\r\n");
    term.wait_for(at, "status=0");
}

/// Ctrl-Z under `--group` stops the bot; logdedup stops too, so the shell
/// gets the terminal back and reports the job stopped; `fg` gives the bot
/// the terminal again and continues it.
#[test]
fn ctrl_z_stops_the_job_and_fg_continues_it() {
    let dir = RuleDir::new();
    let bot = dir.file("login.py", LOGIN_BOT);
    let mut term = Terminal::open();
    term.type_in(&job("--group", &bot));
    let at = term.wait_for(0, "Enter phone number or bot token: ");
    term.type_in("\x1a");
    let at = term.wait_for(at, "Stopped");
    term.type_in("fg\n");
    // bash prints the job's command line as it continues it.
    let at = term.wait_for(at, "fg\r\n");
    let at = term.wait_for(at, "login.py\r\n");
    term.type_in("alice\n");
    let at = term.wait_for(at, "got alice\r\n");
    term.type_in("echo after=$?\n");
    term.wait_for(at, "after=0");
}

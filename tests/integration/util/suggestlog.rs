//! A deterministic log of a polling Telegram bot with the variety `suggest`
//! has to cope with, each record labelled with what it is: for the
//! `suggest` tests and for measuring `suggest` (`examples/gen_suggest_log.rs`).
//!
//! Compared with `tests/botlog` (the filter's benchmark log) it adds what
//! made `suggest` slow or wrong:
//!
//! - httpx's request line for every `getUpdates` long poll (a steady line
//!   every few seconds) and for every reply (`sendMessage`), with a bot
//!   token in the URL, as httpx 0.28 prints it (`HTTP Request: %s %s "%s %d
//!   %s"`, harvested in `tests/data/harvest/http/ptb22.*.log`);
//! - users' free text echoed by the bot, and handler names made of words,
//!   so that the distinct messages (and templates) never stop coming;
//! - a bot logger that prints bare numbers at DEBUG in bursts, and ERROR and
//!   CRITICAL lines of the same logger that also end in a number;
//! - the library noise floods of `tests/botlog` (asyncio, Pyrogram,
//!   Telethon, urllib3, python-telegram-bot), whose wording that module
//!   took from the libraries.

#![allow(dead_code)]

use std::io::{self, Write};

/// What a generated record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The bot's own lines (free text, replies, handler timings).
    Bot,
    /// httpx's line for a `getUpdates` poll.
    Poll,
    /// httpx's line for a reply (`sendMessage`).
    Send,
    /// `bot.metrics` DEBUG lines that are a bare number.
    Number,
    /// Library noise in a flood.
    Noise,
    /// ERROR or CRITICAL records, some with a traceback.
    Error,
}

/// The bot token in the URLs: the shape of a real one (digits, colon, 35
/// characters), made up.
pub const TOKEN: &str = "7012345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0";

/// xorshift64*: fast, deterministic, good enough for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// An exponentially distributed wait (random arrivals) of mean `mean`.
    pub fn wait(&mut self, mean: f64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (-mean * (1.0 - u).ln()) as u64
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const USERS: &[&str] = &[
    "@alice", "@bob_k", "@carol", "@dmitri", "@eve42", "@gus", "@hanna.b", "@ivo",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ba", "de", "fi", "go", "hu", "ja", "ke", "li",
    "mo", "nu", "pa", "re", "se", "to", "wi", "zo",
];
const MONTH: &str = "Nov";

/// A made-up word: 2 to 4 syllables (some 350 000 of them).
fn word(rng: &mut Rng, out: &mut String) {
    for _ in 0..2 + rng.below(3) {
        out.push_str(rng.pick(SYLLABLES));
    }
}

fn words(rng: &mut Rng, n: u64) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        word(rng, &mut s);
    }
    s
}

/// One of four layouts (Python's default, Pyrogram's, `basicConfig`,
/// loguru), with a time in milliseconds.
fn render(out: &mut Vec<u8>, layout: u64, ms: u64, logger: &str, level: &str, message: &str) {
    let s = ms / 1000;
    let (day, h, m, sec, milli) = (
        20 + s / 86_400 % 10,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60,
        ms % 1000,
    );
    let _ = match layout % 4 {
        0 => writeln!(out, "2025-11-{day:02} {h:02}:{m:02}:{sec:02},{milli:03} - {logger} - {level} - {message}"),
        1 => writeln!(out, "[{day:02}-{MONTH}-25 {h:02}:{m:02}:{sec:02} - {level}] - {logger} - {message}"),
        2 => writeln!(out, "{level}:{logger}:{message}"),
        _ => writeln!(out, "2025-11-{day:02} {h:02}:{m:02}:{sec:02}.{milli:03} | {level:<8} | {logger}:handle:42 - {message}"),
    };
}

fn httpx(out: &mut Vec<u8>, layout: u64, ms: u64, method: &str) {
    let message = format!(
        "HTTP Request: POST https://api.telegram.org/bot{TOKEN}/{method} \"HTTP/1.1 200 OK\""
    );
    render(out, layout, ms, "httpx", "INFO", &message);
}

/// What the bot logs for one update, and its reply.
fn update(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    layout: u64,
    ms: u64,
    sink: &mut Sink,
) -> io::Result<()> {
    let user = rng.pick(USERS);
    let message = match rng.below(4) {
        0 => {
            let chat = 100_000 + rng.below(900_000);
            let n = 1 + rng.below(12);
            format!("Message from {user} in chat {chat}: {}", words(rng, n))
        }
        1 => {
            let mut handler = String::new();
            word(rng, &mut handler);
            format!("{handler}Handler done for {user} in {} ms", rng.below(900))
        }
        2 => format!("Replied to {user} in {} ms", 40 + rng.below(900)),
        _ => {
            let n = 1 + rng.below(4);
            format!("Saved note \"{}\" for {user}", words(rng, n))
        }
    };
    out.clear();
    render(out, layout, ms, "bot", "INFO", &message);
    sink(out, Kind::Bot)?;
    out.clear();
    httpx(out, layout, ms + 40 + rng.below(200), "sendMessage");
    sink(out, Kind::Send)
}

/// One line of a library noise flood (wording from `tests/botlog`).
fn noise(out: &mut Vec<u8>, rng: &mut Rng, layout: u64, ms: u64) {
    let (logger, level, message) = match rng.below(8) {
        0..=2 => (
            "asyncio",
            "WARNING",
            "socket.send() raised exception.".to_owned(),
        ),
        3 => (
            "pyrogram.connection.transport.tcp.tcp",
            "INFO",
            "Send exception: ConnectionResetError Connection lost".to_owned(),
        ),
        4 => (
            "pyrogram.session.session",
            "WARNING",
            format!(
                "[{}] Retrying \"{}\" due to: Connection lost",
                1 + rng.below(5),
                rng.pick(&["messages.SendMessage", "updates.GetState"])
            ),
        ),
        5 => (
            "pyrogram.connection.connection",
            "INFO",
            format!("Connected! Production DC{} - IPv4", 1 + rng.below(5)),
        ),
        6 => (
            "telethon.network.mtprotosender",
            "INFO",
            format!(
                "Connecting to 149.154.167.{}:443/TcpFull...",
                50 + rng.below(5)
            ),
        ),
        _ => (
            "telegram.ext.Updater",
            "WARNING",
            "Network Retry Loop (Polling Updates): Network error: httpx.ReadError: ".to_owned(),
        ),
    };
    render(out, layout, ms, logger, level, &message);
}

/// The sink of [`generate`]: a record (whole lines) and its kind.
pub type Sink<'a> = dyn FnMut(&[u8], Kind) -> io::Result<()> + 'a;

/// Writes records until `size` bytes are out. `layout` picks one of four
/// layouts for the whole log, or with `None` the layout changes hourly.
/// `seed` picks another, equally deterministic, log.
pub fn generate(size: u64, layout: Option<u64>, seed: u64, sink: &mut Sink) -> io::Result<()> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1234_5678_9abc_def1));
    let mut buf = Vec::with_capacity(1 << 12);
    let mut written = 0u64;
    let mut ms = 0u64;
    let mut next_poll = 0u64;
    let mut flood = 0u64; // noise lines left in the current flood
    let mut numbers = 0u64; // bare-number lines left in the current burst
    let mut counting = move |buf: &[u8], kind: Kind, written: &mut u64| {
        *written += buf.len() as u64;
        sink(buf, kind)
    };
    while written < size {
        let lay = layout.unwrap_or(ms / 3_600_000 + seed);
        buf.clear();
        if flood > 0 {
            ms += rng.below(20);
            flood -= 1;
            noise(&mut buf, &mut rng, lay, ms);
            counting(&buf, Kind::Noise, &mut written)?;
            continue;
        }
        if numbers > 0 {
            ms += rng.below(10);
            numbers -= 1;
            render(
                &mut buf,
                lay,
                ms,
                "bot.metrics",
                "DEBUG",
                &rng.below(5000).to_string(),
            );
            counting(&buf, Kind::Number, &mut written)?;
            continue;
        }
        // Users write at random: exponential waits between updates.
        let wait = rng.wait(600.0);
        if ms + wait >= next_poll {
            // The long poll runs on its own timer.
            ms = next_poll;
            httpx(&mut buf, lay, ms, "getUpdates");
            counting(&buf, Kind::Poll, &mut written)?;
            next_poll = ms + 2000 + rng.below(8000);
            continue;
        }
        ms += wait;
        match rng.below(1000) {
            0..=5 => flood = 30 + rng.below(120),
            6..=9 => numbers = 20 + rng.below(60),
            10..=12 => {
                let (level, message) = match rng.below(3) {
                    0 => (
                        "ERROR",
                        format!("Queue overflow, dropped {}", rng.below(500)),
                    ),
                    1 => ("CRITICAL", rng.below(5000).to_string()),
                    _ => ("ERROR", format!("Worker restarts: {}", rng.below(9))),
                };
                render(&mut buf, lay, ms, "bot.metrics", level, &message);
                counting(&buf, Kind::Error, &mut written)?;
            }
            13 => {
                render(
                    &mut buf,
                    lay,
                    ms,
                    "bot",
                    "ERROR",
                    "Unhandled error in /forecast",
                );
                buf.extend_from_slice(b"Traceback (most recent call last):\n  File \"/srv/bot/handlers.py\", line 88, in forecast\n    data = await fetch(city)\naiohttp.client_exceptions.ServerDisconnectedError: Server disconnected\n");
                counting(&buf, Kind::Error, &mut written)?;
            }
            _ => {
                let mut sink = |b: &[u8], k: Kind| counting(b, k, &mut written);
                update(&mut buf, &mut rng, lay, ms, &mut sink)?;
            }
        }
    }
    Ok(())
}

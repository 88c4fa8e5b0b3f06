//! A deterministic, realistic Telegram-bot log, each record labelled with
//! what it is, for the benchmark (`examples/gen_log.rs`) and for tests that
//! need to know which lines are noise (the `suggest` quality test).
//!
//! Bot lines in four logging layouts (Python's default, Pyrogram's template,
//! `basicConfig`, loguru), noise in bursts (asyncio's socket.send() flood,
//! Pyrogram's reconnect chatter and retries, Telethon/urllib3/httpx retries,
//! flood waits, handler errors with tracebacks) and occasional real
//! tracebacks.

#![allow(dead_code)]

use std::io::{self, Write};

/// What a generated record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The bot's own traffic.
    Normal,
    /// Benign library noise: what rules should collapse.
    Noise,
    /// An ERROR record with a traceback (during a flood or not): something
    /// to see, never to suppress.
    Error,
}

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // xorshift64*: fast, deterministic, good enough for test data.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const USERS: &[&str] = &[
    "@alice",
    "@bob_k",
    "@carol",
    "@dmitri",
    "@eve42",
    "@f_nakamura",
    "@gus",
    "@hanna.b",
];
const CITIES: &[&str] = &[
    "Berlin", "Lisbon", "Tbilisi", "Osaka", "Lima", "Nairobi", "Oslo", "Quito",
];
const COMMANDS: &[&str] = &[
    "/weather",
    "/forecast",
    "/start",
    "/help",
    "/subscribe",
    "/units",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

struct Clock {
    ms: u64,
}

impl Clock {
    fn advance(&mut self, rng: &mut Rng, max_ms: u64) {
        self.ms += rng.below(max_ms + 1);
    }
    /// Day 0 is 2025-11-20; the generated span stays within the month.
    fn parts(&self) -> (u64, u64, u64, u64, u64) {
        let s = self.ms / 1000;
        (
            20 + s / 86_400 % 10,
            s / 3600 % 24,
            s / 60 % 60,
            s % 60,
            self.ms % 1000,
        )
    }
}

/// The four layouts, rendered with a logger name, a level and a message.
fn render(out: &mut Vec<u8>, layout: u64, clock: &Clock, logger: &str, level: &str, message: &str) {
    let (day, h, m, s, ms) = clock.parts();
    let _ = match layout {
        0 => writeln!(out, "2025-11-{day:02} {h:02}:{m:02}:{s:02},{ms:03} - {logger} - {level} - {message}"),
        1 => writeln!(out, "[{day:02}-{}-25 {h:02}:{m:02}:{s:02} - {level}] - {logger} - {message}", MONTHS[10]),
        2 => writeln!(out, "{level}:{logger}:{message}"),
        _ => writeln!(out, "2025-11-{day:02} {h:02}:{m:02}:{s:02}.{ms:03} | {level:<8} | {logger}:handle:42 - {message}"),
    };
}

fn bot_line(out: &mut Vec<u8>, rng: &mut Rng, layout: u64, clock: &Clock) {
    let user = rng.pick(USERS);
    let city = rng.pick(CITIES);
    let message = match rng.below(6) {
        0 => format!(
            "{} {city} from {user} (chat {})",
            rng.pick(COMMANDS),
            100_000 + rng.below(900_000)
        ),
        1 => format!("Replied to {user} in {} ms", 40 + rng.below(900)),
        2 => format!(
            "Fetched forecast for {city}: {} C, wind {} m/s, humidity {}%",
            rng.below(35),
            rng.below(20),
            rng.below(100)
        ),
        3 => format!("Cache hit for {city} (age {} s)", rng.below(600)),
        4 => format!(
            "Scheduled digest for {user} at {:02}:{:02}",
            rng.below(24),
            rng.below(60)
        ),
        _ => format!(
            "Update {} handled by on_message in {} ms",
            700_000_000 + rng.below(99_999_999),
            rng.below(50)
        ),
    };
    let logger = match rng.below(3) {
        0 => "bot",
        1 => "bot.handlers",
        _ => "bot.weather",
    };
    render(
        out,
        layout,
        clock,
        logger,
        if rng.chance(0.05) { "WARNING" } else { "INFO" },
        &message,
    );
}

fn traceback(out: &mut Vec<u8>, rng: &mut Rng, last: &str) {
    out.extend_from_slice(b"Traceback (most recent call last):\n");
    for _ in 0..2 + rng.below(4) {
        let _ = writeln!(
            out,
            "  File \"/usr/lib/python3.11/site-packages/pyrogram/session/session.py\", line {}, in send\n    await self.connection.send(payload)",
            100 + rng.below(300)
        );
    }
    let _ = writeln!(out, "{last}");
}

/// One noise record; returns how many lines it wrote.
fn noise(out: &mut Vec<u8>, rng: &mut Rng, layout: u64, clock: &Clock) -> u64 {
    let roll = rng.below(100);
    if roll == 73 {
        render(
            out,
            layout,
            clock,
            "pyrogram.dispatcher",
            "ERROR",
            "Connection lost",
        );
        traceback(out, rng, "OSError: Connection lost");
        return 0; // counted as one record, several lines
    }
    let (logger, level, message) = noise_line(roll, rng);
    render(out, layout, clock, logger, level, &message);
    1
}

/// Logger, level and message of a one-line noise record, by `roll` (0..100).
fn noise_line(roll: u64, rng: &mut Rng) -> (&'static str, &'static str, String) {
    match roll {
        0..=54 => (
            "asyncio",
            "WARNING",
            "socket.send() raised exception.".into(),
        ),
        55..=64 => (
            "pyrogram.connection.transport.tcp.tcp",
            "INFO",
            "Send exception: ConnectionResetError Connection lost".into(),
        ),
        65..=72 => {
            let method = rng.pick(&[
                "messages.SendMessage",
                "channels.GetMessages",
                "updates.GetState",
            ]);
            let message = format!(
                "[{}] Retrying \"{method}\" due to: Connection lost",
                1 + rng.below(5)
            );
            ("pyrogram.session.session", "WARNING", message)
        }
        74..=78 => {
            let dc = 1 + rng.below(5);
            (
                "pyrogram.connection.connection",
                "INFO",
                format!("Connected! Production DC{dc} - IPv4"),
            )
        }
        79..=81 => (
            "pyrogram.connection.connection",
            "INFO",
            "Disconnected".into(),
        ),
        82..=85 => {
            let message = format!(
                "Connecting to 149.154.167.{}:443/TcpFull...",
                50 + rng.below(5)
            );
            ("telethon.network.mtprotosender", "INFO", message)
        }
        86..=89 => {
            let message = format!(
                "Retrying (Retry(total={}, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ProtocolError('Connection aborted.')': /bot/sendMessage",
                rng.below(5)
            );
            ("urllib3.connectionpool", "WARNING", message)
        }
        90..=93 => (
            "telegram.ext.Updater",
            "WARNING",
            "Network Retry Loop (Polling Updates): Network error: httpx.ReadError: ".into(),
        ),
        94..=96 => {
            let message = format!(
                "Waiting for {} seconds before continuing (required by \"messages.SendMessage\")",
                1 + rng.below(30)
            );
            ("pyrogram.session.session", "WARNING", message)
        }
        _ => {
            let message = format!(
                "Server closed the connection: [Errno 104] Connection reset by peer (attempt {})",
                1 + rng.below(6)
            );
            ("telethon.network.mtprotosender", "WARNING", message)
        }
    }
}

/// Writes records until `size` bytes are out, calling `sink` with each
/// record (one or more whole lines) and its label. `noise_ratio` is the
/// share of lines that are noise; `seed` picks another, equally
/// deterministic, log.
pub fn generate(
    size: u64,
    noise_ratio: f64,
    seed: u64,
    sink: &mut dyn FnMut(&[u8], Label) -> io::Result<()>,
) -> io::Result<()> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1234_5678_9abc_def1));
    let mut clock = Clock { ms: 0 };
    let mut buf = Vec::with_capacity(1 << 16);
    let mut written = 0u64;
    // Noise comes in bursts: the burst probability is set so that the share
    // of noise lines comes out at --noise.
    let mut in_burst = false;
    while written < size {
        buf.clear();
        let mut label = Label::Normal;
        let layout = (clock.ms / 3_600_000 + seed) % 4; // the layout changes hourly
        if in_burst {
            clock.advance(&mut rng, 20);
            label = if noise(&mut buf, &mut rng, layout, &clock) == 1 {
                Label::Noise
            } else {
                Label::Error
            };
            if rng.chance(0.02) {
                in_burst = false;
            }
        } else {
            clock.advance(&mut rng, 400);
            if rng.chance(0.002) {
                render(
                    &mut buf,
                    layout,
                    &clock,
                    "bot",
                    "ERROR",
                    "Unhandled error in /forecast",
                );
                label = Label::Error;
                traceback(
                    &mut buf,
                    &mut rng,
                    "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected",
                );
            } else {
                bot_line(&mut buf, &mut rng, layout, &clock);
            }
            // Enter a burst with the probability that gives the wanted ratio:
            // bursts last 50 lines on average.
            let p = if noise_ratio >= 1.0 {
                1.0
            } else {
                noise_ratio / (1.0 - noise_ratio) / 50.0
            };
            if rng.chance(p) {
                in_burst = true;
            }
        }
        sink(&buf, label)?;
        written += buf.len() as u64;
    }
    Ok(())
}

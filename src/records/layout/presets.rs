//! The built-in layouts, as data in the spirit of lnav's format files: a
//! name, a line of description, how to read a line, and sample lines with
//! the fields each must give (checked by the tests). The order of
//! [`PRESETS`] is the order `auto` tries them in: JSON, then the most
//! specific text layouts, then the looser ones, and the bare message last.

use super::level::Level;
use super::scan::{time_len, Raw, Tok};

use Tok::{Digits, Func, Level as Lvl, Lit, Logger, Message, Opt, Pad, Thread, Time};

/// How a preset reads a line.
#[derive(Clone, Copy, Debug)]
pub(super) enum Parse {
    /// A token program ([`super::scan::run`]).
    Program(&'static [Tok]),
    /// A hand-written reader, where a program cannot say it, and the bytes
    /// its lines may start with.
    Custom(fn(&[u8]) -> Option<Raw>, fn(u8) -> bool),
    /// A JSON object a line ([`super::json`]).
    Json,
    /// The whole line is the message.
    Bare,
}

/// A built-in layout.
#[derive(Debug)]
pub struct Preset {
    /// The name `[input] layout` takes.
    pub name: &'static str,
    /// What prints it, in one line.
    pub description: &'static str,
    pub(super) parse: Parse,
    /// Whether its lines name their logger (the recognizer does not leave
    /// such a layout for one that reads none: see `LayoutRecognizer`).
    pub(super) reads_logger: bool,
    /// Lines it must read, with what it must read from them.
    pub samples: &'static [Sample],
}

/// A sample line of a preset and the fields it must give.
#[derive(Debug)]
pub struct Sample {
    /// The line, without its newline.
    pub line: &'static str,
    /// The timestamp's text.
    pub time: Option<&'static str>,
    /// The level.
    pub level: Option<Level>,
    /// The logger name.
    pub logger: Option<&'static str>,
    /// The message.
    pub message: &'static str,
}

/// A sample, briefly.
const fn s(
    line: &'static str,
    time: Option<&'static str>,
    level: Option<Level>,
    logger: Option<&'static str>,
    message: &'static str,
) -> Sample {
    Sample {
        line,
        time,
        level,
        logger,
        message,
    }
}

use Level::{Critical, Debug, Error, Info, Success, Trace, Warning};

/// `[TIME]` before a bracketed layout, with any spaces after it.
const BRACKET_TIME: Tok = Opt(&[Lit(b"["), Time, Lit(b"]"), Pad]);

/// The built-in layouts, in the order `auto` tries them.
pub static PRESETS: [Preset; 22] = [
    Preset {
        name: "json",
        description: "a JSON object a line (python-json-logger, structlog's JSONRenderer): message from `message`/`msg`/`event`/`MESSAGE` (journalctl -o json), logger from `logger`/`name`/`logger_name`, level from `level`/`levelname`/`severity`, time from `time`/`timestamp`/`asctime`/`@timestamp`",
        parse: Parse::Json,
        reads_logger: true,
        samples: &[
            s(r#"{"asctime": "2026-12-04 14:35:45,518", "name": "asyncio", "levelname": "ERROR", "message": "Unclosed client session"}"#, Some("2026-12-04 14:35:45,518"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s(r#"{"chat_id": 42, "event": "Sent: {\n    \"_\": \"Ping\"\n}", "level": "debug", "logger": "pyrogram.session.session", "timestamp": "2026-12-04T14:35:45.533565Z"}"#, Some("2026-12-04T14:35:45.533565Z"), Some(Debug), Some("pyrogram.session.session"), "Sent: {\n    \"_\": \"Ping\"\n}"),
            s(r#"{"msg": "caf\u00e9 \ud83d\ude80", "severity": "WARN", "nested": {"logger": "no"}}"#, None, Some(Warning), None, "café 🚀"),
        ],
    },
    Preset {
        name: "logfmt",
        description: "`key=value` lines: logfmt (`level=warning logger=x msg=\"...\"`) and structlog's KeyValueRenderer (`event='...' logger='x' level='warning'`): message from `msg`/`message`/`event`, level from `level`/`lvl`/`levelname`/`severity`, logger from `logger`/`name`/`logger_name`, time from `time`/`ts`/`timestamp`",
        parse: Parse::Custom(super::logfmt::logfmt, |b| b.is_ascii_lowercase() || b == b'_' || b == b'@'),
        reads_logger: true,
        samples: &[
            s(r#"time="2026-12-04T14:35:45Z" level=warning logger=telethon.network.mtprotosender msg="Server closed the connection: x""#, Some("2026-12-04T14:35:45Z"), Some(Warning), Some("telethon.network.mtprotosender"), "Server closed the connection: x"),
            s("event='Connection lost' logger='pyrogram.dispatcher' level='error'", None, Some(Error), Some("pyrogram.dispatcher"), "Connection lost"),
        ],
    },
    Preset {
        name: "loguru",
        description: "loguru's default format, `TIME | LEVEL | name:function:line - message` (with its InterceptHandler the name is the library's module)",
        parse: Parse::Program(&[Time, Lit(b" | "), Lvl, Lit(b" | "), Logger, Lit(b":"), Func, Lit(b":"), Digits, Lit(b" - "), Message]),
        reads_logger: true,
        samples: &[
            s("2026-12-04 14:35:45.363 | ERROR    | asyncio:log:2 - Unclosed client session", Some("2026-12-04 14:35:45.363"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("2026-12-04 14:35:45.366 | SUCCESS  | bot.main:<module>:12 - Connected to Telegram as @harvest_bot", Some("2026-12-04 14:35:45.366"), Some(Success), Some("bot.main"), "Connected to Telegram as @harvest_bot"),
            s("2026-12-04 14:35:45.366 | TRACE    | __main__:run:7 - a - b: c", Some("2026-12-04 14:35:45.366"), Some(Trace), Some("__main__"), "a - b: c"),
        ],
    },
    Preset {
        name: "home-assistant",
        description: "Home Assistant's `%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s`",
        parse: Parse::Program(&[Time, Lit(b" "), Lvl, Lit(b" "), Thread, Lit(b" ["), Logger, Lit(b"] "), Message]),
        reads_logger: true,
        samples: &[
            s("2026-12-04 14:35:45.292 ERROR (MainThread) [asyncio] Unclosed client session", Some("2026-12-04 14:35:45.292"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("2026-12-04 14:35:45.294 WARNING (Thread-1 (worker)) [homeassistant.core] Something is blocking the event loop", Some("2026-12-04 14:35:45.294"), Some(Warning), Some("homeassistant.core"), "Something is blocking the event loop"),
        ],
    },
    Preset {
        name: "telethon",
        description: "Telethon's documented `[%(levelname) 5s/%(asctime)s] %(name)s: %(message)s`",
        parse: Parse::Program(&[Lit(b"["), Pad, Lvl, Lit(b"/"), Time, Lit(b"] "), Logger, Lit(b": "), Message]),
        reads_logger: true,
        samples: &[
            s("[ INFO/2026-12-04 14:35:23,300] telethon.network.mtprotosender: Connecting to 127.0.0.1:34779/TcpFull...", Some("2026-12-04 14:35:23,300"), Some(Info), Some("telethon.network.mtprotosender"), "Connecting to 127.0.0.1:34779/TcpFull..."),
            s("[WARNING/2026-12-04 14:35:23,301] telethon.network.mtprotosender: Connection closed while receiving data", Some("2026-12-04 14:35:23,301"), Some(Warning), Some("telethon.network.mtprotosender"), "Connection closed while receiving data"),
        ],
    },
    Preset {
        name: "bracket-time-level",
        description: "`[%(asctime)s - %(levelname)s] - %(name)s - %(message)s`, often with `%d-%b-%y %H:%M:%S` dates (Pyrogram bots)",
        parse: Parse::Program(&[Lit(b"["), Time, Lit(b" - "), Lvl, Lit(b"] - "), Logger, Lit(b" - "), Message]),
        reads_logger: true,
        samples: &[
            s("[04-Dec-26 14:35:45 - ERROR] - asyncio - Unclosed client session", Some("04-Dec-26 14:35:45"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("[04-Dec-26 14:35:45 - INFO] - pyrogram.session.session - NetworkTask started", Some("04-Dec-26 14:35:45"), Some(Info), Some("pyrogram.session.session"), "NetworkTask started"),
        ],
    },
    Preset {
        name: "time-name-level",
        description: "`%(asctime)s - %(name)s - %(levelname)s - %(message)s`, also with ` | ` or spaces between the fields (the logging cookbook's `%(asctime)s %(name)-12s %(levelname)-8s %(message)s`)",
        parse: Parse::Program(&[Time, Tok::Alt(&[
            &[Lit(b" - "), Logger, Lit(b" - "), Lvl, Lit(b" - ")],
            &[Lit(b" | "), Logger, Lit(b" | "), Lvl, Lit(b" | ")],
            &[Lit(b" "), Logger, Lit(b" "), Lvl, Lit(b" ")],
        ]), Message]),
        reads_logger: true,
        samples: &[
            s("2026-12-04 14:35:45,271 - asyncio - ERROR - Unclosed client session", Some("2026-12-04 14:35:45,271"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("2026-12-04 14:35:45,272 - aiogram.dispatcher - ERROR - Failed to fetch updates - TelegramNetworkError: HTTP Client says - ServerDisconnectedError: Server disconnected", Some("2026-12-04 14:35:45,272"), Some(Error), Some("aiogram.dispatcher"), "Failed to fetch updates - TelegramNetworkError: HTTP Client says - ServerDisconnectedError: Server disconnected"),
            s("12-04 14:40 asyncio      ERROR    Unclosed client session", Some("12-04 14:40"), Some(Error), Some("asyncio"), "Unclosed client session"),
        ],
    },
    Preset {
        name: "time-level-name",
        description: "`%(asctime)s - %(levelname)s - %(name)s - %(message)s`, the same with ` | `, and `%(asctime)s %(levelname)s %(name)s: %(message)s` with or without brackets around the level",
        parse: Parse::Program(&[Time, Tok::Alt(&[
            &[Lit(b" - "), Lvl, Lit(b" - "), Logger, Lit(b" - ")],
            &[Lit(b" | "), Lvl, Lit(b" | "), Logger, Lit(b" | ")],
            &[Lit(b" ["), Lvl, Lit(b"] "), Logger, Lit(b": ")],
            &[Lit(b" "), Lvl, Lit(b" "), Logger, Lit(b": ")],
        ]), Message]),
        reads_logger: true,
        samples: &[
            s("2026-12-04 14:35:45,284 - ERROR - asyncio - Unclosed client session", Some("2026-12-04 14:35:45,284"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("2026-12-04 14:35:45,279 | DEBUG    | urllib3.util.retry | Incremented Retry for (url='/bot123456:TEST-TOKEN-abcdef/getUpdates'): Retry(total=2)", Some("2026-12-04 14:35:45,279"), Some(Debug), Some("urllib3.util.retry"), "Incremented Retry for (url='/bot123456:TEST-TOKEN-abcdef/getUpdates'): Retry(total=2)"),
            s("2026-12-04 14:35:45,281 ERROR asyncio: Unclosed client session", Some("2026-12-04 14:35:45,281"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("2026-12-04T14:35:45 [WARNING] aiogram.dispatcher: Sleep for 1.000000 seconds and try again...", Some("2026-12-04T14:35:45"), Some(Warning), Some("aiogram.dispatcher"), "Sleep for 1.000000 seconds and try again..."),
        ],
    },
    Preset {
        name: "time-level-name-line",
        description: "`%(asctime)s - [%(levelname)s] - [%(name)s:%(lineno)d] - %(message)s` and its kin: the logger followed by `:LINE`, in brackets or not, the level bare or in brackets, separated by ` - `, ` | ` or spaces",
        parse: Parse::Program(&[
            Time,
            Tok::Alt(&[&[Lit(b" - ")], &[Lit(b" | ")], &[Lit(b" ")]]),
            Opt(&[Lit(b"[")]),
            Lvl,
            Opt(&[Lit(b"]")]),
            Tok::Alt(&[&[Lit(b" - ")], &[Lit(b" | ")], &[Lit(b" ")]]),
            Tok::Alt(&[
                // The line number is required: a bracketed word alone is
                // as often a tag of the message (`[retry] attempt 3/5`).
                &[Lit(b"["), Logger, Lit(b":"), Digits, Lit(b"]")],
                &[Logger, Lit(b":"), Digits],
            ]),
            Tok::Alt(&[&[Lit(b" - ")], &[Lit(b" | ")], &[Lit(b": ")], &[Lit(b" ")]]),
            Message,
        ]),
        reads_logger: true,
        samples: &[
            s("2022-11-07 16:38:35,873 - [WARNING] - [pyrogram.connection.connection:59] - Unable to connect due to network issues: [Errno 111] Connection refused", Some("2022-11-07 16:38:35,873"), Some(Warning), Some("pyrogram.connection.connection"), "Unable to connect due to network issues: [Errno 111] Connection refused"),
            s("2026-12-04 14:35:45,123 INFO bot.handlers:42 /start from @alice", Some("2026-12-04 14:35:45,123"), Some(Info), Some("bot.handlers"), "/start from @alice"),
            s("2026-12-04 14:35:45 | ERROR | [aiogram.dispatcher:360] | Failed to fetch updates - TelegramNetworkError: HTTP Client says - Request timeout error", Some("2026-12-04 14:35:45"), Some(Error), Some("aiogram.dispatcher"), "Failed to fetch updates - TelegramNetworkError: HTTP Client says - Request timeout error"),
        ],
    },
    Preset {
        name: "time-level",
        description: "`%(asctime)s - %(levelname)s - %(message)s` (no logger), also with ` | `, `[LEVEL]` or spaces, and with ` [%(filename)s:%(lineno)d]` at the end (not part of the message)",
        parse: Parse::Custom(super::stdlib::time_level, |b| b.is_ascii_digit()),
        reads_logger: false,
        samples: &[
            s("2026-12-04 14:35:45,286 - ERROR - Unclosed client session", Some("2026-12-04 14:35:45,286"), Some(Error), None, "Unclosed client session"),
            s("2026-12-04 14:35:45 [INFO] Bot started: polling", Some("2026-12-04 14:35:45"), Some(Info), None, "Bot started: polling"),
            s("2026-12-04 14:35:45 WARNING  Disk is 91% full: cleaning up", Some("2026-12-04 14:35:45"), Some(Warning), None, "Disk is 91% full: cleaning up"),
            s("04-Dec-26 16:02:47 - INFO - Connecting to 127.0.0.1:43407/TcpFull... [mtprotosender.py:245]", Some("04-Dec-26 16:02:47"), Some(Info), None, "Connecting to 127.0.0.1:43407/TcpFull..."),
            s("2026-12-04 14:35:45,286 - ERROR - [1/3] retry [not a file]", Some("2026-12-04 14:35:45,286"), Some(Error), None, "[1/3] retry [not a file]"),
            s("2026-12-04 14:35:45,286 WARNING telethon.network.mtprotosender Server closed the connection: x", Some("2026-12-04 14:35:45,286"), Some(Warning), Some("telethon.network.mtprotosender"), "Server closed the connection: x"),
            s("2026-12-04 14:35:45 INFO socket.send() is not a logger", Some("2026-12-04 14:35:45"), Some(Info), None, "socket.send() is not a logger"),
            s("2026-12-04 15:06:33,407 - DEBUG - connect_tcp.started host='127.0.0.1' port=47781", Some("2026-12-04 15:06:33,407"), Some(Debug), None, "connect_tcp.started host='127.0.0.1' port=47781"),
        ],
    },
    Preset {
        name: "file-line-level",
        description: "aiogram's example `%(filename)s[LINE:%(lineno)d]# %(levelname)-8s [%(asctime)s]  %(message)s`, also with spaces around `[LINE:N]` and `#` (no logger)",
        parse: Parse::Program(&[Func, Lit(b".py"), Pad, Lit(b"[LINE:"), Digits, Lit(b"]"), Pad, Lit(b"#"), Pad, Lvl, Lit(b" ["), Time, Lit(b"]"), Pad, Message]),
        reads_logger: false,
        samples: &[
            s("dispatcher.py[LINE:360]# WARNING  [2026-12-04 16:02:47,347]  Sleep for 1.000000 seconds and try again...", Some("2026-12-04 16:02:47,347"), Some(Warning), None, "Sleep for 1.000000 seconds and try again..."),
            s("mtprotosender.py [LINE:245] #INFO     [2026-12-04 16:02:47,347]  Connecting to 127.0.0.1:43407/TcpFull...", Some("2026-12-04 16:02:47,347"), Some(Info), None, "Connecting to 127.0.0.1:43407/TcpFull..."),
        ],
    },
    Preset {
        name: "name-func-line",
        description: "`logger~function{line} ::: message`, as tgbox prints it: `[%(asctime)s] %(levelname)s:%(name)s~%(funcName)s{%(lineno)s} ::: %(message)s`",
        parse: Parse::Program(&[
            Opt(&[Lit(b"["), Time, Lit(b"] ")]),
            Opt(&[Lvl, Lit(b":")]),
            Logger, Lit(b"~"), Func, Lit(b"{"), Digits, Lit(b"} ::: "), Message,
        ]),
        reads_logger: true,
        samples: &[
            s("[2026-12-04, 14:35:45] ERROR:asyncio~log{2} ::: Unclosed client session", Some("2026-12-04, 14:35:45"), Some(Error), Some("asyncio"), "Unclosed client session"),
            s("tgbox.api.remote~connect{120} ::: retrying in 5s", None, None, Some("tgbox.api.remote"), "retrying in 5s"),
        ],
    },
    Preset {
        name: "bracket-name-level",
        description: "`[%(name)s][%(levelname)s] %(message)s`, also after `[%(asctime)s]` and with ` - ` before the message",
        parse: Parse::Program(&[BRACKET_TIME, Lit(b"["), Logger, Lit(b"]["), Lvl, Lit(b"]"), Opt(&[Lit(b" -")]), Lit(b" "), Message]),
        reads_logger: true,
        samples: &[
            s("[asyncio][ERROR] Unclosed client session", None, Some(Error), Some("asyncio"), "Unclosed client session"),
            s("[2026-12-04 14:35:45,296][httpcore.connection][DEBUG] - connect_tcp.started host='127.0.0.1' port=47781", Some("2026-12-04 14:35:45,296"), Some(Debug), Some("httpcore.connection"), "connect_tcp.started host='127.0.0.1' port=47781"),
        ],
    },
    Preset {
        name: "level-at-name",
        description: "`[%(levelname)s@%(name)s] %(message)s` (mautrix bridges), also after `[%(asctime)s]`",
        parse: Parse::Program(&[BRACKET_TIME, Lit(b"["), Lvl, Lit(b"@"), Logger, Lit(b"] "), Message]),
        reads_logger: true,
        samples: &[
            s("[ERROR@asyncio] Unclosed client session", None, Some(Error), Some("asyncio"), "Unclosed client session"),
            s("[2026-12-04 14:35:45,298] [INFO@mau.init] Starting", Some("2026-12-04 14:35:45,298"), Some(Info), Some("mau.init"), "Starting"),
        ],
    },
    Preset {
        name: "bracket-level-name",
        description: "`[%(levelname)s] [%(name)s] %(message)s`, also after `[%(asctime)s]`",
        parse: Parse::Program(&[BRACKET_TIME, Lit(b"["), Pad, Lvl, Lit(b"] ["), Logger, Lit(b"] "), Message]),
        reads_logger: true,
        samples: &[
            s("[ERROR] [asyncio] Unclosed client session", None, Some(Error), Some("asyncio"), "Unclosed client session"),
            s("[2026-12-04 14:35:45] [INFO   ] [bot] [1/3] ready", Some("2026-12-04 14:35:45"), Some(Info), Some("bot"), "[1/3] ready"),
        ],
    },
    Preset {
        name: "bracket-level",
        description: "`[%(levelname)s] %(message)s` (no logger), also after `[%(asctime)s]`",
        parse: Parse::Program(&[BRACKET_TIME, Lit(b"["), Pad, Lvl, Lit(b"] "), Message]),
        reads_logger: false,
        samples: &[
            s("[WARNING] Flood wait: sleeping 12 seconds", None, Some(Warning), None, "Flood wait: sleeping 12 seconds"),
            s("[2026-12-04 14:35:45] [ERROR] [not a logger] x", Some("2026-12-04 14:35:45"), Some(Error), None, "[not a logger] x"),
        ],
    },
    Preset {
        name: "name-level",
        description: "`%(name)s - %(levelname)s - %(message)s`",
        parse: Parse::Program(&[Logger, Lit(b" - "), Lvl, Lit(b" - "), Message]),
        reads_logger: true,
        samples: &[
            s("asyncio - ERROR - Unclosed client session", None, Some(Error), Some("asyncio"), "Unclosed client session"),
            s("telegram.ext.Updater - DEBUG - Network Retry Loop (Polling Updates): Starting", None, Some(Debug), Some("telegram.ext.Updater"), "Network Retry Loop (Polling Updates): Starting"),
        ],
    },
    Preset {
        name: "python-basic",
        description: "`logging.basicConfig()`'s default `%(levelname)s:%(name)s:%(message)s`",
        parse: Parse::Program(&[Lvl, Lit(b":"), Logger, Lit(b":"), Message]),
        reads_logger: true,
        samples: &[
            s("WARNING:asyncio:socket.send() raised exception.", None, Some(Warning), Some("asyncio"), "socket.send() raised exception."),
            s("INFO:aiogram.dispatcher:Run polling for bot @harvest_bot id=123456 - 'Harvest'", None, Some(Info), Some("aiogram.dispatcher"), "Run polling for bot @harvest_bot id=123456 - 'Harvest'"),
            s("DEBUG:pyrogram.session.session:Sent: {", None, Some(Debug), Some("pyrogram.session.session"), "Sent: {"),
            s("INFO:__main__:", None, Some(Info), Some("__main__"), ""),
        ],
    },
    Preset {
        name: "uvicorn",
        description: "uvicorn's `%(levelprefix)s %(message)s`: the level, a colon, padding to 9 columns (no logger)",
        parse: Parse::Custom(super::stdlib::uvicorn, |b| b.is_ascii_alphabetic()),
        reads_logger: false,
        samples: &[
            s("INFO:     Started server process [3347]", None, Some(Info), None, "Started server process [3347]"),
            s(r#"INFO:     127.0.0.1:48248 - "POST /webhook/123456 HTTP/1.1" 200 OK"#, None, Some(Info), None, r#"127.0.0.1:48248 - "POST /webhook/123456 HTTP/1.1" 200 OK"#),
            s("WARNING:  Invalid HTTP request received.", None, Some(Warning), None, "Invalid HTTP request received."),
            s("CRITICAL: x", None, Some(Critical), None, "x"),
        ],
    },
    Preset {
        name: "rich",
        description: "rich's `RichHandler`: `[MM/DD/YY HH:MM:SS] LEVEL    message    file.py:123`, the time blank when it repeats, the path at the right edge (no logger)",
        parse: Parse::Custom(rich, |b| b == b'[' || b == b' '),
        reads_logger: false,
        samples: &[
            s("[12/04/26 14:35:23] INFO     Start polling                       dispatcher.py:2", Some("12/04/26 14:35:23"), Some(Info), None, "Start polling"),
            s("                    ERROR    Unclosed client session                asyncio.py:2", None, Some(Error), None, "Unclosed client session"),
            s("                    CRITICAL Giving up after 5 reconnects               bot.py:2", None, Some(Critical), None, "Giving up after 5 reconnects"),
            s("[12/04/26 14:35:23] INFO       indented                                          ", Some("12/04/26 14:35:23"), Some(Info), None, "  indented"),
        ],
    },
    Preset {
        name: "loose",
        description: "any other `... LEVEL [logger] message` layout, read loosely and never locked on: an upper-case level word within the first 100 bytes after columns with a digit in them, a dotted logger name right after it or before it",
        parse: Parse::Custom(super::loose::loose, |_| true),
        reads_logger: false,
        samples: &[
            s("2024-01-01 12:00:00 - telethon.network.mtprotosender:520 - WARNING - Server closed the connection: x", None, Some(Warning), Some("telethon.network.mtprotosender"), "Server closed the connection: x"),
            s("[2024-01-01 12:00:00,123] {session.py:52} ERROR - Connection lost", None, Some(Error), None, "Connection lost"),
            s("07 21:30:57.005[8615874045014.network.mtprotosender(15996)]-WARNING:Security error", None, Some(Warning), None, "Security error"),
            s("W 2024-01-01 12:00:00 [1234] WARNING [telethon.client.updates] Got difference", None, Some(Warning), Some("telethon.client.updates"), "Got difference"),
        ],
    },
    Preset {
        name: "bare",
        description: "a bare message: no logging configured (Python's last-resort handler), `%(message)s`, print(); level and logger unknown",
        parse: Parse::Bare,
        reads_logger: false,
        samples: &[
            s("socket.send() raised exception.", None, None, None, "socket.send() raised exception."),
            s("Error: disk full - retrying", None, None, None, "Error: disk full - retrying"),
            s("NOTICE:root:not a level", None, None, None, "NOTICE:root:not a level"),
        ],
    },
];

/// rich's time column with its gap is as wide as its format, and a
/// repeated time is written as that many spaces: `[%X]` 11, `[%x %X]` (the
/// default) 20, `[%Y-%m-%d %H:%M:%S]` 22. Only these: a message rich
/// wrapped is indented by the time and level columns (29 by default).
const RICH_BLANKS: [usize; 3] = [11, 20, 22];

/// rich's columns: time (or its blank), the level padded to 8, the message,
/// and the `file.py:line` path column at the right edge.
fn rich(line: &[u8]) -> Option<Raw> {
    let (time, at) = if line.first() == Some(&b'[') {
        let n = time_len(&line[1..])?;
        if line.get(n + 1..n + 3) != Some(b"] ") {
            return None;
        }
        (Some((1, n + 1)), n + 3)
    } else {
        // The blank is as wide as the time format: `[%x %X]` by default,
        // `[%X]` and others as configured.
        let blank = line.iter().take_while(|&&b| b == b' ').count();
        if !RICH_BLANKS.contains(&blank) {
            return None;
        }
        (None, blank)
    };
    let (level, start) = rich_level_column(line, at)?;
    let word = line[at..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let mut end = line.len()
        - line[start..]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ')
            .count();
    if let Some(gap) = line[start..end].iter().rposition(|&b| b == b' ') {
        if super::stdlib::is_path_column(&line[start + gap + 1..end]) {
            end = start + gap;
            end -= line[start..end]
                .iter()
                .rev()
                .take_while(|&&b| b == b' ')
                .count();
        }
    }
    Some(Raw {
        time,
        level: Some(level),
        level_span: Some((at, at + word)),
        logger: None,
        message: (start, end.max(start)),
    })
}

/// rich's level column at `at`: the level, padded to 8, then a gap; the
/// level and where the message starts (9 in).
fn rich_level_column(line: &[u8], at: usize) -> Option<(Level, usize)> {
    let rest = &line[at..];
    let n = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let level = Level::parse(&rest[..n])?;
    let padding = rest.get(n..9.max(n + 1))?;
    padding
        .iter()
        .all(|&b| b == b' ')
        .then_some((level, at + 9.max(n + 1)))
}

/// Where the message of a rich line with its time column left blank (the
/// time repeated) starts: a blank as wide as one of [`RICH_BLANKS`], then
/// the level column. The framer asks, to tell such a line from a wrapped
/// message's continuation.
pub(crate) fn rich_blank_time_message(line: &[u8]) -> Option<usize> {
    let blank = line.iter().take_while(|&&b| b == b' ').count();
    if !RICH_BLANKS.contains(&blank) {
        return None;
    }
    rich_level_column(line, blank).map(|(_, start)| start)
}

/// Bit `i` of entry `b`: preset `i` may read a line that starts with byte
/// `b`. `auto` tries only those, so a traceback line (a space, a letter)
/// costs a few attempts, not one per preset.
pub(super) fn first_bytes() -> &'static [u32; 256] {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (i, preset) in PRESETS.iter().enumerate() {
            let mut starts = [false; 256];
            match preset.parse {
                Parse::Program(program) => {
                    program_starts(program, &mut starts);
                }
                Parse::Custom(_, may_start) => {
                    for (b, start) in starts.iter_mut().enumerate() {
                        *start = may_start(b as u8);
                    }
                }
                Parse::Json => {
                    for b in [b'{', b' ', b'\t', b'\r', b'\n'] {
                        starts[usize::from(b)] = true;
                    }
                }
                Parse::Bare => {}
            }
            for (entry, start) in table.iter_mut().zip(starts) {
                *entry |= u32::from(start) << i;
            }
        }
        table
    })
}

/// Marks the bytes a program's lines may start with; whether it can match
/// without consuming any byte.
fn program_starts(program: &[Tok], starts: &mut [bool; 256]) -> bool {
    for tok in program {
        let mut mark = |class: fn(u8) -> bool| {
            for (b, start) in starts.iter_mut().enumerate() {
                *start |= class(b as u8);
            }
        };
        match *tok {
            Time | Digits => mark(|b| b.is_ascii_digit()),
            Lvl => mark(|b| b.is_ascii_alphabetic()),
            Logger => mark(|b| b.is_ascii_alphabetic() || b == b'_'),
            Func => mark(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'<'),
            Thread => mark(|b| b == b'('),
            Lit(text) => match text.first() {
                Some(&first) => starts[usize::from(first)] = true,
                None => continue,
            },
            Message => {
                mark(|_| true);
                return true;
            }
            Pad => {
                starts[usize::from(b' ')] = true;
                continue;
            }
            Opt(inner) => {
                program_starts(inner, starts);
                continue;
            }
            Tok::Alt(choices) => {
                let mut empty = false;
                for inner in choices {
                    empty |= program_starts(inner, starts);
                }
                if empty {
                    continue;
                }
            }
        }
        return false;
    }
    true
}

//! Declared layouts: the value of `[input] layout`. A preset name, `auto`
//! (the default), a regex with named groups, or a Python `logging` format
//! string pasted as is (`%(asctime)s - %(name)s - ...`, or the `{`-style
//! `{asctime} {levelname} {message}`), which is turned into such a regex.

use regex::bytes::Regex;
use std::fmt;

use super::scan::TIME_PATTERN;
use super::LayoutId;

/// Every name `[input] layout` accepts besides a regex or a format string,
/// for error messages.
pub const PRESET_NAMES: &str = "auto, json, logfmt, loguru, home-assistant, telethon, bracket-time-level, \
     time-name-level, time-level-name, time-level-name-line, time-level, file-line-level, name-func-line, \
     bracket-name-level, level-at-name, \
     bracket-level-name, bracket-level, name-level, python-basic, uvicorn, rich, loose, bare";

/// The named groups a layout regex may have.
const GROUPS: [&str; 4] = ["time", "level", "logger", "message"];

/// How the lines of a stream are laid out.
#[derive(Clone, Debug)]
pub enum LayoutSpec {
    /// Recognize each line: the previous line's layout first, then every
    /// preset in order.
    Auto,
    /// One preset; lines it does not read are bare messages.
    Preset(LayoutId),
    /// A user regex (or a converted Python format string); lines it does
    /// not match are bare messages.
    Custom(CustomLayout),
}

/// A layout given as a regex with named groups `message` and optionally
/// `time`, `level` and `logger`.
#[derive(Clone, Debug)]
pub struct CustomLayout {
    pub(super) regex: Regex,
    /// Capture group indices of time, level, logger, message.
    pub(super) groups: [Option<usize>; 4],
}

impl CustomLayout {
    /// The regex, as compiled.
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }
}

/// Why a declared layout was refused: one line, naming what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError(String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

impl LayoutSpec {
    /// Reads an `[input] layout` value: `auto`, a preset name, a Python
    /// format string (it has `%(` or `{message`), or else a regex.
    pub fn parse(value: &str) -> Result<LayoutSpec, LayoutError> {
        let trimmed = value.trim();
        if trimmed == "auto" {
            return Ok(LayoutSpec::Auto);
        }
        if let Some(id) = LayoutId::from_name(trimmed) {
            return Ok(LayoutSpec::Preset(id));
        }
        let looks_like_name = !trimmed.is_empty()
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if looks_like_name {
            return Err(LayoutError(format!(
                "unknown layout \"{trimmed}\": expected one of {PRESET_NAMES}, a regex with a (?P<message>...) group, or a Python logging format string"
            )));
        }
        if value.contains("%(") || value.contains("{message") {
            let regex = python_format_regex(value)?;
            return CustomLayout::new(&regex)
                .map(LayoutSpec::Custom)
                .map_err(|e| {
                    LayoutError(format!(
                        "layout format {value:?} gives an invalid regex: {e}"
                    ))
                });
        }
        CustomLayout::new(value).map(LayoutSpec::Custom)
    }
}

impl CustomLayout {
    /// Compiles a layout regex: it must have a `message` group, and its
    /// other named groups may only be `time`, `level` and `logger`.
    pub fn new(pattern: &str) -> Result<CustomLayout, LayoutError> {
        let regex = Regex::new(pattern).map_err(|e| {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string();
            LayoutError(format!("layout regex {pattern:?} is invalid: {first}"))
        })?;
        let mut groups = [None; 4];
        for (index, name) in regex.capture_names().enumerate() {
            let Some(name) = name else { continue };
            match GROUPS.iter().position(|&g| g == name) {
                Some(slot) => groups[slot] = Some(index),
                None => {
                    return Err(LayoutError(format!(
                        "layout regex {pattern:?} has a group named \"{name}\": only time, level, logger and message are read"
                    )))
                }
            }
        }
        if groups[3].is_none() {
            return Err(LayoutError(format!(
                "layout regex {pattern:?} has no (?P<message>...) group"
            )));
        }
        Ok(CustomLayout { regex, groups })
    }
}

/// A logger name, as a regex.
const LOGGER_PATTERN: &str = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*";

/// One `%(key)...` or `{key...}` field of a format string.
struct Field<'f> {
    key: &'f str,
    /// `-N`: padded on the right; `N`: padded on the left.
    left_aligned: bool,
    width: bool,
    /// `.N`: truncated.
    precision: bool,
}

/// Turns a Python `logging` format string into a layout regex: the fields
/// become the named groups (`asctime` -> time, `levelname` -> level,
/// `name` -> logger, `message`), widths become padding, the other fields
/// match what they print, the rest is literal. `%`-style and `{`-style.
pub fn python_format_regex(format: &str) -> Result<String, LayoutError> {
    let items = tokenize(format)?;
    if !items
        .iter()
        .any(|item| matches!(item, Item::Field(f) if f.key == "message"))
    {
        return Err(LayoutError(format!(
            "layout format {format:?} has no %(message)s field"
        )));
    }
    let mut regex = String::from("(?-u)^");
    let mut seen = [false; 4];
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Item::Text(text) => regex.push_str(&regex::escape(text)),
            Item::Field(field) => {
                // `%(asctime)s.%(msecs)03d`: the milliseconds are part of the time.
                let msecs = field.key == "asctime"
                    && matches!(items.get(i + 1), Some(Item::Text(t)) if *t == "." || *t == ",")
                    && matches!(items.get(i + 2), Some(Item::Field(f)) if f.key == "msecs");
                // Only color codes after the message: they are not its text.
                let colors_after = items[i + 1..]
                    .iter()
                    .all(|item| matches!(item, Item::Field(f) if f.key == "reset" || f.key == "log_color"));
                let piece = field_regex(
                    field,
                    &mut seen,
                    msecs || (field.key == "message" && colors_after),
                );
                regex.push_str(&piece);
                if msecs {
                    i += 2;
                }
            }
        }
        i += 1;
    }
    regex.push('$');
    Ok(regex)
}

/// The regex for one field; a named group the first time a key is seen.
/// `joined`: for `asctime`, the milliseconds field follows and belongs to
/// the time; for `message`, only color codes follow, which it must leave.
fn field_regex(field: &Field, seen: &mut [bool; 4], joined: bool) -> String {
    let slot = match field.key {
        "asctime" => Some(0),
        "levelname" | "levelprefix" if !field.precision => Some(1),
        "name" => Some(2),
        "message" => Some(3),
        _ => None,
    };
    let body = match field.key {
        "asctime" if joined => format!(r"{TIME_PATTERN}[.,]\d+"),
        "asctime" => TIME_PATTERN.to_string(),
        // uvicorn's levelprefix is `LEVEL:` plus padding; the group holds
        // the level.
        "levelname" | "levelprefix" => "[A-Za-z]+".to_string(),
        "name" => LOGGER_PATTERN.to_string(),
        "message" if joined => ".*?".to_string(),
        "message" => ".*".to_string(),
        "levelno" | "lineno" | "process" | "thread" | "msecs" => r"\d+".to_string(),
        "created" | "relativeCreated" => r"\d+(?:\.\d+)?".to_string(),
        // colorlog's color codes (ANSI SGR sequences), or nothing.
        "log_color" | "reset" => r"(?:\x1b\[[0-9;]*m)*".to_string(),
        _ => ".*?".to_string(),
    };
    let mut out = String::new();
    if field.width && !field.left_aligned {
        out.push_str(" *");
    }
    match slot {
        Some(slot) if !seen[slot] => {
            seen[slot] = true;
            out.push_str(&format!("(?P<{}>{body})", GROUPS[slot]));
        }
        _ => out.push_str(&format!("(?:{body})")),
    }
    if field.key == "levelprefix" {
        out.push_str(": *");
    } else if field.width && field.left_aligned {
        out.push_str(" *");
    }
    out
}

enum Item<'f> {
    Text(&'f str),
    Field(Field<'f>),
}

/// Splits a format string into literal text and fields, `%`-style if it
/// has `%(`, else `{`-style.
fn tokenize(format: &str) -> Result<Vec<Item<'_>>, LayoutError> {
    let bad = |what: &str| LayoutError(format!("layout format {format:?}: {what}"));
    let percent = format.contains("%(");
    let mut items = Vec::new();
    let mut rest = format;
    while !rest.is_empty() {
        let next = if percent {
            rest.find('%')
        } else {
            rest.find(['{', '}'])
        };
        let Some(at) = next else {
            items.push(Item::Text(rest));
            break;
        };
        if at > 0 {
            items.push(Item::Text(&rest[..at]));
        }
        rest = &rest[at..];
        // `%%`, `{{`, `}}`: the character itself.
        let doubled = rest.len() > 1 && rest.as_bytes()[1] == rest.as_bytes()[0];
        if doubled {
            items.push(Item::Text(&rest[..1]));
            rest = &rest[2..];
            continue;
        }
        if percent {
            let after = rest
                .strip_prefix("%(")
                .ok_or_else(|| bad("a % not followed by (name)"))?;
            let close = after.find(')').ok_or_else(|| bad("an unclosed %("))?;
            let key = &after[..close];
            let spec = &after[close + 1..];
            let flags = spec.bytes().take_while(|b| b"#0- +".contains(b)).count();
            let width = spec[flags..].bytes().take_while(u8::is_ascii_digit).count();
            let mut end = flags + width;
            let precision = spec[end..].starts_with('.');
            if precision {
                end += 1 + spec[end + 1..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count();
            }
            let conversion = spec[end..]
                .chars()
                .next()
                .ok_or_else(|| bad("a field without a conversion"))?;
            if !"diouxXeEfFgGcrsa".contains(conversion) {
                return Err(bad(&format!("unknown conversion %{conversion}")));
            }
            items.push(Item::Field(Field {
                key,
                left_aligned: spec[..flags].contains('-'),
                width: width > 0,
                precision,
            }));
            rest = &spec[end + conversion.len_utf8()..];
        } else {
            let after = rest.strip_prefix('{').ok_or_else(|| bad("a single }"))?;
            let close = after.find('}').ok_or_else(|| bad("an unclosed {"))?;
            let inside = &after[..close];
            let (key, spec) = inside.split_once(':').unwrap_or((inside, ""));
            let key = key.split_once('!').map_or(key, |(k, _)| k);
            let digits = spec.trim_start_matches(|c: char| !c.is_ascii_digit());
            items.push(Item::Field(Field {
                key,
                left_aligned: !spec.contains(['>', '^']),
                width: digits.starts_with(|c: char| c.is_ascii_digit()) && !spec.starts_with('.'),
                precision: spec.contains('.'),
            }));
            rest = &after[close + 1..];
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::super::presets::PRESETS;
    use super::*;

    fn error(value: &str) -> String {
        match LayoutSpec::parse(value) {
            Ok(spec) => panic!("{value:?} was accepted as {spec:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn names_auto_and_regexes() {
        assert!(matches!(LayoutSpec::parse("auto"), Ok(LayoutSpec::Auto)));
        for preset in &PRESETS {
            match LayoutSpec::parse(preset.name) {
                Ok(LayoutSpec::Preset(id)) => assert_eq!(id.name(), preset.name),
                other => panic!("{}: {other:?}", preset.name),
            }
        }
        let spec = LayoutSpec::parse(r"^(?P<level>\w+) (?P<message>.*)$").expect("regex");
        assert!(matches!(spec, LayoutSpec::Custom(_)));
    }

    #[test]
    fn every_preset_is_in_the_names() {
        let names: Vec<&str> = PRESET_NAMES.split(", ").collect();
        let mut expected = vec!["auto"];
        expected.extend(PRESETS.iter().map(|p| p.name));
        assert_eq!(names, expected);
    }

    #[test]
    fn refusals_say_why_in_one_line() {
        let e = error("loguro");
        assert!(e.contains("unknown layout \"loguro\""), "{e}");
        assert!(e.contains("time-level-name"), "{e}");
        assert!(error(r"^(?P<level>\w+) (?P<msg>.*)$").contains("group named \"msg\""));
        assert!(error(r"^(?P<level>\w+) (.*)$").contains("no (?P<message>...) group"));
        assert!(error(r"^(?P<message>.*").contains("invalid"));
        assert!(error("%(asctime)s %(levelname)s").contains("no %(message)s"));
        assert!(error("%(asctime)s %(message)").contains("conversion"));
        for value in [
            "loguro",
            r"^(?P<message>.*",
            "%(asctime)s %(levelname)s",
            "%(message)q",
        ] {
            assert!(!error(value).contains('\n'), "{value}");
        }
    }

    #[test]
    fn python_formats_become_regexes() {
        let cases = [
            (
                "%(asctime)s - %(name)s - %(levelname)s - %(message)s",
                "2024-05-01 12:00:00,123 - pyrogram.session - INFO - Started",
                [
                    Some("2024-05-01 12:00:00,123"),
                    Some("INFO"),
                    Some("pyrogram.session"),
                    Some("Started"),
                ],
            ),
            (
                "%(asctime)s %(name)-12s %(levelname)-8s %(message)s",
                "05-01 12:00 asyncio      WARNING  socket.send() raised exception.",
                [
                    Some("05-01 12:00"),
                    Some("WARNING"),
                    Some("asyncio"),
                    Some("socket.send() raised exception."),
                ],
            ),
            (
                "[%(levelname) 5s/%(asctime)s] %(name)s: %(message)s",
                "[ INFO/2024-05-01 12:00:00,123] telethon.client: hi",
                [
                    Some("2024-05-01 12:00:00,123"),
                    Some("INFO"),
                    Some("telethon.client"),
                    Some("hi"),
                ],
            ),
            (
                "%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s",
                "2024-05-01 12:00:00.123 INFO (Thread-1 (worker)) [homeassistant.core] Started",
                [
                    Some("2024-05-01 12:00:00.123"),
                    Some("INFO"),
                    Some("homeassistant.core"),
                    Some("Started"),
                ],
            ),
            (
                "%(levelprefix)s %(message)s",
                "WARNING:  Invalid HTTP request received.",
                [
                    None,
                    Some("WARNING"),
                    None,
                    Some("Invalid HTTP request received."),
                ],
            ),
            (
                "{asctime} {levelname:<8} {name}: {message}",
                "2024-05-01 12:00:00,123 ERROR    bot.main: 100% done {ok}",
                [
                    Some("2024-05-01 12:00:00,123"),
                    Some("ERROR"),
                    Some("bot.main"),
                    Some("100% done {ok}"),
                ],
            ),
            (
                "%(log_color)s%(levelname)s:%(name)s:%(message)s%(reset)s",
                "\x1b[32mINFO:root:x\x1b[0m",
                [None, Some("INFO"), Some("root"), Some("x")],
            ),
            (
                "%(asctime)s ➜ %(levelname)s ➜ %(message)s 100%%",
                "12:00:00 ➜ INFO ➜ done 100%",
                [Some("12:00:00"), Some("INFO"), None, Some("done")],
            ),
        ];
        for (format, line, expected) in cases {
            let regex = python_format_regex(format).expect(format);
            let layout = CustomLayout::new(&regex).expect(&regex);
            let caps = layout
                .regex
                .captures(line.as_bytes())
                .unwrap_or_else(|| panic!("{format:?} -> {regex} does not match {line:?}"));
            for (slot, want) in expected.iter().enumerate() {
                let got = layout.groups[slot]
                    .and_then(|i| caps.get(i))
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
                assert_eq!(got.as_deref(), *want, "{format:?} group {}", GROUPS[slot]);
            }
        }
    }
}

//! Tests of the layout recognizer: every preset's samples, lines that must
//! stay bare messages, the stream lock, declared regexes, and properties
//! over arbitrary input.

use super::presets::Sample;
use super::*;
use proptest::prelude::*;

fn text(bytes: Option<&[u8]>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(b).into_owned())
}

/// The fields as owned text, for comparisons and messages.
fn owned(
    f: &Fields,
) -> (
    Option<String>,
    Option<Level>,
    Option<String>,
    String,
    &'static str,
) {
    (
        text(f.time),
        f.level,
        text(f.logger),
        String::from_utf8_lossy(f.message).into_owned(),
        f.layout.name(),
    )
}

fn expected(
    sample: &Sample,
    layout: &'static str,
) -> (
    Option<String>,
    Option<Level>,
    Option<String>,
    String,
    &'static str,
) {
    (
        sample.time.map(str::to_string),
        sample.level,
        sample.logger.map(str::to_string),
        sample.message.to_string(),
        layout,
    )
}

fn read_with(
    spec: LayoutSpec,
    line: &str,
) -> (
    Option<String>,
    Option<Level>,
    Option<String>,
    String,
    &'static str,
) {
    let mut scratch = Vec::new();
    owned(&LayoutRecognizer::new(spec).recognize(line.as_bytes(), &mut scratch))
}

#[test]
fn every_preset_reads_its_samples() {
    for (i, preset) in PRESETS.iter().enumerate() {
        let id = LayoutId(i as u8);
        assert_eq!(LayoutId::from_name(preset.name), Some(id));
        assert!(!preset.samples.is_empty(), "{} has no samples", preset.name);
        for sample in preset.samples {
            let layout = if id == LayoutId::BARE {
                "bare"
            } else {
                preset.name
            };
            assert_eq!(
                read_with(LayoutSpec::Preset(id), sample.line),
                expected(sample, layout),
                "declared {}: {:?}",
                preset.name,
                sample.line
            );
        }
    }
}

#[test]
fn auto_reads_every_sample_with_its_preset() {
    for preset in &PRESETS {
        for sample in preset.samples {
            assert_eq!(
                read_with(LayoutSpec::Auto, sample.line),
                expected(sample, preset.name),
                "auto: {:?}",
                sample.line
            );
        }
    }
}

#[test]
fn the_table_ends_where_the_constants_say() {
    assert_eq!(LayoutId::JSON.name(), "json");
    assert_eq!(LayoutId::BARE.name(), "bare");
    assert_eq!(LayoutId::CUSTOM.name(), "custom");
    assert!(LayoutId::CUSTOM.preset().is_none());
}

/// Lines with ` - `, colons, brackets and level-like words in the wrong
/// places: none of them is a record of any layout.
#[test]
fn lines_without_a_level_where_a_layout_puts_it_are_bare() {
    for line in [
        "Connected! Production DC2 - IPv4",
        "Note: this is not a level: really",
        "Error - something went wrong",
        "error: connection refused",
        "Error: x",
        "INFO",
        "INFO:my-bot:hello",
        "INFO:  two spaces are not uvicorn's padding",
        "NOTICE:root:no such level",
        "2024-05-01 12:00:00 - nothing - here - at all",
        "2024-05-01 12:00:00 INFORMATION x",
        "12:00:00 lunch - meeting - room 3",
        "[12/04/26 14:35:23] Started polling",
        "                             INFO     a rich continuation is indented 29",
        "Traceback (most recent call last):",
        "  File \"/srv/bot/main.py\", line 3, in <module>",
        "ValueError: invalid literal for int() with base 10: 'x'",
        "OSError: [Errno 104] Connection reset by peer",
        "    \"_\": \"Ping\",",
        "- INFO - x",
        "[x y][INFO] a logger has no spaces",
        "[INFO@] nobody",
        "{not json",
        "{\"a\": 1}",
        "{\"message\": 42}",
        "",
        " ",
        "\u{1b}[32mINFO\u{1b}[0m:root:colored",
    ] {
        let (time, level, logger, message, layout) = read_with(LayoutSpec::Auto, line);
        assert_eq!(
            (time, level, logger, message.as_str(), layout),
            (None, None, None, line.trim_end(), "bare"),
            "{line:?}"
        );
    }
}

/// Lines whose level no preset finds where it looks: the loose reading
/// takes the message after the level, and the stream does not lock on it.
#[test]
fn lines_no_preset_reads_are_read_loosely_and_not_locked_on() {
    for (line, message) in [
        (
            "2024-05-01 12:00:00,123 - my-bot - INFO - a logger that is no dotted name",
            "a logger that is no dotted name",
        ),
        (
            "[12/04/26 14:35:23] INFO  rich pads its level to 8",
            "rich pads its level to 8",
        ),
    ] {
        let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
        let mut scratch = Vec::new();
        let f = owned(&recognizer.recognize(line.as_bytes(), &mut scratch));
        assert_eq!(
            (f.1, f.3.as_str(), f.4),
            (Some(Level::Info), message, "loose")
        );
        assert_eq!(recognizer.locked(), None, "{line}");
    }
}

#[test]
fn a_stream_keeps_its_layout() {
    let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
    let mut scratch = Vec::new();
    let mut read = |line: &str| owned(&recognizer.recognize(line.as_bytes(), &mut scratch));
    // `%(asctime)s %(levelname)s %(message)s`: a message that looks like
    // `logger: text` stays the message once the stream is known.
    assert_eq!(
        read("2024-05-01 12:00:00 INFO Starting bot").4,
        "time-level"
    );
    let (_, level, logger, message, layout) = read("2024-05-01 12:00:01 ERROR Error: disk full");
    assert_eq!(
        (level, logger, message.as_str(), layout),
        (Some(Level::Error), None, "Error: disk full", "time-level")
    );
    // A traceback's lines are bare and leave the lock alone.
    assert_eq!(read("Traceback (most recent call last):").4, "bare");
    assert_eq!(read("2024-05-01 12:00:02 WARNING Retry: 2").3, "Retry: 2");
}

#[test]
fn an_odd_logger_name_does_not_move_a_stream_off_its_loggers() {
    let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
    let mut scratch = Vec::new();
    let mut read = |line: &str| owned(&recognizer.recognize(line.as_bytes(), &mut scratch));
    assert_eq!(
        read("2024-05-01 12:00:00 INFO pyrogram.client: Started")
            .2
            .as_deref(),
        Some("pyrogram.client")
    );
    // `my-bot` is no dotted name: the line reads without a logger...
    let odd = read("2024-05-01 12:00:01 INFO my-bot: hello");
    assert_eq!(
        (odd.2, odd.3.as_str(), odd.4),
        (None, "my-bot: hello", "time-level")
    );
    // ...but the next library line is still read with its logger.
    let next = read("2024-05-01 12:00:02 WARNING pyrogram.session: Connection lost");
    assert_eq!(
        (next.2.as_deref(), next.3.as_str(), next.4),
        (
            Some("pyrogram.session"),
            "Connection lost",
            "time-level-name"
        )
    );
    assert_eq!(
        recognizer.locked().map(LayoutId::name),
        Some("time-level-name")
    );
}

#[test]
fn interleaved_layouts_each_read_right() {
    let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
    let mut scratch = Vec::new();
    for (line, layout, logger) in [
        ("INFO:     Started server process [3347]", "uvicorn", None),
        (
            "2024-05-01 12:00:00,123 - aiogram.dispatcher - INFO - Start polling",
            "time-name-level",
            Some("aiogram.dispatcher"),
        ),
        (
            "INFO:     127.0.0.1:48248 - \"POST /webhook HTTP/1.1\" 200 OK",
            "uvicorn",
            None,
        ),
        (
            "WARNING:asyncio:socket.send() raised exception.",
            "python-basic",
            Some("asyncio"),
        ),
        (
            "2024-05-01 12:00:01,000 - aiogram.dispatcher - ERROR - Failed to fetch updates",
            "time-name-level",
            Some("aiogram.dispatcher"),
        ),
    ] {
        let f = owned(&recognizer.recognize(line.as_bytes(), &mut scratch));
        assert_eq!((f.4, f.2.as_deref()), (layout, logger), "{line}");
    }
}

#[test]
fn newlines_are_not_part_of_the_message() {
    let f = read_with(
        LayoutSpec::Auto,
        "WARNING:asyncio:socket.send() raised exception.\r\n",
    );
    assert_eq!(f.3, "socket.send() raised exception.");
    assert_eq!(read_with(LayoutSpec::Auto, "plain\n").3, "plain");
}

#[test]
fn a_message_padded_to_the_terminal_width_ends_at_its_last_word() {
    let f = read_with(
        LayoutSpec::Auto,
        "INFO:pyrogram.connection.connection:Connecting...   \t  \n",
    );
    assert_eq!(f.3, "Connecting...");
    assert_eq!(
        read_with(LayoutSpec::Auto, "Connection lost    ").3,
        "Connection lost"
    );
    assert_eq!(read_with(LayoutSpec::Auto, "   ").3, "");
}

#[test]
fn a_declared_preset_reads_other_lines_as_bare() {
    let id = LayoutId::from_name("python-basic").expect("preset");
    let f = read_with(
        LayoutSpec::Preset(id),
        "2024-05-01 12:00:00,123 - asyncio - ERROR - x",
    );
    assert_eq!((f.1, f.4), (None, "bare"));
}

#[test]
fn declared_regexes_read_their_groups() {
    let spec = LayoutSpec::parse(
        r"^(?P<time>\S+) <(?P<level>\w+)> (?:(?P<logger>\S+): )?(?P<message>.*)$",
    )
    .expect("regex");
    assert_eq!(
        read_with(
            spec.clone(),
            "12:00 <warn> pyrogram.session: Connection lost"
        ),
        (
            Some("12:00".into()),
            Some(Level::Warning),
            Some("pyrogram.session".into()),
            "Connection lost".into(),
            "custom"
        )
    );
    assert_eq!(
        read_with(spec.clone(), "12:00 <info> no logger here").2,
        None
    );
    // A level group without a level word, a logger group without a dotted
    // name, or no match: a bare message.
    for line in ["12:00 <hello> x", "12:00 <info> my-bot: x", "nothing"] {
        assert_eq!(read_with(spec.clone(), line).4, "bare", "{line}");
    }
}

#[test]
fn python_format_strings_declare_layouts() {
    let spec = LayoutSpec::parse(
        "[%(asctime)s] %(levelname)s:%(name)s~%(funcName)s{%(lineno)s} ::: %(message)s",
    )
    .expect("format");
    assert_eq!(
        read_with(
            spec,
            "[2026-12-04, 14:35:45] ERROR:asyncio~log{2} ::: Unclosed client session"
        ),
        (
            Some("2026-12-04, 14:35:45".into()),
            Some(Level::Error),
            Some("asyncio".into()),
            "Unclosed client session".into(),
            "custom"
        )
    );
}

#[test]
fn json_scratch_stops_growing() {
    let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
    let mut scratch = Vec::new();
    let line = br#"{"event": "Sent: {\n  \"_\": \"Ping\"\n}", "level": "debug", "logger": "pyrogram.session.session"}"#;
    let plain = br#"{"message": "no escapes", "levelname": "INFO", "name": "asyncio"}"#;
    let f = recognizer.recognize(line, &mut scratch);
    assert_eq!(f.message, b"Sent: {\n  \"_\": \"Ping\"\n}");
    assert_eq!(f.logger, Some(&b"pyrogram.session.session"[..]));
    let (capacity, pointer) = (scratch.capacity(), scratch.as_ptr());
    for _ in 0..100 {
        let f = recognizer.recognize(line, &mut scratch);
        assert_eq!(f.level, Some(Level::Debug));
        let f = recognizer.recognize(plain, &mut scratch);
        // Values without escapes are the line's own bytes.
        assert!(plain.as_ptr_range().contains(&f.message.as_ptr()));
    }
    assert_eq!((scratch.capacity(), scratch.as_ptr()), (capacity, pointer));
}

#[test]
fn json_levels_and_loggers_that_are_not_are_unknown() {
    let f = read_with(
        LayoutSpec::Auto,
        r#"{"msg": "x", "level": 30, "name": "my-service"}"#,
    );
    assert_eq!((f.1, f.2, f.3.as_str(), f.4), (None, None, "x", "json"));
}

/// The level word is the level as written, a slice of the line in a text
/// layout (where it is found again with `Fields::span_in`), and the
/// message's place in the line is found the same way.
#[test]
fn level_words_and_spans_are_where_the_line_has_them() {
    for preset in &PRESETS {
        for sample in preset.samples {
            let line = sample.line.as_bytes();
            let mut scratch = Vec::new();
            let f = LayoutRecognizer::new(LayoutSpec::Auto).recognize(line, &mut scratch);
            let word = f.level_word;
            assert_eq!(word.and_then(Level::parse), f.level, "{}", sample.line);
            if f.layout == LayoutId::JSON {
                continue;
            }
            if let Some(word) = word {
                let (start, end) = Fields::span_in(line, word).expect("a slice of the line");
                assert_eq!(&line[start..end], word);
                assert!(!word.starts_with(b" ") && !word.ends_with(b" "));
            }
            let (start, _) = Fields::span_in(line, f.message).expect("a slice of the line");
            assert_eq!(Some(start), offset_in(line, f.message));
        }
    }
    let mut scratch = Vec::new();
    let line = br#"{"level": "warn", "msg": "a\u0020b"}"#;
    let f = LayoutRecognizer::new(LayoutSpec::Auto).recognize(line, &mut scratch);
    assert_eq!(f.level_word, Some(&b"warn"[..]));
    assert_eq!(f.message, b"a b");
    assert_eq!(
        Fields::span_in(line, f.message),
        None,
        "decoded: not in the line"
    );
}

/// Where `inner` lies in `outer`, if it is a subslice of it.
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let range = outer.as_ptr_range();
    let start = inner.as_ptr();
    (range.contains(&start) || (start == range.end && inner.is_empty()))
        .then(|| start as usize - outer.as_ptr() as usize)
        .filter(|&at| at + inner.len() <= outer.len())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any bytes: no panic, and a text layout's fields are slices of the line.
    #[test]
    fn any_bytes_read_without_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
        let mut scratch = Vec::new();
        let content = crate::records::line_content(&line);
        let f = recognizer.recognize(&line, &mut scratch);
        if f.layout != LayoutId::JSON {
            prop_assert!(offset_in(content, f.message).is_some());
            for field in [f.time, f.logger].into_iter().flatten() {
                prop_assert!(offset_in(content, field).is_some());
            }
        }
    }

    /// Lines that look like the layouts, pieces shuffled: no panic, and
    /// whatever is read is a slice of the line with a real level.
    #[test]
    fn layout_like_lines_read_without_panic(
        pieces in proptest::collection::vec(prop_oneof![
            Just("2024-05-01 12:00:00,123"), Just(" - "), Just(" | "), Just("INFO"), Just("warn"),
            Just("pyrogram.session"), Just(":"), Just("["), Just("]"), Just("("), Just(")"),
            Just("{"), Just("}"), Just("\""), Just("\\"), Just("~"), Just("@"), Just("    "),
            Just("x"), Just("12"), Just(","), Just("é"),
            Just("[12/04/26 14:35:23] "), Just("                    "), Just("INFO     "),
            Just(" x.py:2"), Just("CRITICAL"), Just("\\u"), Just("\\ud83d"), Just("0"), Just("-"),
        ], 0..14)
    ) {
        let line = pieces.concat();
        let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
        let mut scratch = Vec::new();
        let f = recognizer.recognize(line.as_bytes(), &mut scratch);
        if f.layout != LayoutId::JSON {
            prop_assert!(offset_in(line.as_bytes(), f.message).is_some());
        }
        if let Some(logger) = f.logger {
            prop_assert!(scan::is_logger(logger));
        }
    }

    /// A sample with its message replaced by other text reads as that
    /// text: declared, and by `auto` once the stream's layout is known.
    #[test]
    fn samples_read_any_message(message in "[A-Za-z0-9][^\\p{C}]{0,60}") {
        let message = message.trim_end();
        for (i, preset) in PRESETS.iter().enumerate() {
            let id = LayoutId(i as u8);
            if id == LayoutId::JSON || id == LayoutId::BARE {
                continue;
            }
            for sample in preset.samples {
                let mut scratch = Vec::new();
                let mut declared = LayoutRecognizer::new(LayoutSpec::Preset(id));
                let original = declared.recognize(sample.line.as_bytes(), &mut scratch).message;
                let Some(at) = offset_in(sample.line.as_bytes(), original) else {
                    return Err(TestCaseError::fail("message is no slice"));
                };
                let suffix = &sample.line[at + original.len()..];
                // rich's path column: only after a message that ends it.
                if id.name() == "rich" && suffix.trim().is_empty() {
                    continue;
                }
                // A dotted name opening the message is read as the logger
                // there (see `time_level`).
                // A quoted value cannot hold its own quote unescaped.
                if preset.name == "logfmt" && message.contains(['\'', '"', '\\']) {
                    continue;
                }
                let reads_a_logger_first = matches!(preset.name, "time-level" | "loose");
                if reads_a_logger_first && loose::logger_at(message.as_bytes(), 0).is_some() {
                    continue;
                }
                let line = format!("{}{}{}", &sample.line[..at], message, suffix);
                let f = declared.recognize(line.as_bytes(), &mut scratch);
                prop_assert_eq!(String::from_utf8_lossy(f.message), message, "declared {}: {:?}", preset.name, line);
                let mut auto = LayoutRecognizer::new(LayoutSpec::Auto);
                auto.recognize(sample.line.as_bytes(), &mut scratch);
                let f = auto.recognize(line.as_bytes(), &mut scratch);
                prop_assert_eq!(f.layout, id, "auto: {:?}", line);
                prop_assert_eq!(String::from_utf8_lossy(f.message), message);
            }
        }
    }

    /// Any `[input] layout` value: an answer, never a panic, and an error
    /// in one line.
    #[test]
    fn any_declared_layout_is_answered(value in "[%(){}a-z:. \\[\\]?<>P*+-]{0,40}") {
        if let Err(e) = LayoutSpec::parse(&value) {
            prop_assert!(!e.to_string().contains('\n'), "{}", e);
        }
    }

    /// JSON lines written by serde_json read back the message it escaped.
    #[test]
    fn json_messages_unescape(message in "\\PC{0,40}|[\\x00-\\x7f]{0,40}", key in prop_oneof![Just("message"), Just("msg"), Just("event")]) {
        let mut object = serde_json::Map::new();
        object.insert("level".into(), "INFO".into());
        object.insert(key.into(), message.clone().into());
        object.insert("extra".into(), serde_json::json!([1, {"message": "nested"}]));
        let line = serde_json::Value::Object(object).to_string();
        let mut recognizer = LayoutRecognizer::new(LayoutSpec::Auto);
        let mut scratch = Vec::new();
        let f = recognizer.recognize(line.as_bytes(), &mut scratch);
        prop_assert_eq!(f.layout, LayoutId::JSON);
        prop_assert_eq!(f.message, message.as_bytes());
        prop_assert_eq!(f.level, Some(Level::Info));
    }
}

#[test]
fn docs_list_every_preset_with_a_sample() {
    let docs = include_str!("../../../docs/layouts.md");
    for preset in &PRESETS {
        assert!(
            docs.contains(&format!("- `{}`: ", preset.name)),
            "docs/layouts.md lacks {}",
            preset.name
        );
        assert!(
            preset
                .samples
                .iter()
                .any(|s| docs.contains(s.line.trim_end())),
            "docs/layouts.md shows no sample of {}",
            preset.name
        );
    }
}

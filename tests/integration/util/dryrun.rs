//! Reading a `--dry-run` back against its input: with the summaries sent
//! elsewhere (`--summary-to`), the output is the input line for line, each
//! line bare or behind `[logdedup:RULE] `.

use std::path::Path;

/// Lines of `data`, each without its `\n`.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The rule that tagged each input line of `log` in the dry run's
/// `output`, or `None` for a line that passed. Panics, naming `log`,
/// unless the output is the input line for line.
pub fn tags(log: &Path, input: &[u8], output: &[u8]) -> Vec<Option<String>> {
    let (input, output) = (lines(input), lines(output));
    assert_eq!(
        input.len(),
        output.len(),
        "{}: lines in and out",
        log.display()
    );
    input
        .iter()
        .zip(&output)
        .map(|(inp, out)| {
            if out == inp {
                return None;
            }
            let tagged = out.strip_prefix(b"[logdedup:").and_then(|rest| {
                let end = rest.iter().position(|&b| b == b']')?;
                (rest[end + 1..].strip_prefix(b" ") == Some(*inp))
                    .then(|| String::from_utf8_lossy(&rest[..end]).into_owned())
            });
            assert!(
                tagged.is_some(),
                "{}: {:?} came out as {:?}",
                log.display(),
                String::from_utf8_lossy(inp),
                String::from_utf8_lossy(out)
            );
            tagged
        })
        .collect()
}

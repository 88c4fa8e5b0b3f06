//! The source's shape: no file under `src/` over 600 lines, and no import
//! circle, between the top-level modules (`crate::rules` never imports
//! `crate::pipeline` if the pipeline imports the rules) nor between the
//! files of one module (siblings that import each other through `super::`
//! or `crate::`). A module's own `mod.rs` (or `lib.rs`) only declares and
//! re-exports its files, so a file naming an item of its parent module is
//! not counted as a circle. Functions over 100 lines are refused by
//! clippy's `too_many_lines` (the pedantic group is on).

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as paths relative to `src/`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src()).expect("under src").to_owned());
        }
    }
}

/// The module path a file stands for: `rules/load.rs` → [rules, load],
/// `rules/mod.rs` → [rules], `lib.rs` → [].
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts
}

/// The file that defines module `path`, if one does.
fn file_of(path: &[String]) -> Option<PathBuf> {
    if path.is_empty() {
        return Some(PathBuf::from("lib.rs"));
    }
    let base: PathBuf = path.iter().collect();
    [base.with_extension("rs"), base.join("mod.rs")]
        .into_iter()
        .find(|f| src().join(f).is_file())
}

/// The longest prefix of `path` that is a module with a file.
fn resolve(path: &[String]) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| file_of(p).is_some())
        .unwrap_or_default()
}

/// Code without comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file names, resolved to modules with files: `crate::a::b`
/// anywhere in its code, and `super::x` in its `use` items (including
/// items inside `{...}` groups).
fn imports(file: &Path, text: &str) -> BTreeSet<Vec<String>> {
    let module = module_of(file);
    let parent: Vec<String> = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
        module.clone()
    } else {
        module[..module.len().saturating_sub(1)].to_vec()
    };
    let crate_path =
        Regex::new(r"\bcrate::((?:[a-z_][a-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)").unwrap();
    let super_use = Regex::new(r"(?s)\buse\s+super::([^;]*);").unwrap();
    let ident = Regex::new(r"^[a-z_][a-z0-9_]*").unwrap();
    let text = code(text);
    let mut out = BTreeSet::new();
    for c in crate_path.captures_iter(&text) {
        let path: Vec<String> = c[1].split("::").map(str::to_owned).collect();
        out.insert(resolve(&path));
    }
    for c in super_use.captures_iter(&text) {
        let body = c[1].trim();
        // `super::x::...`, `super::{x, y::z}`, `super::Item`.
        let heads: Vec<&str> = match body.strip_prefix('{') {
            Some(group) => group
                .trim_end_matches('}')
                .split(',')
                .map(str::trim)
                .collect(),
            None => vec![body],
        };
        for head in heads {
            let Some(first) = ident.find(head) else {
                continue;
            };
            let mut path = parent.clone();
            path.push(first.as_str().to_owned());
            out.insert(resolve(&path));
        }
    }
    out.remove(&module);
    out
}

/// A circle in `edges`, if there is one, as the nodes around it.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut around = stack[at..].to_vec();
                    around.push(next.clone());
                    return Some(around);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if !state.contains_key(node) {
            if let Some(c) = visit(node, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// Module edges at two scales: between top-level modules, and between the
/// files of one module. An edge to the importer's own ancestors is left
/// out (a parent only declares and re-exports its children).
fn edges() -> (
    BTreeMap<String, BTreeSet<String>>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let (mut top, mut inner) = (BTreeMap::new(), BTreeMap::new());
    for file in files.iter().filter(|f| !f.ends_with("main.rs")) {
        let text = std::fs::read_to_string(src().join(file)).expect("readable");
        let from = module_of(file);
        for to in imports(file, &text) {
            if to.is_empty() || from.starts_with(&to) {
                continue;
            }
            let (Some(a), Some(b)) = (from.first(), to.first()) else {
                continue;
            };
            if a != b {
                top.entry(a.clone())
                    .or_insert_with(BTreeSet::new)
                    .insert(b.clone());
                continue;
            }
            // Within one top-level module: compare the children of the
            // deepest module both are in.
            let common = from.iter().zip(&to).take_while(|(x, y)| x == y).count();
            let (Some(x), Some(y)) = (from.get(common), to.get(common)) else {
                continue;
            };
            let scope = from[..common].join("::");
            inner
                .entry(format!("{scope}::{x}"))
                .or_insert_with(BTreeSet::new)
                .insert(format!("{scope}::{y}"));
        }
    }
    (top, inner)
}

#[test]
fn no_import_circle_between_modules_or_files() {
    let (top, inner) = edges();
    assert!(top.len() >= 8, "the module graph was read: {top:?}");
    assert_eq!(
        circle(&top),
        None,
        "top-level modules import each other: {top:#?}"
    );
    assert_eq!(
        circle(&inner),
        None,
        "files of one module import each other"
    );
}

#[test]
fn the_circle_check_finds_a_circle() {
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    edges.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        circle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    edges.get_mut("c").unwrap().clear();
    assert_eq!(circle(&edges), None);
}

#[test]
fn no_source_file_over_600_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(src().join(f)).ok()?.lines().count();
            (lines > 600).then(|| format!("{} ({lines})", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over 600 lines: {long:?}");
}

//! Tidy checks on the source itself (rust-analyzer's `tidy.rs` style): the layering that
//! ARCHITECTURE.md describes and "the engine does no I/O", read from the code, so the text
//! and the code cannot silently disagree.
//!
//! The checks read `src/` as text: comments, string literals and `#[cfg(test)]` items are
//! blanked first (unit tests may do what they like), then every `crate::`, `super::` and
//! `self::` path (also inside `use` groups) is resolved to the module it names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may use modules of its own layer or below, never one
/// above. An entry names a module and everything under it (`report` covers
/// `report::writers`); the longest entry that prefixes a module decides its layer, so a
/// submodule can be given a layer of its own below its parent. `""` is the crate root
/// (`lib.rs`: `run`, `simulate`). `main.rs` is its own crate, above all of them.
///
/// Every file under `src/` must fall under an entry other than the root: a new module
/// fails `every_module_has_a_layer` until it is placed here.
const LAYERS: &[&[&str]] = &[
    // Vocabulary: no crate imports.
    &["ids", "money", "calendar", "rules"],
    // The guarded writer: std and libc only (and the names trustsim writes, below).
    &["output"],
    // Problems and errors; `Error::Output` wraps the output module's error.
    &["error"],
    &["scenario"],
    // Bills as the timeline builds them and the engine prices them.
    &["bill"],
    &["timeline"],
    // The engine, bottom up: pricing and the row types; a linked account's history; the
    // state a run changes, behind its invariants; what decides events and what is
    // computed after the run, both on the state; the processing loop; `simulate`.
    &["engine::pricing"],
    &["engine::outcome"],
    &["engine::trusteeship"],
    &["engine::state"],
    &["engine::requests", "engine::intervals"],
    &["engine::component"],
    &["engine"],
    &["report"],
    &["generate"],
    // Shards, their merge and the bounded run's groups (SPEC §10.9): on the report
    // writers, below the pipeline that runs them.
    &["shard"],
    // The commands: the pipeline (`lib.rs`), the golden comparison that runs it, and the
    // FOCUS import and reconcile (which runs it too), and `compare` (which simulates both
    // sides), `explain` (which simulates once and reads the run), `sweep` (which simulates
    // one component per instant), and the HTML report (`html`, above `report`; it lays out
    // `compare`'s comparisons, and `compare`'s `--format html` names it).
    &["check", "compare", "explain", "import", "html", "sweep", ""],
];

/// Upward uses that are known and allowed, each naming exactly what is used and why. The
/// test fails when one is no longer needed, so this list only shrinks.
const ALLOWED_UPWARD: &[(&str, &str, &str)] = &[
    (
        "output",
        "report::REPORT_FILES",
        "the output contract must know the names of the reports trustsim writes",
    ),
    (
        "output",
        "generate::FILES",
        "the output contract must know the names of the files of a generated scenario",
    ),
];

/// Modules that compute and must not touch the world: no files, no terminal, no
/// environment, no clock. The engine is pure so that a run is a function of its scenario
/// (determinism, SPEC §6) and so it can be tested without a filesystem.
const PURE: &[&str] = &["ids", "money", "calendar", "rules", "timeline", "engine"];

/// What a pure module may not name: each is file, stream, environment or clock access.
/// Paths are matched as prefixes (`std::io` also catches `std::io::Write` and
/// `use std::{io, fs}`), names as whole identifiers, macros by name.
const IMPURE_PATHS: &[&str] = &[
    "std::fs",
    "std::io",
    "std::env",
    "std::net",
    "std::process",
    "std::time::SystemTime",
    "std::time::Instant",
];
const IMPURE_NAMES: &[&str] = &[
    "File",
    "OpenOptions",
    "stdout",
    "stderr",
    "stdin",
    "SystemTime",
];
const IMPURE_MACROS: &[&str] = &["println", "print", "eprintln", "eprint", "dbg"];

/// A source file: its module path (`engine::requests`, `""` for `lib.rs`) and its code with
/// comments, strings and test items blanked.
struct Source {
    path: PathBuf,
    module: String,
    code: String,
}

fn sources() -> Vec<Source> {
    let src = crate::util::root().join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path != src.join("main.rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            let rel = path.strip_prefix(&src).expect("under src/");
            Source {
                module: module_of(rel),
                code: without_tests(&code_only(&text)),
                path: rel.to_path_buf(),
            }
        })
        .collect()
}

/// `engine/requests.rs` → `engine::requests`; `report/mod.rs` → `report`; `lib.rs` → `""`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The code of `text` with comments and the contents of string and char literals replaced
/// by spaces (line breaks kept, so line numbers stay right).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied().unwrap_or('\0');
        if at(0) == '/' && at(1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(0) == '/' && at(1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if (at(0) == 'r' || (at(0) == 'b' && at(1) == 'r'))
            && (i == 0 || !ident(c[i - 1]))
            && {
                let r = if at(0) == 'b' { 1 } else { 0 };
                let hashes = (1..).take_while(|&k| at(r + k) == '#').count();
                at(r + 1 + hashes) == '"'
            }
        {
            // Raw string: r"…", r#"…"#, br"…".
            let r = if at(0) == 'b' { 1 } else { 0 };
            let hashes = (1..).take_while(|&k| at(r + k) == '#').count();
            i += r + 1 + hashes + 1;
            out.push_str("\"\"");
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if at(0) == '"' {
            i += 1;
            out.push_str("\"\"");
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            i += 1;
        } else if at(0) == '\'' && (at(1) == '\\' || at(2) == '\'') {
            // A char literal ('x', '\n', '\''); a lone quote is a lifetime.
            i += if at(1) == '\\' { 3 } else { 2 };
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `code` with every `#[cfg(test)]` item (a `mod tests { … }`, a function, a `use`) blanked.
fn without_tests(code: &str) -> String {
    let mut c: Vec<char> = code.chars().collect();
    let marker: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + marker.len() <= c.len() {
        if c[i..i + marker.len()] != marker[..] {
            i += 1;
            continue;
        }
        let mut j = i + marker.len();
        let mut depth = 0usize;
        while j < c.len() {
            match c[j] {
                ';' if depth == 0 => break,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let end = (j + 1).min(c.len());
        for ch in &mut c[i..end] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        i = j + 1;
    }
    c.into_iter().collect()
}

/// A token of code: an identifier (or keyword), `::`, or one other character.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Path,
    Punct(char),
}

/// The tokens of `code`, each with its line.
fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(c[start..i].iter().collect()), line));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push((Tok::Path, line));
            i += 2;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

/// Every path in `code` that starts at `crate`, `super` or `self`, resolved from the module
/// `module` to a path from the crate root (`["engine", "outcome", "BillRow"]`), with its
/// line. `use` groups are expanded: `crate::{a::X, b}` gives `a::X` and `b`.
fn crate_paths(module: &str, code: &str) -> Vec<(Vec<String>, usize)> {
    let toks = tokens(code);
    let here: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let starts = matches!(&toks[i].0, Tok::Ident(s) if s == "crate" || s == "super" || s == "self")
            && toks.get(i + 1).is_some_and(|t| t.0 == Tok::Path)
            && (i == 0 || toks[i - 1].0 != Tok::Path);
        if !starts {
            i += 1;
            continue;
        }
        let line = toks[i].1;
        let mut base = here.clone();
        // `crate`, or a run of `super`s (and a leading `self`), sets the base module.
        loop {
            match &toks[i].0 {
                Tok::Ident(s) if s == "crate" => base.clear(),
                Tok::Ident(s) if s == "super" => {
                    base.pop();
                }
                Tok::Ident(s) if s == "self" => {}
                _ => break,
            }
            if toks.get(i + 1).map(|t| &t.0) != Some(&Tok::Path) {
                break;
            }
            i += 2;
        }
        let mut paths = Vec::new();
        i = tree(&toks, i, base, &mut paths);
        found.extend(paths.into_iter().map(|p| (p, line)));
    }
    found
}

/// Reads one use tree at `toks[i]` below `prefix` into `out`; returns the index after it.
fn tree(
    toks: &[(Tok, usize)],
    mut i: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match toks.get(i).map(|t| &t.0) {
            Some(Tok::Ident(s)) if s == "self" => {
                out.push(prefix);
                return i + 1;
            }
            Some(Tok::Ident(s)) => {
                prefix.push(s.clone());
                if toks.get(i + 1).map(|t| &t.0) == Some(&Tok::Path) {
                    i += 2;
                } else {
                    out.push(prefix);
                    return i + 1;
                }
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                while let Some(t) = toks.get(i) {
                    match t.0 {
                        Tok::Punct('}') => return i + 1,
                        Tok::Punct(',') => i += 1,
                        _ => {
                            let next = tree(toks, i, prefix.clone(), out);
                            // Skip a rename (`X as Y`) up to the next `,` or `}`.
                            i = next;
                            while toks
                                .get(i)
                                .is_some_and(|t| !matches!(t.0, Tok::Punct(',') | Tok::Punct('}')))
                            {
                                i += 1;
                            }
                        }
                    }
                }
                return i;
            }
            // `*`, or a path that ends in `::` before something else (`crate::x::<T>`).
            _ => {
                out.push(prefix);
                return i + 1;
            }
        }
    }
}

/// The layer of a module or item path: the longest `LAYERS` entry that prefixes it, as
/// (layer index, entry).
fn layer_of(path: &[String]) -> (usize, &'static str) {
    let mut best: Option<(usize, usize, &str)> = None;
    for (layer, entries) in LAYERS.iter().enumerate() {
        for &entry in *entries {
            let e: Vec<&str> = entry.split("::").filter(|s| !s.is_empty()).collect();
            let matches = e.len() <= path.len() && e.iter().zip(path).all(|(a, b)| a == b);
            if matches && best.is_none_or(|(len, _, _)| e.len() > len) {
                best = Some((e.len(), layer, entry));
            }
        }
    }
    best.map(|(_, layer, entry)| (layer, entry))
        .expect("the root entry \"\" matches every path")
}

fn segments(s: &str) -> Vec<String> {
    s.split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn starts_with(path: &[String], prefix: &str) -> bool {
    let p = segments(prefix);
    p.len() <= path.len() && p.iter().zip(path).all(|(a, b)| a == b)
}

/// The upward uses in `module`'s `code`, as messages, and the allowed ones it makes (by
/// index into [`ALLOWED_UPWARD`]).
fn upward_uses(file: &Path, module: &str, code: &str) -> (Vec<String>, Vec<usize>) {
    let from = segments(module);
    let (layer, entry) = layer_of(&from);
    let (mut bad, mut allowed) = (Vec::new(), Vec::new());
    for (path, line) in crate_paths(module, code) {
        let (to_layer, to_entry) = layer_of(&path);
        if to_layer <= layer {
            continue;
        }
        let exception = ALLOWED_UPWARD
            .iter()
            .position(|(m, p, _)| starts_with(&from, m) && starts_with(&path, p));
        match exception {
            Some(k) => allowed.push(k),
            None => bad.push(format!(
                "src/{}:{line}: `{module}` (layer {layer}, {entry:?}) uses `crate::{}` \
                 (layer {to_layer}, {to_entry:?}), a layer above it",
                file.display(),
                path.join("::"),
            )),
        }
    }
    (bad, allowed)
}

/// The impure names `code` uses, as messages.
fn impure_uses(file: &Path, code: &str) -> Vec<String> {
    let toks = tokens(code);
    let mut found = Vec::new();
    let mut report = |what: String, line: usize| {
        found.push(format!("src/{}:{line}: uses `{what}`", file.display()));
    };
    for (k, (t, line)) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let next = toks.get(k + 1).map(|t| &t.0);
        let after_path = k > 0 && toks[k - 1].0 == Tok::Path;
        if name == "std" && next == Some(&Tok::Path) && !after_path {
            let mut paths = Vec::new();
            tree(&toks, k, Vec::new(), &mut paths);
            for p in paths {
                if let Some(banned) = IMPURE_PATHS.iter().find(|b| starts_with(&p, b)) {
                    report(format!("{banned} ({})", p.join("::")), *line);
                }
            }
        } else if IMPURE_NAMES.contains(&name.as_str()) {
            report(name.clone(), *line);
        } else if IMPURE_MACROS.contains(&name.as_str()) && next == Some(&Tok::Punct('!')) {
            report(format!("{name}!"), *line);
        } else if name == "now" && after_path {
            // `Instant::now()`, `Utc::now()`: the clock.
            report("::now".to_string(), *line);
        }
    }
    found
}

#[test]
fn every_module_has_a_layer() {
    let mut missing = Vec::new();
    for s in sources() {
        if !s.module.is_empty() && layer_of(&segments(&s.module)).1.is_empty() {
            missing.push(format!("src/{} (`{}`)", s.path.display(), s.module));
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a layer; add them to LAYERS in tests/tidy.rs (and to \
         ARCHITECTURE.md):\n{}",
        missing.join("\n")
    );
    // And every entry names a module that exists, so the table cannot keep dead names.
    let modules: Vec<String> = sources().into_iter().map(|s| s.module).collect();
    for entry in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(
            modules.iter().any(|m| starts_with(&segments(m), entry)),
            "LAYERS names `{entry}`, which is no module of src/"
        );
    }
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let mut bad = Vec::new();
    let mut used: BTreeMap<usize, usize> = BTreeMap::new();
    for s in sources() {
        let (b, allowed) = upward_uses(&s.path, &s.module, &s.code);
        bad.extend(b);
        for k in allowed {
            *used.entry(k).or_default() += 1;
        }
    }
    assert!(
        bad.is_empty(),
        "upward uses (the layers are LAYERS in tests/tidy.rs; move the item down, or pass \
         it in):\n{}",
        bad.join("\n")
    );
    for (k, (module, path, why)) in ALLOWED_UPWARD.iter().enumerate() {
        assert!(
            used.contains_key(&k),
            "ALLOWED_UPWARD lists `{module}` → `{path}` ({why}), which is no longer used: \
             remove it"
        );
    }
}

#[test]
fn the_engine_does_no_io() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for s in sources() {
        if PURE.iter().any(|p| starts_with(&segments(&s.module), p)) {
            bad.extend(impure_uses(&s.path, &s.code));
            checked += 1;
        }
    }
    assert!(checked >= PURE.len(), "only {checked} pure files found");
    assert!(
        bad.is_empty(),
        "I/O, environment or clock in a pure module (PURE in tests/tidy.rs):\n{}",
        bad.join("\n")
    );
}

/// The checks themselves can fail: each finds the violation planted in a small source.
#[test]
fn the_checks_find_what_they_look_for() {
    let file = Path::new("engine/requests.rs");
    let code = |s: &str| without_tests(&code_only(s));

    let (bad, _) = upward_uses(
        file,
        "engine::requests",
        &code("use crate::report::{self, csv_out::Csv};"),
    );
    assert_eq!(bad.len(), 2, "{bad:?}");
    let (bad, _) = upward_uses(
        file,
        "engine::requests",
        &code("fn f() { crate::check::check(x) }"),
    );
    assert_eq!(bad.len(), 1, "{bad:?}");
    let (bad, _) = upward_uses(
        Path::new("timeline.rs"),
        "timeline",
        &code("use super::engine::simulate;"),
    );
    assert_eq!(bad.len(), 1, "{bad:?}");
    // Inside the engine too: the request handlers sit below the processing loop.
    let (bad, _) = upward_uses(
        file,
        "engine::requests",
        &code("use super::component::run;"),
    );
    assert_eq!(bad.len(), 1, "{bad:?}");
    // Downward and same-layer uses, and uses in comments, strings and tests, are fine.
    let fine = code(
        "use crate::{calendar::Instant, money::Money};\nuse super::outcome::Results;\n\
         // crate::report::x\nconst S: &str = \"crate::report::x\";\n\
         #[cfg(test)]\nmod tests { use crate::report::x; }\n",
    );
    assert_eq!(
        upward_uses(file, "engine::requests", &fine).0,
        Vec::<String>::new()
    );

    let impure = code(
        "use std::io::Write;\nuse std::{env, fmt};\nfn f() { println!(\"x\"); \
         let _ = std::fs::read(p); let t = chrono::Utc::now(); File::open(p) }",
    );
    assert_eq!(
        impure_uses(file, &impure).len(),
        6,
        "{:?}",
        impure_uses(file, &impure)
    );
    let pure = code("use std::fmt::Write;\n// println!\nfn f() -> &'static str { \"std::fs\" }\n#[cfg(test)]\nfn t() { std::fs::read(p); }");
    assert_eq!(impure_uses(file, &pure), Vec::<String>::new());
}

/// The `// rule ID:` markers of `text`: the ids of each `rule A, B:` in a comment.
fn rule_markers(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in text.lines() {
        let Some((_, comment)) = line.split_once("//") else {
            continue;
        };
        for (k, _) in comment.match_indices("rule ") {
            let rest = &comment[k + "rule ".len()..];
            let Some((list, _)) = rest.split_once(':') else {
                continue;
            };
            let list: Vec<&str> = list.split(", ").map(str::trim).collect();
            let is_id = |id: &&str| {
                id.len() >= 2
                    && id.starts_with(['L', 'T', 'B', 'E'])
                    && id[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
            };
            if list.iter().all(is_id) {
                ids.extend(list.iter().map(|id| id.to_string()));
            }
        }
    }
    ids
}

/// One grep for a SPEC id lands on the code that decides it: every `RuleId` has a
/// `// rule ID:` marker (the SPEC spelling, `T5.1`) outside `rules.rs`, at the code that
/// decides it or, for a rule that holds by construction (T4, L6), where that construction
/// is.
#[test]
fn every_rule_is_marked_where_it_is_decided() {
    let src = crate::util::root().join("src");
    let rules = std::fs::read_to_string(src.join("rules.rs")).expect("read rules.rs");
    let body = rules
        .split_once("pub enum RuleId {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .expect("rules.rs defines enum RuleId");
    let ids: Vec<String> = tokens(&code_only(body))
        .into_iter()
        .filter_map(|(t, _)| match t {
            Tok::Ident(id) => Some(id.replace('_', ".")),
            _ => None,
        })
        .collect();
    assert!(ids.len() >= 29, "only {} rule ids read", ids.len());
    let mut marked = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path != src.join("rules.rs") {
                let text = std::fs::read_to_string(&path).expect("read a source file");
                marked.extend(rule_markers(&text));
            }
        }
    }
    let missing: Vec<&String> = ids.iter().filter(|id| !marked.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "rules without a `// rule ID:` marker in src/: {missing:?}"
    );
    let unknown: Vec<&String> = marked.iter().filter(|id| !ids.contains(id)).collect();
    assert!(unknown.is_empty(), "markers naming no RuleId: {unknown:?}");
    assert_eq!(
        rule_markers("// rule L1, T3, T5.1: x; rule B1: y\n// a rule of thumb: z"),
        ["L1", "T3", "T5.1", "B1"]
    );
}

/// The entries of docs/interpretations.md, as (number, text).
fn interpretations() -> Vec<(u32, String)> {
    let text = std::fs::read_to_string(crate::util::root().join("docs/interpretations.md"))
        .expect("read docs/interpretations.md");
    let mut entries: Vec<(u32, String)> = Vec::new();
    for line in text.lines() {
        let number = line
            .split_once(". **")
            .and_then(|(n, _)| n.parse::<u32>().ok());
        match number {
            Some(n) => entries.push((n, line.to_string())),
            None if line.starts_with("## ") || line.trim().is_empty() => {
                entries.push((0, String::new()))
            }
            None => {
                if let Some((_, body)) = entries.last_mut() {
                    body.push(' ');
                    body.push_str(line.trim());
                }
            }
        }
    }
    entries.retain(|(n, _)| *n > 0);
    entries
}

/// The code an entry names: each `file.rs` with the items named right after it
/// (`` `engine/requests.rs` `holds_back`, `request` ``).
fn named_code(entry: &str) -> Vec<(String, Vec<String>)> {
    let parts: Vec<&str> = entry.split('`').collect();
    let is_item = |s: &str| {
        !s.is_empty()
            && s.split("::").all(|seg| {
                seg.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && seg.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
    };
    let mut named: Vec<(String, Vec<String>)> = Vec::new();
    let mut open = false;
    // Odd parts are inside backticks; even parts are the text between them.
    for (k, part) in parts.iter().enumerate() {
        if k % 2 == 0 {
            let gap = part.trim_matches(|c: char| c.is_whitespace() || ",()".contains(c));
            open = open && (gap.is_empty() || gap == "and");
        } else if part.ends_with(".rs") {
            named.push((part.to_string(), Vec::new()));
            open = true;
        } else if open && is_item(part) {
            if let Some((_, items)) = named.last_mut() {
                items.push(part.to_string());
            }
        } else {
            open = false;
        }
    }
    named
}

/// docs/interpretations.md promises that each entry names where the code implements it:
/// every entry names a source file, the file exists, and each item named right after it is
/// in it, so a renamed function or a moved file shows up here.
#[test]
fn every_interpretation_names_code_that_exists() {
    let src = crate::util::root().join("src");
    let files: Vec<(String, String)> = {
        let mut stack = vec![src.clone()];
        let mut files = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src/").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(&src).expect("under src/");
                    let text = std::fs::read_to_string(&path).expect("read a source file");
                    files.push((rel.to_string_lossy().into_owned(), text));
                }
            }
        }
        files
    };
    let entries = interpretations();
    assert!(entries.len() >= 40, "only {} entries found", entries.len());
    let mut bad = Vec::new();
    for (n, entry) in &entries {
        let named = named_code(entry);
        if named.is_empty() {
            bad.push(format!("entry {n} names no source file"));
        }
        for (file, items) in named {
            // `error.rs` is `src/error.rs`; `reader.rs` is the one file of that name.
            let exact: Vec<&(String, String)> =
                files.iter().filter(|(rel, _)| *rel == file).collect();
            let found = if exact.is_empty() {
                files
                    .iter()
                    .filter(|(rel, _)| rel.ends_with(&format!("/{file}")))
                    .collect()
            } else {
                exact
            };
            let [(_, text)] = found[..] else {
                bad.push(format!(
                    "entry {n}: `{file}` is no one file of src/ ({} match)",
                    found.len()
                ));
                continue;
            };
            let idents: Vec<Tok> = tokens(&code_only(text)).into_iter().map(|t| t.0).collect();
            for item in items {
                let missing: Vec<&str> = item
                    .split("::")
                    .filter(|seg| !idents.contains(&Tok::Ident(seg.to_string())))
                    .collect();
                if !missing.is_empty() {
                    bad.push(format!("entry {n}: `{item}` is not in `{file}`"));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "docs/interpretations.md:\n{}",
        bad.join("\n")
    );
}

/// Modules that may name a float type: the generator's shares and probabilities, which
/// never become amounts (it turns them into integer thresholds once, `generate::plan`).
/// `main.rs` (elapsed seconds) is not scanned.
const FLOATS_ALLOWED: &[&str] = &["generate"];

/// Money is never a float: no `f32` or `f64` anywhere else in the library.
#[test]
fn money_is_never_a_float() {
    let mut bad = Vec::new();
    for s in sources() {
        if FLOATS_ALLOWED
            .iter()
            .any(|m| starts_with(&segments(&s.module), m))
        {
            continue;
        }
        for (t, line) in tokens(&s.code) {
            if matches!(&t, Tok::Ident(name) if name == "f32" || name == "f64") {
                bad.push(format!("src/{}:{line}", s.path.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "float types outside FLOATS_ALLOWED:\n{}",
        bad.join("\n")
    );
}

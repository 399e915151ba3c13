//! A shard's partial reports and what merging them needs (SPEC §10.9).
//!
//! For each report `NAME` (the nine of SPEC §6, and `focus.csv` when asked), a shard holds
//! `NAME.part`, written by the report writers themselves (so each row is byte for byte the
//! unsharded run's row), with its header, in the report's order; and `NAME.keys`, the line
//! `trustsim-keys 1 WIDTH` then one fixed-width key per row ([`super::keys`]), in the same
//! order. `shard.meta` says what the shard is ([`Meta`]). Nothing is named like a report,
//! and the directory's marker is `.trustsim-shard`, so neither a person nor `check` or
//! `compare` takes a shard for a run's reports.
//!
//! Both files are zstd (`report::Encoding::Zstd`, level 1, each frame with its checksum) of
//! those bytes, because a bounded run's spill and a shard directory would otherwise be as
//! large as the reports: `NAME.part` is the header's frame, then one frame per chunk of
//! rows, compressed in parallel where the rows are formatted; `NAME.keys` is one frame,
//! compressed while the keys are written (keys are a tenth of the bytes, and the files'
//! keys are written in parallel). `zstd -dc bills.csv.part` prints the rows. The names
//! keep their `.part`/`.keys` endings: they are what a shard holds, not files for a person
//! to open, and [`META_FORMAT`] says how they are written.

use super::keys;
use crate::engine::outcome::Results;
use crate::error::Error;
use crate::report::{self, Encoding, REPORT_FILES};
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The file that describes a shard.
pub const META: &str = "shard.meta";
/// The format line of [`META`]: 2 since parts and keys are zstd (1 wrote them plain).
pub const META_FORMAT: &str = "trustsim-shard 2";
/// What every [`META`] of any format begins with, to tell an older shard from a stray file.
const META_KIND: &str = "trustsim-shard ";
/// The header line of every keys file (inside its zstd stream; unchanged since 1).
const KEYS_FORMAT: &str = "trustsim-keys 1";
/// What a part file's name ends in, after the report's name.
pub const PART: &str = ".part";
pub const KEYS: &str = ".keys";

/// What a shard is: which scenario (by digest), which shard of how many, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub name: String,
    pub digest: String,
    pub shard: usize,
    pub shards: usize,
    pub focus: bool,
}

/// The report files a run with or without `focus` writes, in schema order.
pub fn files(focus: bool) -> Vec<&'static str> {
    let mut files = REPORT_FILES.to_vec();
    if focus {
        files.push(report::focus::FOCUS_FILE);
    }
    // No report.html or NAME.parquet: the command line refuses `--html` and `--format
    // parquet` with `--shard` and `--max-memory` (docs/interpretations.md, entry 94), as both
    // would need every row of the run in memory again after the merge.
    files
}

/// Writes `results`' partial reports into `dir` (a staging or scratch directory, files
/// through `crate::output::create`), each name after `prefix`. Returns the rows written
/// per file.
pub fn write(
    scenario: &Scenario,
    results: &Results,
    dir: &Path,
    prefix: &str,
    focus: bool,
) -> Result<Vec<(&'static str, u64)>, Error> {
    report::write_reports_named(scenario, results, dir, prefix, PART, Encoding::Zstd)?;
    if focus {
        let name = format!("{prefix}{}{PART}", report::focus::FOCUS_FILE);
        let view = report::model::View::new(scenario, results);
        report::focus::write_focus_as(view, dir, &name, Encoding::Zstd)?;
    }
    // One zstd stream per file, the files in parallel: each stream is written in one
    // order by one thread, so its bytes do not depend on the thread count.
    let files = files(focus);
    let written: Vec<Result<u64, Error>> = files
        .par_iter()
        .map(|file| write_keys(scenario, results, dir, prefix, file))
        .collect();
    files
        .into_iter()
        .zip(written)
        .map(|(file, n)| Ok((file, n?)))
        .collect()
}

/// Writes `<prefix><file>.keys`, zstd-compressed; returns how many keys it holds.
fn write_keys(
    scenario: &Scenario,
    results: &Results,
    dir: &Path,
    prefix: &str,
    file: &str,
) -> Result<u64, Error> {
    let (Some(width), Some(keys)) = (keys::width(file), keys::keys_of(scenario, results, file))
    else {
        return Ok(0);
    };
    let name = format!("{prefix}{file}{KEYS}");
    let path = dir.join(&name);
    let io = |e| Error::write(&path, e);
    // The encoder writes its own output buffer's worth at a time; the keys, 4 to 29 bytes
    // each, go through a buffer in front of it.
    let file = crate::output::create(dir, &name)?;
    let mut zstd = zstd::stream::write::Encoder::new(file, Encoding::ZSTD_LEVEL).map_err(io)?;
    zstd.include_checksum(true).map_err(io)?;
    zstd.window_log(Encoding::ZSTD_WINDOW_LOG).map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 16, zstd);
    writeln!(out, "{KEYS_FORMAT} {width}").map_err(io)?;
    let mut n = 0u64;
    for key in keys {
        out.write_all(key.bytes(width)).map_err(io)?;
        n += 1;
    }
    let zstd = out.into_inner().map_err(|e| io(e.into_error()))?;
    zstd.finish().map_err(io)?;
    Ok(n)
}

/// Reads a keys file's header line; the key width it declares.
pub fn keys_width(line: &str) -> Option<usize> {
    line.strip_prefix(KEYS_FORMAT)?
        .strip_prefix(' ')?
        .trim_end()
        .parse()
        .ok()
        .filter(|&w| w <= keys::MAX_KEY)
}

impl Meta {
    /// The text of `shard.meta`.
    pub fn text(&self, rows: &[(&str, u64)]) -> String {
        let mut t = format!(
            "{META_FORMAT}\nscenario = {}\ndigest = {}\nshard = {}\nshards = {}\nfocus = {}\n",
            self.name, self.digest, self.shard, self.shards, self.focus
        );
        for (file, n) in rows {
            t.push_str(&format!("rows {file} = {n}\n"));
        }
        t
    }

    /// Writes `shard.meta` into `dir`.
    pub fn write(&self, dir: &Path, rows: &[(&str, u64)]) -> Result<(), Error> {
        let path = dir.join(META);
        let mut f = crate::output::create(dir, META)?;
        f.write_all(self.text(rows).as_bytes())
            .map_err(|e| Error::write(&path, e))
    }

    /// The format line of `shard.meta`'s `text` when it is a shard of another format than
    /// this trustsim's (an older or newer trustsim wrote it).
    pub fn other_format(text: &str) -> Option<&str> {
        let line = text.lines().next()?;
        (line.starts_with(META_KIND) && line != META_FORMAT).then_some(line)
    }

    /// Parses `shard.meta`'s text; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Meta> {
        let mut lines = text.lines();
        if lines.next()? != META_FORMAT {
            return None;
        }
        let mut field = |key: &str| -> Option<String> {
            let line = lines.next()?;
            Some(line.strip_prefix(key)?.strip_prefix(" = ")?.to_string())
        };
        let name = field("scenario")?;
        let digest = field("digest")?;
        let shard = field("shard")?.parse().ok()?;
        let shards = field("shards")?.parse().ok()?;
        let focus = field("focus")?.parse().ok()?;
        Some(Meta {
            name,
            digest,
            shard,
            shards,
            focus,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_reads_back_what_it_wrote() {
        let m = Meta {
            name: "fleet".into(),
            digest: "sha256:ab".into(),
            shard: 2,
            shards: 7,
            focus: true,
        };
        assert_eq!(Meta::parse(&m.text(&[("bills.csv", 3)])), Some(m.clone()));
        assert_eq!(Meta::parse("trustsim-reports 1\n"), None);
        let old = m.text(&[]).replace("trustsim-shard 2", "trustsim-shard 1");
        assert_eq!(Meta::parse(&old), None, "format 1 wrote plain parts");
        assert_eq!(Meta::other_format(&old), Some("trustsim-shard 1"));
        assert_eq!(Meta::other_format(&m.text(&[])), None);
        assert_eq!(Meta::other_format("trustsim-reports 1\n"), None);
        assert_eq!(keys_width("trustsim-keys 1 24\n"), Some(24));
        assert_eq!(keys_width("trustsim-keys 1 99"), None);
    }
}

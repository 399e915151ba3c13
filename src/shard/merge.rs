//! `trustsim merge` (SPEC §10.9): a streaming k-way merge of partial reports into the
//! reports, byte-identical to the unsharded run's. Each report is merged on its own: a
//! binary heap holds one key per input, and the row of the smallest is copied as bytes
//! from that input's part file. Parts and keys are read through a zstd decoder
//! (`super::part`); a frame that does not decode or whose checksum fails is a damaged
//! shard, like a part that does not match its keys. Memory is a few buffers and a zstd
//! window per input and file, whatever the size of the data; the reports are merged in
//! parallel.

use super::keys::Key;
use super::part::{self, Meta, KEYS, PART};
use crate::error::Error;
use crate::report::Encoding;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// One set of partial reports: `dir/<prefix>NAME.part` and `.keys`.
#[derive(Clone, Debug)]
pub struct Input {
    pub dir: PathBuf,
    pub prefix: String,
}

/// What a merge did, for the summary line and the bench.
#[derive(Clone, Copy, Debug, Default)]
pub struct Merged {
    pub rows: u64,
    pub bytes: u64,
}

/// Bytes of read buffer per input and file.
const BUFFER: usize = 1 << 16;

/// A clear error about the set of shard directories (bad input: exit 2).
fn bad_set(message: String) -> Error {
    Error::io(
        "merge",
        std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    )
}

/// Reads the shards in `dirs` and checks that they are one complete set: each a shard
/// directory trustsim wrote, of the same scenario (digest) and the same N, every K from 1
/// to N exactly once. Returns their metadata, in the order given.
pub fn open_set(dirs: &[PathBuf]) -> Result<Vec<Meta>, Error> {
    if dirs.is_empty() {
        return Err(bad_set("no shard directories given".into()));
    }
    let mut metas = Vec::with_capacity(dirs.len());
    for d in dirs {
        if !d.join(crate::output::SHARD_MARKER).is_file() {
            return Err(bad_set(format!(
                "{} is not a shard directory (no {}); write one with `trustsim run DIR --shard K/N`",
                d.display(),
                crate::output::SHARD_MARKER
            )));
        }
        let path = d.join(part::META);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        if let Some(format) = Meta::other_format(&text) {
            return Err(bad_set(format!(
                "{} is a shard of another format ({format}; trustsim {} reads {}): run that shard again with this trustsim",
                d.display(),
                env!("CARGO_PKG_VERSION"),
                part::META_FORMAT
            )));
        }
        let meta = Meta::parse(&text).ok_or_else(|| {
            bad_set(format!(
                "{} is not a shard description trustsim wrote",
                path.display()
            ))
        })?;
        metas.push(meta);
    }
    let first = &metas[0];
    for (d, m) in dirs.iter().zip(&metas) {
        let apart = |mine: String, theirs: String| {
            bad_set(format!(
                "{} is {mine}, but {} is {theirs}: these shards do not belong together",
                d.display(),
                dirs[0].display()
            ))
        };
        if m.digest != first.digest || m.name != first.name {
            return Err(apart(
                format!("a shard of {} ({})", m.name, m.digest),
                format!("of {} ({})", first.name, first.digest),
            ));
        }
        if m.shards != first.shards {
            return Err(apart(
                format!("shard {} of {}", m.shard, m.shards),
                format!("of a run split into {}", first.shards),
            ));
        }
        if m.focus != first.focus {
            return Err(bad_set(format!(
                "{} was run {} --focus and {} {}: run every shard with the same flags",
                dirs[0].display(),
                if first.focus { "with" } else { "without" },
                d.display(),
                if m.focus { "with it" } else { "without it" }
            )));
        }
    }
    let n = first.shards;
    let mut seen: Vec<Option<&PathBuf>> = vec![None; n];
    for (d, m) in dirs.iter().zip(&metas) {
        let Some(slot) = seen.get_mut(m.shard.wrapping_sub(1)) else {
            return Err(bad_set(format!(
                "{} claims to be shard {} of {n}",
                d.display(),
                m.shard
            )));
        };
        if let Some(before) = slot {
            return Err(bad_set(format!(
                "{} and {} are both shard {} of {n}",
                before.display(),
                d.display(),
                m.shard
            )));
        }
        *slot = Some(d);
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| seen[k - 1].is_none())
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(bad_set(format!(
            "the set is incomplete: shard{} {} of {n} missing (given: {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(metas)
}

/// Merges every file of `files` from `inputs` into `out` (created with
/// `crate::output::create`). The order of `inputs` does not matter: keys are unique.
pub fn merge_files(inputs: &[Input], files: &[&str], out: &Path) -> Result<Merged, Error> {
    let merged: Vec<Result<Merged, Error>> = files
        .par_iter()
        .map(|f| merge_file(inputs, f, out))
        .collect();
    let mut total = Merged::default();
    for m in merged {
        let m = m?;
        total.rows += m.rows;
        total.bytes += m.bytes;
    }
    Ok(total)
}

/// A part or keys file, decoded as it is read.
type Decoded = BufReader<zstd::stream::read::Decoder<'static, BufReader<File>>>;

/// One input's part and keys of one file, being read.
struct Stream {
    part: Decoded,
    keys: Decoded,
    part_path: PathBuf,
    keys_path: PathBuf,
    width: usize,
}

impl Stream {
    fn open(input: &Input, file: &str) -> Result<(Stream, Vec<u8>), Error> {
        let part_path = input.dir.join(format!("{}{file}{PART}", input.prefix));
        let keys_path = input.dir.join(format!("{}{file}{KEYS}", input.prefix));
        let open = |p: &Path| {
            let f = File::open(p).map_err(|e| Error::io(p, e))?;
            let mut zstd = zstd::stream::read::Decoder::new(f).map_err(|e| Error::io(p, e))?;
            // The writers' window and no more: a frame that asks for a larger one is not
            // trustsim's, and cannot make a merge of many inputs take their memory.
            zstd.window_log_max(Encoding::ZSTD_WINDOW_LOG)
                .map_err(|e| Error::io(p, e))?;
            Ok::<_, Error>(BufReader::with_capacity(BUFFER, zstd))
        };
        let (mut part, mut keys) = (open(&part_path)?, open(&keys_path)?);
        let mut line = String::new();
        keys.read_line(&mut line)
            .map_err(|e| read_error(&keys_path, e))?;
        let width = part::keys_width(&line)
            .filter(|&w| Some(w) == super::keys::width(file))
            .ok_or_else(|| corrupt(&keys_path, "not a keys file of this trustsim"))?;
        let mut header = Vec::new();
        part.read_until(b'\n', &mut header)
            .map_err(|e| read_error(&part_path, e))?;
        if header.last() != Some(&b'\n') {
            return Err(corrupt(&part_path, "has no header"));
        }
        Ok((
            Stream {
                part,
                keys,
                part_path,
                keys_path,
                width,
            },
            header,
        ))
    }

    /// The next row's key, or `None` at the end of the keys.
    fn next_key(&mut self) -> Result<Option<Key>, Error> {
        let mut buf = [0u8; super::keys::MAX_KEY];
        let buf = &mut buf[..self.width];
        let mut got = 0;
        while got < buf.len() {
            match self.keys.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(corrupt(&self.keys_path, "ends inside a key")),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(&self.keys_path, e)),
            }
        }
        Ok(Some(Key::from_bytes(buf)))
    }

    /// Appends the next row's bytes to `row`: up to a line end outside quotes (the writers
    /// double every quote inside a quoted field, so an even count of quotes closes them).
    fn next_row(&mut self, row: &mut Vec<u8>) -> Result<(), Error> {
        let start = row.len();
        loop {
            let n = self
                .part
                .read_until(b'\n', row)
                .map_err(|e| read_error(&self.part_path, e))?;
            if n == 0 || row.last() != Some(&b'\n') {
                return Err(corrupt(&self.part_path, "has fewer rows than its keys"));
            }
            let quotes = memchr::memchr_iter(b'"', &row[start..]).count();
            if quotes % 2 == 0 {
                return Ok(());
            }
        }
    }

    /// Whether the part has no bytes left.
    fn at_end(&mut self) -> Result<bool, Error> {
        self.part
            .fill_buf()
            .map(|b| b.is_empty())
            .map_err(|e| read_error(&self.part_path, e))
    }
}

/// An error reading `path` through its decoder: the system's (a disk error, a permission)
/// as it is, and the decoder's (a truncated or corrupt frame, a failed checksum, a file
/// that is not zstd) as a damaged shard. The decoder's errors carry no OS error code.
fn read_error(path: &Path, e: std::io::Error) -> Error {
    if e.raw_os_error().is_some() {
        Error::io(path, e)
    } else {
        corrupt(path, &format!("does not decode ({e})"))
    }
}

fn corrupt(path: &Path, what: &str) -> Error {
    Error::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{what}: the shard is damaged; run it again"),
        ),
    )
}

/// Merges one report.
fn merge_file(inputs: &[Input], file: &str, out: &Path) -> Result<Merged, Error> {
    let mut streams = Vec::with_capacity(inputs.len());
    let mut header: Option<Vec<u8>> = None;
    for input in inputs {
        let (stream, h) = Stream::open(input, file)?;
        match &header {
            Some(first) if *first != h => {
                return Err(corrupt(&stream.part_path, "has another header"))
            }
            Some(_) => {}
            None => header = Some(h),
        }
        streams.push(stream);
    }
    let path = out.join(file);
    let io = |e| Error::write(&path, e);
    let mut w = BufWriter::with_capacity(1 << 17, crate::output::create(out, file)?);
    let header = header.unwrap_or_default();
    w.write_all(&header).map_err(io)?;
    let mut done = Merged {
        rows: 0,
        bytes: header.len() as u64,
    };
    let mut heap = BinaryHeap::with_capacity(streams.len());
    for (i, s) in streams.iter_mut().enumerate() {
        if let Some(k) = s.next_key()? {
            heap.push(Reverse((k, i)));
        }
    }
    let mut row = Vec::with_capacity(1024);
    while let Some(Reverse((_, i))) = heap.pop() {
        let s = &mut streams[i];
        row.clear();
        s.next_row(&mut row)?;
        w.write_all(&row).map_err(io)?;
        done.rows += 1;
        done.bytes += row.len() as u64;
        if let Some(k) = s.next_key()? {
            heap.push(Reverse((k, i)));
        }
    }
    for s in &mut streams {
        if !s.at_end()? {
            return Err(corrupt(&s.part_path, "has more rows than its keys"));
        }
    }
    w.flush().map_err(io)?;
    Ok(done)
}

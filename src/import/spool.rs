//! The charges read so far, on disk: one fixed-size record per row, in a private scratch
//! directory ([`crate::output::Scratch`], removed when dropped or on a signal).
//!
//! The scenario's zone is decided by all the rows (SPEC §10.7), and how a row is imported
//! (its cycle, its resource, its month) depends on the zone; the resource names depend on
//! every resource. Reading the export once and replaying these records twice keeps the
//! import streaming — memory holds the accounts and resources, never the rows — and lets
//! the input be a pipe.

use super::exact::{Cost, Units};
use crate::output::{OutputError, Scratch};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// An id that is absent (an empty field) or not usable as a trustsim id.
pub const NONE: u32 = u32::MAX;

/// One charge row, its strings interned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub billing: u32,
    pub account: u32,
    /// ResourceId (or ServiceName), [`NONE`] when empty.
    pub resource: u32,
    /// ServiceName, [`NONE`] when empty.
    pub product: u32,
    pub category: u32,
    pub service_category: u32,
    /// `focus::Frequency` as a byte.
    pub frequency: u8,
    /// An id on the row cannot be a trustsim id (`IdProblem`), or none.
    pub id_problem: u8,
    pub start: i64,
    pub end: i64,
    pub list: Option<Cost>,
    pub billed: Option<Cost>,
}

const COST_BYTES: usize = 1 + 1 + 16;
const BYTES: usize = 6 * 4 + 2 + 2 * 8 + 2 * COST_BYTES;

impl Record {
    fn encode(&self, out: &mut [u8; BYTES]) {
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        for v in [
            self.billing,
            self.account,
            self.resource,
            self.product,
            self.category,
            self.service_category,
        ] {
            put(&v.to_le_bytes());
        }
        put(&[self.frequency, self.id_problem]);
        put(&self.start.to_le_bytes());
        put(&self.end.to_le_bytes());
        for c in [self.list, self.billed] {
            match c {
                Some(c) => {
                    put(&[1, c.scale]);
                    put(&c.units.0.to_le_bytes());
                }
                None => put(&[0; COST_BYTES]),
            }
        }
    }

    fn decode(b: &[u8; BYTES]) -> Record {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let i64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            i64::from_le_bytes(a)
        };
        let cost_at = |i: usize| {
            (b[i] == 1).then(|| {
                let mut a = [0u8; 16];
                a.copy_from_slice(&b[i + 2..i + 18]);
                Cost {
                    units: Units(i128::from_le_bytes(a)),
                    scale: b[i + 1],
                }
            })
        };
        Record {
            billing: u32_at(0),
            account: u32_at(4),
            resource: u32_at(8),
            product: u32_at(12),
            category: u32_at(16),
            service_category: u32_at(20),
            frequency: b[24],
            id_problem: b[25],
            start: i64_at(26),
            end: i64_at(34),
            list: cost_at(42),
            billed: cost_at(42 + COST_BYTES),
        }
    }
}

/// Records being written.
pub struct Spool {
    // Kept so the directory lives as long as the spool (and is removed with it).
    scratch: Scratch,
    path: PathBuf,
    out: BufWriter<File>,
    rows: u64,
}

/// The name of the records' file in its scratch directory.
const FILE: &str = "charges.bin";

impl Spool {
    pub fn new() -> Result<Spool, OutputError> {
        let scratch = Scratch::new("import")?;
        let path = scratch.path().join(FILE);
        let out = BufWriter::with_capacity(1 << 20, crate::output::create(scratch.path(), FILE)?);
        Ok(Spool {
            scratch,
            path,
            out,
            rows: 0,
        })
    }

    pub fn push(&mut self, r: &Record) -> Result<(), OutputError> {
        let mut buf = [0u8; BYTES];
        r.encode(&mut buf);
        self.rows += 1;
        self.out
            .write_all(&buf)
            .map_err(|e| OutputError::io(&self.path, e))
    }

    /// Ends writing; the records can then be replayed any number of times.
    pub fn finish(mut self) -> Result<Replay, OutputError> {
        self.out
            .flush()
            .map_err(|e| OutputError::io(&self.path, e))?;
        Ok(Replay {
            _scratch: self.scratch,
            path: self.path,
            rows: self.rows,
        })
    }
}

/// Finished records.
pub struct Replay {
    _scratch: Scratch,
    path: PathBuf,
    rows: u64,
}

impl Replay {
    /// Calls `f` on every record, in the order they were pushed.
    pub fn each<E: From<OutputError>>(
        &self,
        mut f: impl FnMut(&Record) -> Result<(), E>,
    ) -> Result<(), E> {
        let io = |e| OutputError::io(&self.path, e);
        let mut input = BufReader::with_capacity(1 << 20, File::open(&self.path).map_err(io)?);
        let mut buf = [0u8; BYTES];
        for _ in 0..self.rows {
            input.read_exact(&mut buf).map_err(io)?;
            f(&Record::decode(&buf))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_replay_as_they_were_pushed() {
        let a = Record {
            billing: 1,
            account: 2,
            resource: NONE,
            product: 4,
            category: 5,
            service_category: NONE,
            frequency: 3,
            id_problem: 0,
            start: -7,
            end: 1 << 40,
            list: Some(Cost {
                units: Units(-(1 << 100)),
                scale: 15,
            }),
            billed: None,
        };
        let b = Record {
            list: None,
            billed: Some(Cost {
                units: Units(42),
                scale: 0,
            }),
            ..a
        };
        let mut spool = Spool::new().expect("spool");
        spool.push(&a).expect("push");
        spool.push(&b).expect("push");
        let replay = spool.finish().expect("finish");
        let mut seen = Vec::new();
        replay
            .each(|r| {
                seen.push(*r);
                Ok::<(), OutputError>(())
            })
            .expect("replay");
        assert_eq!(seen, [a, b]);
    }
}

//! The scenario digest a shard carries (SPEC §10.9): SHA-256 over the bytes of every input
//! file a run reads, each preceded by its name and length, and the variant's name. Shards
//! of different inputs (another scenario, an edited file, another variant) never merge.

use crate::error::Error;
use crate::scenario::{READ_ORDER, VARIANTS_DIR};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// `sha256:<hex>` of the scenario in `dir` (and its variant `variant`, if any). A file that
/// is absent is hashed as absent, so adding an optional table changes the digest.
pub fn scenario_digest(dir: &Path, variant: Option<&str>) -> Result<String, Error> {
    let mut hash = Sha256::new();
    let mut files: Vec<String> = READ_ORDER.iter().map(|f| f.to_string()).collect();
    if let Some(name) = variant {
        files.push(format!("{VARIANTS_DIR}/{name}.toml"));
    }
    let mut buf = vec![0u8; 1 << 20];
    for name in &files {
        hash.update((name.len() as u64).to_be_bytes());
        hash.update(name.as_bytes());
        let path = dir.join(name);
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                hash.update(u64::MAX.to_be_bytes());
                continue;
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        hash.update(len.to_be_bytes());
        loop {
            let n = file.read(&mut buf).map_err(|e| Error::io(&path, e))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
        }
    }
    let mut text = String::from("sha256:");
    for b in hash.finalize() {
        text.push_str(&format!("{b:02x}"));
    }
    Ok(text)
}

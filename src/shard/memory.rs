//! `--max-memory SIZE` (SPEC §10.9): parsing the size, and the model that says how much
//! memory a group of components needs.
//!
//! The model, measured on generated fleets (`generate --mains 10|20|40 --days 7`, release
//! build, `/usr/bin/time -v`): an unbounded run peaks at about 140 B per usage row (211,
//! 414 and 822 MiB for 1.5, 3.1 and 6.1 M rows), a group at about 150 B per row plus some
//! 30 MiB. A component is estimated at [`BYTES_PER_USAGE_ROW`] per usage row (the row
//! while it is read and sorted, the bill it becomes, its ledger and report rows), a little
//! above what was measured so that the bound holds, and [`BYTES_PER_ACCOUNT`] per account
//! (balances, histories, summary and availability rows).
//! What every group needs whatever its size (the scenario without usage, the reading and
//! writing buffers, the threads' stacks) is [`BASE_BYTES`] plus the accounts and resources
//! tables, taken off the bound before groups are cut.

use crate::timeline::Component;

/// Estimated peak bytes per usage row of a group.
pub const BYTES_PER_USAGE_ROW: u64 = 160;
/// Estimated bytes per account of a group.
pub const BYTES_PER_ACCOUNT: u64 = 4096;
/// Estimated bytes a run holds whatever the group: code, buffers, stacks.
pub const BASE_BYTES: u64 = 64 << 20;
/// Estimated bytes per account and per resource of the whole scenario, held by every group.
pub const BYTES_PER_TABLE_ROW: u64 = 512;

/// The estimated peak bytes of simulating `component` with `rows` usage rows.
pub fn component_bytes(component: &Component, rows: u64) -> u64 {
    rows.saturating_mul(BYTES_PER_USAGE_ROW)
        .saturating_add(component.accounts.len() as u64 * BYTES_PER_ACCOUNT)
}

/// What is left of `bound` for a group's components, for a scenario of `accounts` and
/// `resources`; at least 1 byte (then every component goes alone).
pub fn group_budget(bound: u64, accounts: usize, resources: usize) -> u64 {
    let fixed = BASE_BYTES + (accounts + resources) as u64 * BYTES_PER_TABLE_ROW;
    bound.saturating_sub(fixed).max(1)
}

/// Makes the allocator give freed memory back to the system at once, and gives back what
/// it holds free now; called before each group of a bounded run is loaded. glibc's malloc
/// keeps freed memory up to a threshold that it raises as a run frees large blocks, so what
/// one group freed was still counted while the next one grew, and the peak depended on the
/// fleet: 10 and 20 mains × 90 days under 1 GiB, in groups of the same size, peaked at 731
/// and 903 MiB. With a zero trim threshold (and the trim), 696 and 700 MiB, in no more
/// time. Elsewhere than glibc this does nothing: other allocators keep their own terms.
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter, and malloc_trim only releases free
    // heap pages; neither touches a live allocation, and glibc allows both from any thread
    // at any time.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 0);
        libc::malloc_trim(0);
    }
}

/// Parses a size: bytes (`1073741824`), or a number with a binary unit (`512MiB`, `4GiB`,
/// `64KiB`, `1TiB`) or a decimal one (`500MB`, `2GB`, `kB`). Whole numbers only.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = t.split_at(digits);
    let unit_bytes: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "TiB" | "T" => 1 << 40,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "{text:?} is not a size: unknown unit {other:?} (use bytes, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)"
            ))
        }
    };
    let n: u64 = number.parse().map_err(|_| {
        format!("{text:?} is not a size: expected a whole number, like 512MiB or 4GiB")
    })?;
    let bytes = n
        .checked_mul(unit_bytes)
        .ok_or_else(|| format!("{text:?} is too large"))?;
    if bytes == 0 {
        return Err(format!(
            "{text:?}: the memory bound must be more than 0 bytes"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_bytes_binary_and_decimal_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert!(parse_size("1.5GiB").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999TiB").is_err());
        assert!(parse_size("12 parsecs").is_err());
    }
}

//! The sort key of every row of a shard's partial reports (SPEC §10.9): the key the
//! unsharded run sorts that report by (SPEC §6), encoded so that comparing the bytes
//! compares the keys. Ids are indices into tables in byte order, the same in every shard
//! (every shard loads all accounts and resources), so keys from different shards compare
//! exactly as they would in one run.
//!
//! Each key is fixed-width big-endian; a signed number has its sign bit flipped, so
//! negative instants sort first.

use crate::bill::BillOrder;
use crate::engine::outcome::{ProcKey, Results};
use crate::scenario::Scenario;

/// The widest key: a [`ProcKey`] (8 + 1 + 8 + 8 + 4).
pub const MAX_KEY: usize = 29;

/// One encoded key; only the first `len` bytes are used.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    bytes: [u8; MAX_KEY],
}

/// Builds a [`Key`] field by field.
struct KeyBuf {
    key: Key,
    len: usize,
}

impl KeyBuf {
    fn new() -> KeyBuf {
        KeyBuf {
            key: Key::default(),
            len: 0,
        }
    }

    fn put(mut self, bytes: &[u8]) -> KeyBuf {
        self.key.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
        self
    }

    fn u8(self, v: u8) -> KeyBuf {
        self.put(&[v])
    }

    fn u32(self, v: u32) -> KeyBuf {
        self.put(&v.to_be_bytes())
    }

    fn u64(self, v: u64) -> KeyBuf {
        self.put(&v.to_be_bytes())
    }

    fn i64(self, v: i64) -> KeyBuf {
        self.u64((v as u64) ^ (1 << 63))
    }

    fn i32(self, v: i32) -> KeyBuf {
        self.u32((v as u32) ^ (1 << 31))
    }

    fn bill(self, o: BillOrder) -> KeyBuf {
        let (issued, account, resource, cycle_start) = o;
        self.i64(issued.0)
            .u32(account.0)
            .u32(resource.0)
            .i64(cycle_start.0)
    }

    fn proc(self, k: ProcKey) -> KeyBuf {
        self.i64(k.time.0)
            .u8(k.phase)
            .u64(k.primary)
            .i64(k.secondary)
            .u32(k.sub)
    }
}

impl Key {
    /// The key's bytes (`width` of them; see [`width`]).
    pub fn bytes(&self, width: usize) -> &[u8] {
        &self.bytes[..width]
    }

    /// A key read back from `bytes` (at most [`MAX_KEY`]).
    pub fn from_bytes(bytes: &[u8]) -> Key {
        KeyBuf::new().put(bytes).key
    }
}

/// The width of the keys of report file `file` (a report of SPEC §6 or `focus.csv`).
pub fn width(file: &str) -> Option<usize> {
    Some(match file {
        "bills.csv" => 24,
        "coupon_use.csv" => 28,
        "ledger.csv" | "alerts.csv" | "focus.csv" => 29,
        "availability.csv" | "ownership.csv" => 12,
        "invoices.csv" => 16,
        "events.csv" | "summary.csv" => 4,
        _ => return None,
    })
}

/// Every row's key of report `file`, in the order its writer writes the rows
/// (`crate::report::writers`): the report's SPEC §6 order. `None` for a file without keys.
pub fn keys_of<'a>(
    scenario: &'a Scenario,
    r: &'a Results,
    file: &str,
) -> Option<Box<dyn Iterator<Item = Key> + 'a>> {
    let k = |b: KeyBuf| b.key;
    Some(match file {
        "bills.csv" => Box::new(
            r.bills
                .in_order()
                .map(move |b| k(KeyBuf::new().bill(b.bill.order()))),
        ),
        "coupon_use.csv" => Box::new(
            r.coupon_use
                .iter()
                .map(move |c| k(KeyBuf::new().bill(c.order.0).u32(c.order.1))),
        ),
        "ledger.csv" => Box::new(r.ledger().map(move |l| k(KeyBuf::new().proc(l.key)))),
        "availability.csv" => Box::new(
            r.availability
                .iter()
                .map(move |a| k(KeyBuf::new().u32(a.account.0).i64(a.from.0))),
        ),
        "alerts.csv" => Box::new(r.alerts.iter().map(move |a| k(KeyBuf::new().proc(a.key)))),
        "invoices.csv" => Box::new(r.invoices.iter().map(move |i| {
            k(KeyBuf::new()
                .i32(i.month.0)
                .u32(i.month.1)
                .u32(i.recipient.0)
                .u32(i.account.0))
        })),
        "ownership.csv" => Box::new(
            r.ownership
                .iter()
                .map(move |o| k(KeyBuf::new().u32(o.resource.0).i64(o.from.0))),
        ),
        "events.csv" => Box::new(
            r.events
                .iter()
                .map(move |e| k(KeyBuf::new().u32(scenario.events[e.event].seq))),
        ),
        "summary.csv" => Box::new(
            r.summary
                .iter()
                .map(move |s| k(KeyBuf::new().u32(s.account.0))),
        ),
        "focus.csv" => Box::new(focus_keys(r)),
        _ => return None,
    })
}

/// focus.csv's rows: each bill (in bill order), then its coupon uses (in coupon order),
/// as `crate::report::focus` writes them.
fn focus_keys(r: &Results) -> impl Iterator<Item = Key> + '_ {
    let uses = &r.coupon_use;
    let mut next = 0;
    r.bills.in_order().flat_map(move |b| {
        let order = b.bill.order();
        let from = next;
        while next < uses.len() && uses[next].order.0 == order {
            next += 1;
        }
        std::iter::once(KeyBuf::new().bill(order).u8(0).u32(0).key).chain(
            uses[from..next]
                .iter()
                .map(move |c| KeyBuf::new().bill(order).u8(1).u32(c.order.1).key),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_compare_as_the_numbers_do() {
        let a = KeyBuf::new().i64(-5).u32(7).key;
        let b = KeyBuf::new().i64(3).u32(0).key;
        let c = KeyBuf::new().i64(3).u32(1).key;
        assert!(a < b && b < c);
        assert_eq!(Key::from_bytes(c.bytes(12)), c);
        assert!(KeyBuf::new().i32(-1).key < KeyBuf::new().i32(0).key);
    }
}

//! Interned identifiers.
//!
//! Ids arrive as strings; the scenario reader sorts each kind's ids in byte order and numbers
//! them, so an id is a small copyable index whose numeric order *is* the byte order SPEC §5
//! and §6 sort by. Output order therefore never depends on input row order or on hashing.

macro_rules! interned_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in the scenario's sorted table of this kind of id.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

interned_id!(
    /// An account (a main, a linked account, or neither).
    AccountId
);
interned_id!(
    /// A resource; its account is the *incurring* account of all its bills.
    ResourceId
);
interned_id!(
    /// A coupon; owned by exactly one account.
    CouponId
);

/// The names behind interned ids, sorted in byte order.
#[derive(Clone, Debug, Default)]
pub struct Names {
    names: Vec<Box<str>>,
    /// Name → index, for the reader's per-row lookups (a million usage rows each name a
    /// resource). Only ever queried, never iterated, so hash order cannot reach output.
    #[allow(clippy::disallowed_types)]
    index: std::collections::HashMap<Box<str>, u32>,
}

impl Names {
    /// Sorts and deduplicates; the caller reports duplicates before calling this.
    pub fn new(mut names: Vec<Box<str>>) -> Names {
        names.sort_unstable();
        names.dedup();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        Names { names, index }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The index of `name`, if it is known.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn get(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| n.as_ref())
    }
}

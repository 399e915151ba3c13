//! The rule ids of SPEC §1: every decision row names the rule that made it.

use std::fmt;

/// A SPEC §1 rule id. `Display` prints it exactly as the SPEC spells it (`T5.1`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    L1,
    L2,
    L4,
    L5,
    L6,
    L7,
    T1,
    T2,
    T3,
    T4,
    T5,
    T5_1,
    T5_2,
    T6,
    T7,
    T8,
    B1,
    B2,
    B3,
    B4,
    B5,
    B6,
    B7,
    B8,
    E1,
    E2,
    E3,
    E4,
    E5,
}

impl RuleId {
    pub fn as_str(self) -> &'static str {
        use RuleId::*;
        match self {
            L1 => "L1",
            L2 => "L2",
            L4 => "L4",
            L5 => "L5",
            L6 => "L6",
            L7 => "L7",
            T1 => "T1",
            T2 => "T2",
            T3 => "T3",
            T4 => "T4",
            T5 => "T5",
            T5_1 => "T5.1",
            T5_2 => "T5.2",
            T6 => "T6",
            T7 => "T7",
            T8 => "T8",
            B1 => "B1",
            B2 => "B2",
            B3 => "B3",
            B4 => "B4",
            B5 => "B5",
            B6 => "B6",
            B7 => "B7",
            B8 => "B8",
            E1 => "E1",
            E2 => "E2",
            E3 => "E3",
            E4 => "E4",
            E5 => "E5",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

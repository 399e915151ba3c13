//! The file name and columns of each input table (SPEC §4), in the order a scenario writes
//! them.
//!
//! One const per table, read by [`super::load`] (which finds each column by name in the
//! header) and written by [`crate::generate`] (as its header), so a column renamed here is
//! renamed in both.

/// An input table: its file in the scenario directory and its columns.
#[derive(Copy, Clone, Debug)]
pub struct Table {
    pub file: &'static str,
    pub columns: &'static [&'static str],
}

impl Table {
    /// The header line, without its line break: `time,resource_id,amount`.
    pub fn header(&self) -> String {
        self.columns.join(",")
    }
}

/// `accounts.csv`.
pub const ACCOUNTS: Table = Table {
    file: "accounts.csv",
    columns: &[
        "account_id",
        "enterprise_id",
        "balance",
        "low_balance_threshold",
        "high_bill_threshold",
    ],
};

/// `resources.csv`.
pub const RESOURCES: Table = Table {
    file: "resources.csv",
    columns: &[
        "resource_id",
        "account_id",
        "product",
        "billing_method",
        "cycle",
        "expires_at",
    ],
};

/// `usage.csv`.
pub const USAGE: Table = Table {
    file: "usage.csv",
    columns: &["time", "resource_id", "amount"],
};

/// `events.csv`.
pub const EVENTS: Table = Table {
    file: "events.csv",
    columns: &[
        "time",
        "kind",
        "account_id",
        "main_id",
        "resource_id",
        "amount",
        "value",
    ],
};

/// `coupons.csv`.
pub const COUPONS: Table = Table {
    file: "coupons.csv",
    columns: &[
        "coupon_id",
        "account_id",
        "amount",
        "valid_from",
        "valid_until",
        "products",
    ],
};

/// `discounts.csv`.
pub const DISCOUNTS: Table = Table {
    file: "discounts.csv",
    columns: &[
        "account_id",
        "product",
        "percent_off",
        "valid_from",
        "valid_until",
    ],
};

/// `actuals.csv`: a provider export's own billed cost (SPEC §10.7), written by `import
/// focus`, read only by `reconcile`.
pub const ACTUALS: Table = Table {
    file: "actuals.csv",
    columns: &["month", "payer_id", "account_id", "billed_cost"],
};

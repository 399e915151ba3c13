//! The nine reports of SPEC §6 as data: each report's name, file, columns with their types,
//! and the order of its rows. This table is the one place that spells them: the CSV
//! writers take their headers and cell types from it, the reader ([`super::read`]) parses
//! by it, `check` names changed cells by it, and tests and benches find columns in it.
//! [`REPORT_FILES`] is derived from [`ALL`]; there is no second list.

use crate::calendar::Instant;
use crate::money::Money;

/// What a column holds, which fixes how it is printed and parsed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An id as the scenario spells it (an account, resource or coupon id, or a bill id
    /// `resource_id@time`), printed as given.
    Id,
    /// Other text: a rule id, an enumerated value (`payment`, `applied`), a product, free
    /// text (`detail`).
    Text,
    /// An amount at the scenario's `money_scale` (SPEC §3).
    Amount,
    /// An instant in SPEC §2 output form (RFC 3339 with the zone's offset, seconds).
    Instant,
    /// A non-negative integer (`seq`).
    Integer,
    /// A local calendar month, `YYYY-MM`.
    Month,
}

/// One column of a report.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Whether the cell may be empty (an alert with no bill, an available interval's cause,
    /// an event field the input left empty).
    pub optional: bool,
}

/// How a report's rows are ordered (SPEC §6). Every order is a unique key, so the bytes do
/// not depend on how the run was partitioned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// SPEC §5 bill order: (issued_at, account_id, resource_id, cycle_start).
    Bill,
    /// Bill order, then coupon order (T4) within one bill.
    BillThenCoupon,
    /// Processing order (SPEC §5): by instant, bills in bill order before events in file
    /// order, then the position of the row within that bill's or event's processing
    /// (`engine::outcome::ProcKey`).
    Processing,
    /// By these columns, in turn: ids in byte order, instants and months in time order,
    /// integers by value.
    Columns(&'static [&'static str]),
}

/// Which report a [`Schema`] describes: lets code that handles each report differently
/// (the writers) match exhaustively. Declared in [`ALL`] order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReportId {
    Bills,
    CouponUse,
    Ledger,
    Availability,
    Alerts,
    Invoices,
    Ownership,
    Events,
    Summary,
}

impl ReportId {
    /// Its position in [`ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One report: its name, file and columns.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub id: ReportId,
    /// The report's name and file stem (`bills`): `bills.csv`, later `bills.parquet`.
    pub name: &'static str,
    /// The CSV file name, `<name>.csv`.
    pub file: &'static str,
    pub columns: &'static [Column],
    pub order: Order,
}

impl Schema {
    /// The position of the column called `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.name)
    }

    /// The CSV header line, without its line end: `bill_id,account_id,…`.
    pub fn header(&self) -> String {
        self.names().collect::<Vec<_>>().join(",")
    }
}

/// A typed cell of a report row, as the report model hands it to a writer: the writer only
/// prints it (CSV now; Parquet and HTML later), it decides nothing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cell<'a> {
    /// An id as the scenario spells it.
    Id(&'a str),
    /// A bill id, `resource_id@time` (SPEC §5.2), printed as one [`Kind::Id`] cell.
    BillId(&'a str, Instant),
    Text(&'a str),
    Amount(Money),
    Instant(Instant),
    Integer(u64),
    /// Local (year, month).
    Month(i32, u32),
    /// Nothing: only in an [`Column::optional`] column.
    Empty,
}

impl Cell<'_> {
    /// Whether this cell may stand in `column`: a writer's debug check that the model and
    /// the schema agree.
    pub fn fits(&self, column: &Column) -> bool {
        match self {
            Cell::Id(_) | Cell::BillId(..) => column.kind == Kind::Id,
            Cell::Text(_) => column.kind == Kind::Text,
            Cell::Amount(_) => column.kind == Kind::Amount,
            Cell::Instant(_) => column.kind == Kind::Instant,
            Cell::Integer(_) => column.kind == Kind::Integer,
            Cell::Month(..) => column.kind == Kind::Month,
            Cell::Empty => column.optional,
        }
    }
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        optional: false,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        optional: true,
    }
}

use Kind::{Amount, Id, Instant as Time, Integer, Month, Text};

/// bills.csv: one row per bill; paid and outstanding are final (after every settlement).
pub const BILLS: Schema = Schema {
    id: ReportId::Bills,
    name: "bills",
    file: "bills.csv",
    columns: &[
        col("bill_id", Id),
        col("account_id", Id),
        col("resource_id", Id),
        col("product", Text),
        col("billing_method", Text),
        col("cycle", Text),
        col("cycle_start", Time),
        col("cycle_end", Time),
        col("issued_at", Time),
        col("list_amount", Amount),
        col("discount_amount", Amount),
        col("coupon_amount", Amount),
        col("payable_amount", Amount),
        col("paid_amount", Amount),
        col("outstanding_amount", Amount),
        col("payer_id", Id),
        col("pricing_account_id", Id),
        col("rule", Text),
    ],
    order: Order::Bill,
};

/// coupon_use.csv: one row per coupon amount > 0 taken off a bill.
pub const COUPON_USE: Schema = Schema {
    id: ReportId::CouponUse,
    name: "coupon_use",
    file: "coupon_use.csv",
    columns: &[
        col("time", Time),
        col("coupon_id", Id),
        col("owner_id", Id),
        col("bill_id", Id),
        col("account_id", Id),
        col("amount", Amount),
        col("remaining", Amount),
        col("rule", Text),
    ],
    order: Order::BillThenCoupon,
};

/// ledger.csv: every movement of a balance; `bill_id` is empty for top-ups and refunds.
pub const LEDGER: Schema = Schema {
    id: ReportId::Ledger,
    name: "ledger",
    file: "ledger.csv",
    columns: &[
        col("time", Time),
        col("account_id", Id),
        col("entry", Text),
        col("amount", Amount),
        col("balance_after", Amount),
        opt("bill_id", Id),
    ],
    order: Order::Processing,
};

/// availability.csv: maximal intervals tiling the horizon per account.
pub const AVAILABILITY: Schema = Schema {
    id: ReportId::Availability,
    name: "availability",
    file: "availability.csv",
    columns: &[
        col("account_id", Id),
        col("from", Time),
        col("to", Time),
        col("status", Text),
        opt("cause_account_id", Id),
        opt("rule", Text),
    ],
    order: Order::Columns(&["account_id", "from"]),
};

/// alerts.csv: high-bill and low-balance alerts; `bill_id` empty when no bill caused it.
pub const ALERTS: Schema = Schema {
    id: ReportId::Alerts,
    name: "alerts",
    file: "alerts.csv",
    columns: &[
        col("time", Time),
        col("kind", Text),
        col("subject_id", Id),
        col("recipient_id", Id),
        col("amount", Amount),
        col("threshold", Amount),
        opt("bill_id", Id),
        col("rule", Text),
    ],
    order: Order::Processing,
};

/// invoices.csv: cash paid per month of cycle start, recipient and incurring account.
pub const INVOICES: Schema = Schema {
    id: ReportId::Invoices,
    name: "invoices",
    file: "invoices.csv",
    columns: &[
        col("month", Month),
        col("recipient_id", Id),
        col("account_id", Id),
        col("amount", Amount),
        col("rule", Text),
    ],
    order: Order::Columns(&["month", "recipient_id", "account_id"]),
};

/// ownership.csv: maximal intervals tiling the horizon per resource.
pub const OWNERSHIP: Schema = Schema {
    id: ReportId::Ownership,
    name: "ownership",
    file: "ownership.csv",
    columns: &[
        col("resource_id", Id),
        col("owner_id", Id),
        col("from", Time),
        col("to", Time),
        col("rule", Text),
    ],
    order: Order::Columns(&["resource_id", "from"]),
};

/// events.csv: one row per input event; its ids are as the input gave them (possibly
/// empty, possibly unknown when rejected).
pub const EVENTS: Schema = Schema {
    id: ReportId::Events,
    name: "events",
    file: "events.csv",
    columns: &[
        col("seq", Integer),
        col("time", Time),
        col("kind", Text),
        opt("account_id", Id),
        opt("main_id", Id),
        opt("resource_id", Id),
        col("outcome", Text),
        opt("effective_at", Time),
        opt("amount", Amount),
        col("rule", Text),
        opt("detail", Text),
    ],
    order: Order::Columns(&["seq"]),
};

/// summary.csv: one row per account.
pub const SUMMARY: Schema = Schema {
    id: ReportId::Summary,
    name: "summary",
    file: "summary.csv",
    columns: &[
        col("account_id", Id),
        col("list_amount", Amount),
        col("discount_amount", Amount),
        col("coupon_amount", Amount),
        col("paid_amount", Amount),
        col("outstanding_amount", Amount),
        col("paid_as_payer", Amount),
        col("outstanding_as_payer", Amount),
        col("balance_end", Amount),
    ],
    order: Order::Columns(&["account_id"]),
};

/// Every report, in SPEC §6 order.
pub const ALL: [&Schema; 9] = [
    &BILLS,
    &COUPON_USE,
    &LEDGER,
    &AVAILABILITY,
    &ALERTS,
    &INVOICES,
    &OWNERSHIP,
    &EVENTS,
    &SUMMARY,
];

/// The nine report file names, in [`ALL`] order.
pub const REPORT_FILES: [&str; 9] = {
    let mut files = [""; 9];
    let mut i = 0;
    while i < ALL.len() {
        files[i] = ALL[i].file;
        i += 1;
    }
    files
};

/// The report written to the file called `file` (`bills.csv`).
pub fn by_file(file: &str) -> Option<&'static Schema> {
    ALL.into_iter().find(|s| s.file == file)
}

/// The schema of a report.
pub fn of(id: ReportId) -> &'static Schema {
    match id {
        ReportId::Bills => &BILLS,
        ReportId::CouponUse => &COUPON_USE,
        ReportId::Ledger => &LEDGER,
        ReportId::Availability => &AVAILABILITY,
        ReportId::Alerts => &ALERTS,
        ReportId::Invoices => &INVOICES,
        ReportId::Ownership => &OWNERSHIP,
        ReportId::Events => &EVENTS,
        ReportId::Summary => &SUMMARY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_is_named_once_and_its_file_is_its_name() {
        for (i, s) in ALL.iter().enumerate() {
            assert_eq!(s.file, format!("{}.csv", s.name));
            assert_eq!(of(s.id), *s, "{} is reached by its id", s.name);
            assert_eq!(s.id.index(), i, "{} is at its id's index", s.name);
            assert_eq!(REPORT_FILES[i], s.file);
            assert!(ALL[..i].iter().all(|o| o.name != s.name && o.id != s.id));
        }
    }

    #[test]
    fn columns_are_unique_and_order_keys_are_columns() {
        for s in ALL {
            for (i, c) in s.columns.iter().enumerate() {
                assert_eq!(s.column(c.name), Some(i), "{}: {} twice", s.name, c.name);
            }
            if let Order::Columns(keys) = s.order {
                for k in keys {
                    assert!(s.column(k).is_some(), "{}: order key {k}", s.name);
                }
            }
        }
    }
}

//! Pricing a bill (SPEC §5.3): whose discounts and coupons apply (L5, T2, T4) and how much
//! they take off, in the order B2 fixes: discount first, then coupons.

use crate::calendar::Instant;
use crate::ids::{AccountId, CouponId};
use crate::money::{Money, MoneyRules};
use crate::scenario::{Coupon, Discount};
use std::cmp::Reverse;

/// Rows of one account and product (`None`: its `*` rows), sorted by `valid_from`
/// (unbounded first). Loading rejects overlaps, so they are disjoint.
type ProductRows = (Option<Box<str>>, Vec<Discount>);

/// Every discount row, indexed for the lookup each bill makes: by account, then product,
/// then start, so a lookup costs two binary searches however many rows an account has.
#[derive(Debug, Default)]
pub struct DiscountIndex {
    /// By account index: its products' rows, sorted by product.
    accounts: Vec<Vec<ProductRows>>,
}

impl DiscountIndex {
    /// Indexes `discounts` of a scenario with `accounts` accounts.
    pub fn new(discounts: &[Discount], accounts: usize) -> DiscountIndex {
        let mut sorted: Vec<&Discount> = discounts.iter().collect();
        sorted.sort_by(|a, b| {
            (a.account, &a.product, a.valid_from).cmp(&(b.account, &b.product, b.valid_from))
        });
        let mut index = DiscountIndex {
            accounts: vec![Vec::new(); accounts],
        };
        for d in sorted {
            let Some(groups) = index.accounts.get_mut(d.account.index()) else {
                continue;
            };
            match groups.last_mut() {
                Some((product, rows)) if *product == d.product => rows.push(d.clone()),
                _ => groups.push((d.product.clone(), vec![d.clone()])),
            }
        }
        index
    }

    /// The row `account` gets on `product` at `at` (SPEC §5.3): its row for the product
    /// valid then, else its `*` row valid then.
    pub fn lookup(&self, account: AccountId, product: &str, at: Instant) -> Option<&Discount> {
        let groups = self.accounts.get(account.index())?;
        let valid = |p: Option<&str>| {
            let g = groups
                .binary_search_by(|(k, _)| k.as_deref().cmp(&p))
                .ok()?;
            let rows = &groups[g].1;
            // The last row starting at or before `at` is the only one that can hold it.
            let i = rows.partition_point(|d| d.valid_from.is_none_or(|f| f <= at));
            rows[..i].last().filter(|d| d.valid_at(at))
        };
        valid(Some(product)).or_else(|| valid(None))
    }
}

/// `round(list × percent_off / 100)`: one of SPEC §3's three rounding sites, exact
/// whatever the list amount (`Decimal`'s own product rounds past 28 digits).
pub fn discount_amount(rules: &MoneyRules, list: Money, discount: Option<&Discount>) -> Money {
    match discount {
        None => Money::ZERO,
        // Loading checks percent_off is 0–100 with at most 4 fraction digits.
        Some(d) => rules
            .percent_of(list, d.percent_off)
            .expect("percent_off is 0-100 with at most 4 fraction digits"),
    }
}

/// A coupon and what is left of it.
#[derive(Clone, Debug)]
pub struct CouponState {
    pub coupon: Coupon,
    pub remaining: Money,
}

impl CouponState {
    fn usable(&self, product: &str, issued_at: Instant) -> bool {
        let c = &self.coupon;
        self.remaining.is_positive()
            && c.valid_from <= issued_at
            && c.valid_until.is_none_or(|u| issued_at < u)
            && c.products.covers(product)
    }
}

/// One coupon's share of a bill.
#[derive(Copy, Clone, Debug)]
pub struct CouponTake {
    pub coupon: CouponId,
    pub amount: Money,
    pub remaining: Money,
}

/// Applies the owner's usable coupons to `payable` in Alibaba Cloud's default order —
/// largest remaining first, then earliest expiry (never-expiring last), earliest start,
/// coupon id — each covering as much as it can. `owned` are the pricing account's coupons.
pub fn apply_coupons(
    coupons: &mut [CouponState],
    owned: &[usize],
    product: &str,
    issued_at: Instant,
    mut payable: Money,
) -> Vec<CouponTake> {
    if owned.is_empty() || !payable.is_positive() {
        // Most accounts hold no coupon: no allocation on the common path.
        return Vec::new();
    }
    let mut usable: Vec<usize> = owned
        .iter()
        .copied()
        .filter(|&i| coupons[i].usable(product, issued_at))
        .collect();
    usable.sort_by_key(|&i| {
        let c = &coupons[i];
        (
            Reverse(c.remaining),
            c.coupon.valid_until.is_none(),
            c.coupon.valid_until,
            c.coupon.valid_from,
            c.coupon.id,
        )
    });
    let mut takes = Vec::new();
    for i in usable {
        if !payable.is_positive() {
            break;
        }
        let c = &mut coupons[i];
        let take = c.remaining.min(payable);
        c.remaining -= take;
        payable -= take;
        takes.push(CouponTake {
            coupon: c.coupon.id,
            amount: take,
            remaining: c.remaining,
        });
    }
    takes
}

/// The pricing account (L5, T2): the main for main-paid bills, except AliTelecom products,
/// which stay priced by the incurring account.
pub fn pricing_account(payer: AccountId, incurring: AccountId, is_alitelecom: bool) -> AccountId {
    if payer != incurring && !is_alitelecom {
        payer
    } else {
        incurring
    }
}

//! Pricing a bill (SPEC §5.3): whose discounts and coupons apply (L5, T2, T4) and how much
//! they take off, in the order B2 fixes: discount first, then coupons.

use crate::calendar::Instant;
use crate::ids::{AccountId, CouponId};
use crate::money::{Money, MoneyRules};
use crate::scenario::{Coupon, Discount};
use std::cmp::Reverse;

/// The percentage a pricing account gets on `product` at the bill's reference instant `x`
/// ([`super::trusteeship::reference_instant`]): its row
/// for the product, else its `*` row (loading rejected overlaps, so at most one matches).
pub fn discount_percent<'d>(
    discounts: &'d [Discount],
    product: &str,
    x: Instant,
) -> Option<&'d Discount> {
    let exact = discounts
        .iter()
        .find(|d| d.product.as_deref() == Some(product) && d.valid_at(x));
    exact.or_else(|| {
        discounts
            .iter()
            .find(|d| d.product.is_none() && d.valid_at(x))
    })
}

/// `round(list × percent_off / 100)`: one of SPEC §3's three rounding sites.
pub fn discount_amount(rules: &MoneyRules, list: Money, discount: Option<&Discount>) -> Money {
    match discount {
        None => Money::ZERO,
        Some(d) => rules.round(list.decimal() * d.percent_off / rust_decimal::Decimal::ONE_HUNDRED),
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

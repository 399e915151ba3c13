//! Exact money: decimal amounts at the scenario's scale, rounded only where SPEC §3 says.
//!
//! Every amount the engine stores is a [`Money`] already at `money_scale`; the three places
//! that round (a bill's list amount, a discount, a refund) go through [`MoneyRules::round`],
//! so the rounding strategy is named once, in the scenario, and nowhere else.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// An amount of money. Never a float: arithmetic on it is exact decimal arithmetic.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero, the amount every balance, payment and coupon use starts from.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Wraps a decimal that is already at the scenario's scale (the caller vouches for it).
    pub fn from_decimal(d: Decimal) -> Money {
        Money(d)
    }

    /// The underlying decimal, for multiplication in the rounding sites.
    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }

    /// `min(self, other)`; named because payment is always "as much as can be paid".
    pub fn min(self, other: Money) -> Money {
        if self <= other {
            self
        } else {
            other
        }
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// How midpoints (and everything else) are rounded at the three rounding sites of SPEC §3.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Midpoint away from zero (the default).
    HalfUp,
    /// Midpoint to the even neighbour (banker's rounding).
    HalfEven,
    /// Toward zero: truncation.
    Down,
}

impl Rounding {
    pub fn parse(s: &str) -> Option<Rounding> {
        match s {
            "half_up" => Some(Rounding::HalfUp),
            "half_even" => Some(Rounding::HalfEven),
            "down" => Some(Rounding::Down),
            _ => None,
        }
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// The scenario's money settings: scale and rounding, chosen once.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MoneyRules {
    /// Fraction digits of every stored and printed amount (0–8).
    pub scale: u32,
    pub rounding: Rounding,
}

impl Default for MoneyRules {
    fn default() -> Self {
        MoneyRules {
            scale: 2,
            rounding: Rounding::HalfUp,
        }
    }
}

impl MoneyRules {
    /// Rounds an exact decimal to the scale: used only for list amounts, discounts and refunds.
    pub fn round(&self, d: Decimal) -> Money {
        let mut r = d.round_dp_with_strategy(self.scale, self.rounding.strategy());
        r.rescale(self.scale);
        Money(r)
    }

    /// Brings an amount that already has at most `scale` fraction digits to exactly `scale`
    /// digits, so that `Display` prints `money_scale` digits (`Decimal` keeps the scale it
    /// was written with).
    pub fn at_scale(&self, d: Decimal) -> Money {
        let mut r = d;
        r.rescale(self.scale);
        Money(r)
    }

    /// Appends the amount with exactly `scale` fraction digits. Formats the integer mantissa
    /// and places the point, without `Decimal`'s general `Display`: this runs for every
    /// amount of every report row.
    pub fn write(&self, m: Money, out: &mut String) {
        let mut d = m.0;
        if d.scale() != self.scale {
            d.rescale(self.scale);
        }
        let mantissa = d.mantissa();
        // `-0.00` can arise from a negative zero; print it as zero.
        if mantissa < 0 {
            out.push('-');
        }
        let mut digits = itoa::Buffer::new();
        let abs = mantissa.unsigned_abs();
        // 64-bit formatting is several times faster, and covers every realistic amount.
        let digits = match u64::try_from(abs) {
            Ok(small) => digits.format(small),
            Err(_) => digits.format(abs),
        };
        let scale = self.scale as usize;
        if scale == 0 {
            out.push_str(digits);
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(digits);
        }
    }

    pub fn format(&self, m: Money) -> String {
        let mut s = String::new();
        self.write(m, &mut s);
        s
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What went wrong parsing an amount; turned into a located message by the scenario reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Not `-?digits[.digits]`.
    Syntax,
    /// More fraction digits than allowed for this kind of amount.
    TooManyDigits { max: u32 },
    /// More than [`MAX_INTEGER_DIGITS`] integer digits.
    TooLarge,
}

/// Integer digits an input amount may have. A bound keeps every sum the engine forms far
/// from `Decimal`'s 28-digit limit (10^12 × 10^6 rows × 10^10 fraction still fits).
pub const MAX_INTEGER_DIGITS: usize = 12;

/// Parses a SPEC §3 decimal string: `-?digits[.digits]`, no `+`, exponent, `.5` or `5.`,
/// at most `max_fraction` fraction digits (as written: `1.50` has two).
pub fn parse_decimal(s: &str, max_fraction: u32) -> Result<Decimal, AmountError> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(AmountError::Syntax);
    }
    let frac_len = frac.map_or(0, str::len);
    if frac_len > max_fraction as usize {
        return Err(AmountError::TooManyDigits { max: max_fraction });
    }
    if int.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
        return Err(AmountError::TooLarge);
    }
    // Syntax, digit counts and size are checked above, so this cannot fail.
    Decimal::from_str_exact(s).map_err(|_| AmountError::Syntax)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn rules(scale: u32, rounding: Rounding) -> MoneyRules {
        MoneyRules { scale, rounding }
    }

    #[test]
    fn half_up_rounds_midpoints_away_from_zero() {
        let r = rules(2, Rounding::HalfUp);
        assert_eq!(r.format(r.round(d("1.005"))), "1.01");
        assert_eq!(r.format(r.round(d("1.015"))), "1.02");
        assert_eq!(r.format(r.round(d("-1.005"))), "-1.01");
        assert_eq!(r.format(r.round(d("1.0049999"))), "1.00");
    }

    #[test]
    fn half_even_rounds_midpoints_to_even() {
        let r = rules(2, Rounding::HalfEven);
        assert_eq!(r.format(r.round(d("1.005"))), "1.00");
        assert_eq!(r.format(r.round(d("1.015"))), "1.02");
        assert_eq!(r.format(r.round(d("1.0051"))), "1.01");
    }

    #[test]
    fn down_truncates_toward_zero() {
        let r = rules(2, Rounding::Down);
        assert_eq!(r.format(r.round(d("1.009"))), "1.00");
        assert_eq!(r.format(r.round(d("-1.009"))), "-1.00");
    }

    #[test]
    fn output_always_has_scale_digits() {
        let r = rules(2, Rounding::HalfUp);
        assert_eq!(r.format(r.at_scale(d("5"))), "5.00");
        assert_eq!(r.format(r.at_scale(d("1.5"))), "1.50");
        assert_eq!(r.format(Money::ZERO), "0.00");
        let r0 = rules(0, Rounding::HalfUp);
        assert_eq!(r0.format(r0.round(d("2.5"))), "3");
        let r8 = rules(8, Rounding::HalfUp);
        assert_eq!(r8.format(r8.at_scale(d("0"))), "0.00000000");
    }

    #[test]
    fn parse_accepts_only_plain_decimals() {
        assert_eq!(parse_decimal("1.50", 2), Ok(d("1.50")));
        assert_eq!(parse_decimal("-3", 2), Ok(d("-3")));
        assert_eq!(parse_decimal("007", 2), Ok(d("7")));
        for bad in [
            "", "+1", "1e3", ".5", "5.", "1.2.3", "1,5", " 1", "-", "0x10", "NaN",
        ] {
            assert_eq!(parse_decimal(bad, 2), Err(AmountError::Syntax), "{bad:?}");
        }
        assert_eq!(
            parse_decimal("1.234", 2),
            Err(AmountError::TooManyDigits { max: 2 })
        );
        assert_eq!(parse_decimal("1.2345678901", 10), Ok(d("1.2345678901")));
        assert_eq!(
            parse_decimal("1234567890123", 2),
            Err(AmountError::TooLarge)
        );
        assert_eq!(parse_decimal("123456789012", 2), Ok(d("123456789012")));
    }
}

//! Exact money: decimal amounts at the scenario's scale, rounded only where SPEC §3 says.
//!
//! Every amount the engine stores is a [`Money`] already at `money_scale`; the three places
//! that round (a bill's list amount, a discount, a refund) go through [`MoneyRules`]
//! ([`MoneyRules::round_sum`], [`MoneyRules::percent_of`], [`MoneyRules::prorate`]), so the
//! rounding strategy is named once, in the scenario, and nowhere else.
//!
//! **Exact at any size** (SPEC §3). `Decimal` silently rounds a sum that needs more than its
//! 28–29 significant digits, so nothing here relies on it for more than storage: a bill's
//! usage is summed in a fixed-point `i128` ([`UsageSum`]); discounts and refunds are
//! computed in integers and rounded once; and `Money`'s `+` and `-` are exact or stop the
//! program — they never round. The load limits (`docs/limits.md`: 12 integer digits an
//! amount, `money_scale` ≤ 8, 10^8 rows a table at scale 8 and 10^9 below) keep every
//! amount a run forms below 3.1 × 10^20 at scale 8 (3.1 × 10^21 below), a mantissa below
//! 3.1 × 10^28, where `Decimal` is exact up to 7.9 × 10^28, so no run of a loaded scenario
//! can reach that stop.

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

    /// `self + rhs`, exactly, or None when the exact result does not fit a `Decimal` (where
    /// `Decimal`'s own `+` would round it to fewer fraction digits).
    #[inline]
    pub fn checked_add(self, rhs: Money) -> Option<Money> {
        exact_sum(self.0, rhs.0, false).map(Money)
    }

    /// `self - rhs`, exactly, or None when the exact result does not fit a `Decimal`.
    #[inline]
    pub fn checked_sub(self, rhs: Money) -> Option<Money> {
        exact_sum(self.0, rhs.0, true).map(Money)
    }
}

/// Why `Money`'s operators may stop the program: they never round, and the load limits
/// make an unrepresentable result impossible for a loaded scenario.
const INEXACT: &str = "money arithmetic beyond Decimal's exact range; \
    the load limits of docs/limits.md keep every amount below 3.1 × 10^20, so this is a bug";

/// Powers of ten that fit an `i128` (10^0 … 10^38).
const POW10: [i128; 39] = {
    let mut p = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// `a ± b` on the mantissas at the finer of the two scales: exact, or None when the result
/// needs more than `Decimal`'s 96-bit mantissa. Integer arithmetic on the mantissas, not
/// `Decimal`'s own `+`: that one rounds instead of failing, and is slower here.
#[inline]
fn exact_sum(a: Decimal, b: Decimal, subtract: bool) -> Option<Decimal> {
    let scale = a.scale();
    if scale != b.scale() {
        // Mostly `Money::ZERO` (scale 0) beside an amount at `money_scale`: no digits to
        // align.
        if b.is_zero() {
            return Some(a);
        }
        if a.is_zero() {
            return Some(if subtract { -b } else { b });
        }
        return exact_sum_rescaled(a, b, subtract);
    }
    // Both mantissas are below 2^96, so neither result can overflow an i128.
    let (ma, mb) = (a.mantissa(), b.mantissa());
    let m = if subtract { ma - mb } else { ma + mb };
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// [`exact_sum`] of non-zero amounts at different scales.
#[cold]
fn exact_sum_rescaled(a: Decimal, b: Decimal, subtract: bool) -> Option<Decimal> {
    let (sa, sb) = (a.scale(), b.scale());
    // Scales differ by at most 28 and each mantissa is below 2^96: scaling up is checked,
    // and then so is the sum, as scaling can bring a mantissa near 2^127.
    let scale = sa.max(sb);
    let ma = a.mantissa().checked_mul(POW10[(scale - sa) as usize])?;
    let mb = b.mantissa().checked_mul(POW10[(scale - sb) as usize])?;
    let m = if subtract {
        ma.checked_sub(mb)?
    } else {
        ma.checked_add(mb)?
    };
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

impl Add for Money {
    type Output = Money;
    #[inline]
    fn add(self, rhs: Money) -> Money {
        self.checked_add(rhs).expect(INEXACT)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl Sub for Money {
    type Output = Money;
    #[inline]
    fn sub(self, rhs: Money) -> Money {
        self.checked_sub(rhs).expect(INEXACT)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
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

    /// Whether the magnitude `q` (the quotient truncated toward zero) moves one up, given
    /// the remainder `r` of a division by `d` (0 ≤ r < d): the same rule as [`Self::strategy`]
    /// applies to `Decimal`, here on integers.
    fn rounds_up(self, q: u128, r: u128, d: u128) -> bool {
        // `r` against `d - r` rather than `2r` against `d`: no overflow for any `d`.
        match self {
            Rounding::Down => false,
            Rounding::HalfUp => r != 0 && r >= d - r,
            Rounding::HalfEven => r > d - r || (r != 0 && r == d - r && q % 2 == 1),
        }
    }

    /// `round(n / d)` of integers, `d > 0`, exactly.
    fn div(self, n: i128, d: u128) -> i128 {
        let m = n.unsigned_abs();
        let (q, r) = divmod(m, d);
        let q = q + u128::from(self.rounds_up(q, r, d));
        // |q| <= |n|, so it fits back.
        let q = q as i128;
        if n < 0 {
            -q
        } else {
            q
        }
    }

    /// `round(a × p / w)` for `|a| < 2^127` and `0 <= p <= w <= 2^64`, exactly: `a` is split
    /// as `qa × w + ra`, so no intermediate exceeds 128 bits. The result's magnitude is at
    /// most `|a|`.
    fn mul_div(self, a: i128, p: u64, w: u64) -> i128 {
        let (p, w) = (u128::from(p), u128::from(w));
        let m = a.unsigned_abs();
        let (qa, ra) = divmod(m, w);
        // qa × p <= m × p / w <= m, and ra × p < w × p <= 2^128.
        let (low_q, r) = divmod(ra * p, w);
        let q = qa * p + low_q;
        let q = (q + u128::from(self.rounds_up(q, r, w))) as i128;
        if a < 0 {
            -q
        } else {
            q
        }
    }
}

/// `(n / d, n % d)`, in 64 bits when both fit: a 128-bit division is a library call many
/// times slower, and real amounts fit 64 bits.
#[inline]
fn divmod(n: u128, d: u128) -> (u128, u128) {
    match (u64::try_from(n), u64::try_from(d)) {
        (Ok(n), Ok(d)) => (u128::from(n / d), u128::from(n % d)),
        _ => (n / d, n % d),
    }
}

/// Fraction digits of a usage amount (SPEC §3), and so of [`UsageSum`].
pub const USAGE_FRACTION_DIGITS: u32 = 10;

/// Fraction digits of `percent_off` (SPEC §3).
pub const PERCENT_FRACTION_DIGITS: u32 = 4;

/// The largest `money_scale` (SPEC §3: 0–8). Every amount stays below 3.1 × 10^20 under
/// the load limits: at scale 8 a mantissa below 3.1 × 10^28, inside `Decimal`'s 96 bits
/// (7.9 × 10^28).
pub const MAX_MONEY_SCALE: u32 = 8;

/// A running total of amounts in a fixed-point `i128` at [`MAX_MONEY_SCALE`] fraction
/// digits, for sums over every bill of a run (the summary's nine totals): the same exact
/// result as adding the `Money`s one by one, without packing each partial sum back into a
/// `Decimal` (a quarter of a sweep's time once went there). It remembers the largest scale
/// it was given, so [`Total::money`] is the very `Decimal` the one-by-one sum gives.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Total {
    units: i128,
    scale: u32,
}

impl Total {
    /// The total as `Money`, at the largest scale of what was added. Exact, or the program
    /// stops like `Money`'s `+` (unreachable under the load limits, `docs/limits.md`).
    pub fn money(self) -> Money {
        let units = self.units / POW10[(MAX_MONEY_SCALE - self.scale) as usize];
        Money(Decimal::try_from_i128_with_scale(units, self.scale).expect(INEXACT))
    }
}

impl From<Money> for Total {
    #[inline]
    fn from(m: Money) -> Total {
        let scale = m.0.scale();
        // A loaded scenario's amounts have at most `money_scale` ≤ 8 fraction digits.
        let up = MAX_MONEY_SCALE.checked_sub(scale).expect(INEXACT);
        Total {
            units: m.0.mantissa() * POW10[up as usize],
            scale,
        }
    }
}

impl Add for Total {
    type Output = Total;
    #[inline]
    fn add(self, rhs: Total) -> Total {
        Total {
            units: self.units.checked_add(rhs.units).expect(INEXACT),
            scale: self.scale.max(rhs.scale),
        }
    }
}

impl Sub for Total {
    type Output = Total;
    #[inline]
    fn sub(self, rhs: Total) -> Total {
        Total {
            units: self.units.checked_sub(rhs.units).expect(INEXACT),
            scale: self.scale.max(rhs.scale),
        }
    }
}

impl AddAssign for Total {
    #[inline]
    fn add_assign(&mut self, rhs: Total) {
        *self = *self + rhs;
    }
}

impl SubAssign for Total {
    #[inline]
    fn sub_assign(&mut self, rhs: Total) {
        *self = *self - rhs;
    }
}

/// The exact sum of usage amounts: a fixed-point `i128` with [`USAGE_FRACTION_DIGITS`]
/// fraction digits. A usage amount is below 10^12 with at most 10 fraction digits, so its
/// mantissa is below 10^22, and the sum of the at most 10^9 rows a table holds is below
/// 10^31 — far inside an `i128` (1.7 × 10^38). The sum is exact whatever the row order,
/// where a `Decimal` sum rounds off low digits once it passes 28 significant digits.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsageSum(i128);

impl UsageSum {
    pub const ZERO: UsageSum = UsageSum(0);

    /// Adds one amount. None when it has more than 10 fraction digits or the sum leaves the
    /// `i128` (neither can happen to a loaded scenario's rows).
    pub fn add(&mut self, amount: Decimal) -> Option<()> {
        let scale = amount.scale();
        if scale > USAGE_FRACTION_DIGITS {
            return None;
        }
        let m = amount
            .mantissa()
            .checked_mul(POW10[(USAGE_FRACTION_DIGITS - scale) as usize])?;
        self.0 = self.0.checked_add(m)?;
        Some(())
    }

    /// The sum as a `Decimal` with trailing fraction zeros dropped, when it fits one
    /// exactly (for tests and messages).
    pub fn to_decimal(self) -> Option<Decimal> {
        let (mut m, mut scale) = (self.0, USAGE_FRACTION_DIGITS);
        while scale > 0 && m % 10 == 0 {
            m /= 10;
            scale -= 1;
        }
        Decimal::try_from_i128_with_scale(m, scale).ok()
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

    /// A bill's list amount: the exact sum of its usage, rounded once to the scale. None
    /// when the rounded sum does not fit a `Decimal` (7.9 × 10^20 and up at scale 8; a loaded
    /// scenario's sums stay below 10^20).
    pub fn round_sum(&self, sum: UsageSum) -> Option<Money> {
        let m = if self.scale >= USAGE_FRACTION_DIGITS {
            sum.0
                .checked_mul(POW10[(self.scale - USAGE_FRACTION_DIGITS) as usize])?
        } else {
            let d = POW10[(USAGE_FRACTION_DIGITS - self.scale) as usize];
            self.rounding.div(sum.0, d as u128)
        };
        Decimal::try_from_i128_with_scale(m, self.scale)
            .ok()
            .map(Money)
    }

    /// `round(amount × percent / 100)`, exactly and rounded once: a discount (SPEC §5.3).
    /// None unless `percent` is 0–100 with at most 17 fraction digits (the loader allows 4).
    /// `amount` has at most `scale` fraction digits, as every stored amount does.
    pub fn percent_of(&self, amount: Money, percent: Decimal) -> Option<Money> {
        let p = u64::try_from(percent.mantissa()).ok()?;
        let w = u64::try_from(POW10.get(percent.scale() as usize + 2)?.to_owned()).ok()?;
        self.share(amount, p, w)
    }

    /// `round(amount × part / whole)` for `0 <= part <= whole`, `whole > 0`, exactly and
    /// rounded once: a refund's unused share (SPEC §5.9). None outside those bounds.
    pub fn prorate(&self, amount: Money, part: i64, whole: i64) -> Option<Money> {
        self.share(
            amount,
            u64::try_from(part).ok()?,
            u64::try_from(whole).ok()?,
        )
    }

    /// `round(amount × part / whole)`, exact and rounded once; None unless
    /// `0 <= part <= whole` and `whole > 0`. The result is at most `amount` in size, so it
    /// always fits the mantissa `amount` already has.
    fn share(&self, amount: Money, part: u64, whole: u64) -> Option<Money> {
        if whole == 0 || part > whole {
            return None;
        }
        let a = self.at_scale(amount.0).0.mantissa();
        let m = self.rounding.mul_div(a, part, whole);
        Decimal::try_from_i128_with_scale(m, self.scale)
            .ok()
            .map(Money)
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

/// Integer digits an input amount may have (leading zeros do not count). With at most 10^8
/// rows a table at `money_scale` 8 (10^9 below), every file's amounts sum below 10^20
/// (10^21) and every amount a run forms stays below 3.1 × 10^20 (3.1 × 10^21), a mantissa
/// below 3.1 × 10^28: see `docs/limits.md` for the arithmetic.
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

    /// A `Total` is the `Money` the one-by-one sum gives: the same value and the same
    /// scale (so reports print it the same), through mixed scales, subtraction and zero.
    #[test]
    fn a_total_is_the_one_by_one_sum() {
        let m = |s: &str| Money(s.parse::<Decimal>().expect("decimal"));
        let amounts = [
            m("0"),
            m("1.5"),
            m("-0.25"),
            m("999999999999.99999999"),
            m("7"),
        ];
        let mut one_by_one = Money::ZERO;
        let mut total = Total::default();
        for (i, &a) in amounts.iter().enumerate() {
            if i % 2 == 0 {
                one_by_one += a;
                total += Total::from(a);
            } else {
                one_by_one -= a;
                total -= Total::from(a);
            }
            assert_eq!(total.money(), one_by_one);
            assert_eq!(total.money().0.scale(), one_by_one.0.scale());
        }
        assert_eq!(Total::default().money(), Money::ZERO);
        assert_eq!(
            (Total::from(m("2.50")) - Total::from(m("2.5")))
                .money()
                .0
                .scale(),
            2
        );
    }
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

    fn m(s: &str) -> Money {
        Money(d(s))
    }

    #[test]
    fn usage_sums_are_exact_in_any_row_order() {
        // Tracker issue 8: 8 M rows of 999999999999 and 15 M rows of 0.0000000004 for one
        // resource and cycle. A `Decimal` running sum passes 28 significant digits after
        // 7.9 M of the large rows and from then on rounds every small row away, so it ended
        // in `…00` with the small rows last and `…01` with them first.
        let (big, small) = (d("999999999999"), d("0.0000000004"));
        let sum = |first: (Decimal, u32), then: (Decimal, u32)| {
            let mut s = UsageSum::ZERO;
            for (amount, n) in [first, then] {
                for _ in 0..n {
                    s.add(amount).unwrap();
                }
            }
            s
        };
        let big_first = sum((big, 8_000_000), (small, 15_000_000));
        let small_first = sum((small, 15_000_000), (big, 8_000_000));
        assert_eq!(big_first, small_first);
        assert_eq!(big_first.to_decimal(), Some(d("7999999999992000000.006")));
        let r = rules(2, Rounding::HalfUp);
        assert_eq!(
            r.format(r.round_sum(big_first).unwrap()),
            "7999999999992000000.01"
        );
    }

    #[test]
    fn usage_sum_edges() {
        // The largest usage amount, and one with too many fraction digits.
        let mut s = UsageSum::ZERO;
        assert_eq!(s.add(d("999999999999.9999999999")), Some(()));
        assert_eq!(s.add(d("0.00000000001")), None);
        // 10^8 rows of the largest amount (the table limit) round to a Decimal at scale 8;
        // a sum past 2^96 / 10^8 does not.
        let most = UsageSum(100_000_000 * 9_999_999_999_999_999_999_999);
        let r8 = rules(8, Rounding::HalfEven);
        assert_eq!(
            r8.format(r8.round_sum(most).unwrap()),
            "99999999999999999999.99000000"
        );
        // Below scale 8 a table holds 10^9 rows: their largest sum fits at scale 7.
        let most7 = UsageSum(1_000_000_000 * 9_999_999_999_999_999_999_999);
        let r7 = rules(7, Rounding::HalfEven);
        assert_eq!(
            r7.format(r7.round_sum(most7).unwrap()),
            "999999999999999999999.9000000"
        );
        // At scale 8 a Decimal holds mantissas below 2^96.
        let top = UsageSum((79_228_162_514_264_337_593_543_950_336 - 1) * 100);
        assert_eq!(r8.round_sum(top), Some(m("792281625142643375935.43950335")));
        let past = UsageSum(79_228_162_514_264_337_593_543_950_336 * 100);
        assert_eq!(r8.round_sum(past), None);
        // Rounding modes at a midpoint, negative included (sums never are, the rule is one).
        let half = UsageSum(25_000_000_000 + 50_000_000);
        assert_eq!(
            r8.round_sum(half).map(|m| r8.format(m)),
            Some("2.50500000".into())
        );
        let r2 = |mode| rules(2, mode);
        assert_eq!(r2(Rounding::HalfUp).round_sum(half), Some(m("2.51")));
        assert_eq!(r2(Rounding::HalfEven).round_sum(half), Some(m("2.50")));
        assert_eq!(r2(Rounding::Down).round_sum(half), Some(m("2.50")));
        assert_eq!(
            r2(Rounding::HalfUp).round_sum(UsageSum(-25_050_000_000)),
            Some(m("-2.51"))
        );
    }

    #[test]
    fn money_arithmetic_is_exact_or_refused() {
        // 96 bits: 79228162514264337593543950335 is the largest mantissa.
        let top = m("792281625142643375935.43950335");
        assert_eq!(top.checked_add(m("0.00000001")), None);
        assert_eq!(
            top.checked_sub(m("0.00000001")),
            Some(m("792281625142643375935.43950334"))
        );
        // Different scales: exact at the finer one, or refused where Decimal would round.
        assert_eq!(
            m("1").checked_add(m("0.0000000001")),
            Some(m("1.0000000001"))
        );
        assert_eq!(
            m("792281625142643375936").checked_add(m("0.00000001")),
            None
        );
        assert_eq!(
            Money::ZERO.checked_add(m("2.50")).map(|x| x.0.scale()),
            Some(2)
        );
        assert_eq!(m("1.50") - m("2.25"), m("-0.75"));
        assert_eq!([m("1.10"), m("2.20")].into_iter().sum::<Money>(), m("3.30"));
    }

    #[test]
    #[should_panic(expected = "beyond Decimal's exact range")]
    fn money_operators_stop_rather_than_round() {
        let _ = m("792281625142643375935.43950335") + m("0.00000001");
    }

    #[test]
    fn percent_of_is_exact_and_rounded_once() {
        let r = rules(2, Rounding::HalfUp);
        assert_eq!(r.percent_of(m("10.00"), d("12.5")), Some(m("1.25")));
        assert_eq!(r.percent_of(m("0.10"), d("5")), Some(m("0.01")));
        assert_eq!(
            rules(2, Rounding::HalfEven).percent_of(m("0.10"), d("5")),
            Some(m("0.00"))
        );
        assert_eq!(r.percent_of(m("7.77"), d("100")), Some(m("7.77")));
        assert_eq!(r.percent_of(m("7.77"), d("0")), Some(m("0.00")));
        // A list amount at the top of the range: the exact product has 35 digits, which a
        // Decimal product would round before the final rounding.
        let list = m("99999999999999999999.99999999");
        assert_eq!(
            rules(8, Rounding::Down).percent_of(list, d("33.3333")),
            Some(m("33333299999999999999.99999999"))
        );
        assert_eq!(
            rules(8, Rounding::HalfUp).percent_of(list, d("33.3333")),
            Some(m("33333300000000000000.00000000"))
        );
        assert_eq!(r.percent_of(m("1.00"), d("100.01")), None);
        assert_eq!(r.percent_of(m("1.00"), d("-1")), None);
    }

    #[test]
    fn prorate_is_exact_and_rounded_once() {
        let r = rules(2, Rounding::HalfUp);
        assert_eq!(r.prorate(m("30.00"), 1, 3), Some(m("10.00")));
        assert_eq!(r.prorate(m("10.00"), 1, 3), Some(m("3.33")));
        assert_eq!(r.prorate(m("0.05"), 1, 2), Some(m("0.03")));
        assert_eq!(
            rules(2, Rounding::HalfEven).prorate(m("0.05"), 1, 2),
            Some(m("0.02"))
        );
        assert_eq!(
            rules(2, Rounding::Down).prorate(m("0.05"), 1, 2),
            Some(m("0.02"))
        );
        // The largest amount over the longest term (10,000 years in seconds).
        let a = m("99999999999999999999.99999999");
        assert_eq!(
            rules(8, Rounding::HalfUp).prorate(a, 315_537_897_599, 315_537_897_600),
            Some(m("99999999999683080857.28970768"))
        );
        assert_eq!(r.prorate(m("1.00"), 2, 1), None);
        assert_eq!(r.prorate(m("1.00"), 0, 0), None);
        assert_eq!(r.prorate(m("1.00"), -1, 2), None);
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

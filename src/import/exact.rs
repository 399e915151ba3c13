//! Exact cost arithmetic for the importer: a cost is an `i128` count of 10^-20 units.
//!
//! Provider exports write costs with 14–15 fraction digits (`17.04189120000000`) and
//! sometimes in exponent form (`1e-05`, from a float printer); a `Decimal` holds 28
//! significant digits, so summing a file's costs in one would round. Twenty fraction digits
//! and fifteen integer digits cover every export seen, and a sum stays exact while the
//! magnitudes of the costs add up to less than 10^18 ([`MAX_TOTAL`], checked as rows are
//! read).

/// Fraction digits of [`Units`].
pub const SCALE: u32 = 20;
/// Fraction digits a cost may have (trailing zeros beyond them are dropped).
pub const MAX_FRACTION_DIGITS: u32 = SCALE;
/// Integer digits a cost may have.
pub const MAX_INTEGER_DIGITS: u32 = 15;
/// Σ |cost| of one column over all files must stay below this (10^18 currency units), so
/// that every sum the importer forms (subsets of a column, plus rounding) fits an `i128`.
pub const MAX_TOTAL: Units = Units(10i128.pow(18 + SCALE));

/// An exact amount in 10^-20 units of the currency.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Units(pub i128);

/// 10^n as an i128 (n ≤ 38).
pub fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

impl Units {
    pub const ZERO: Units = Units(0);

    pub fn checked_add(self, other: Units) -> Option<Units> {
        self.0.checked_add(other.0).map(Units)
    }

    pub fn checked_sub(self, other: Units) -> Option<Units> {
        self.0.checked_sub(other.0).map(Units)
    }

    pub fn abs(self) -> Units {
        Units(self.0.abs())
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Rounded half-even to `digits` fraction digits (SPEC §10.7: ListCost beyond 10 digits).
    pub fn round_half_even(self, digits: u32) -> Units {
        let step = pow10(SCALE - digits.min(SCALE));
        let (q, r) = (self.0.div_euclid(step), self.0.rem_euclid(step));
        let twice = r * 2;
        let up = twice > step || (twice == step && q % 2 != 0);
        Units((q + i128::from(up)) * step)
    }

    /// The amount with exactly `digits` fraction digits (≤ 20), truncated: callers pass at
    /// least the digits the amount has, so nothing is lost.
    pub fn format(self, digits: u32) -> String {
        let digits = digits.min(SCALE);
        let magnitude = self.0.unsigned_abs();
        let one = pow10(SCALE).unsigned_abs();
        let int = magnitude / one;
        let frac = magnitude % one;
        let sign = if self.0 < 0 { "-" } else { "" };
        if digits == 0 {
            return format!("{sign}{int}");
        }
        let frac = format!("{frac:020}");
        format!("{sign}{int}.{}", &frac[..digits as usize])
    }

    /// The fraction digits this amount needs to be written exactly.
    pub fn digits_needed(self) -> u32 {
        let mut v = self.0.unsigned_abs();
        let mut digits = SCALE;
        while digits > 0 && v % 10 == 0 {
            v /= 10;
            digits -= 1;
        }
        digits
    }

    /// From a decimal (a simulated money amount); None when it has more than 20 fraction
    /// digits or does not fit.
    pub fn from_decimal(d: rust_decimal::Decimal) -> Option<Units> {
        let scale = d.scale();
        if scale > SCALE {
            return None;
        }
        d.mantissa().checked_mul(pow10(SCALE - scale)).map(Units)
    }
}

/// A cost as the export wrote it: its exact value and the fraction digits it was written
/// with (`32.016000` has six), so an imported amount keeps its spelling.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    pub units: Units,
    pub scale: u8,
}

/// Parses a cost: an optional sign, digits with an optional point, an optional exponent
/// (`1.5e-7`). Empty is `Ok(None)` (FOCUS null). Err is the message for a located problem.
pub fn parse_cost(s: &str) -> Result<Option<Cost>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let syntax = || format!("expected a decimal cost like 12.50 or 1.5e-7, got {s:?}");
    let (negative, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (significand, exponent) = match body.find(['e', 'E']) {
        Some(at) => {
            let e = &body[at + 1..];
            let (sign, digits) = match e.as_bytes().first() {
                Some(b'-') => (-1i64, &e[1..]),
                Some(b'+') => (1, &e[1..]),
                _ => (1, e),
            };
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(syntax());
            }
            let v: i64 = digits.parse().map_err(|_| syntax())?;
            (&body[..at], sign * v)
        }
        None => (body, 0),
    };
    let (int, frac) = significand.split_once('.').unwrap_or((significand, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(syntax());
    }
    // The digits of the value without its point, and how many of them are fraction digits.
    let mut digits: String = format!("{int}{frac}");
    let mut scale = frac.len() as i64 - exponent;
    while scale > i64::from(MAX_FRACTION_DIGITS) && digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    if scale > i64::from(MAX_FRACTION_DIGITS) {
        return Err(format!(
            "cost {s:?} has more than {MAX_FRACTION_DIGITS} fraction digits"
        ));
    }
    let significant = digits.trim_start_matches('0');
    let integer_digits = significant.len() as i64 - scale;
    if integer_digits > i64::from(MAX_INTEGER_DIGITS) {
        return Err(format!(
            "cost {s:?} is too large (more than {MAX_INTEGER_DIGITS} integer digits)"
        ));
    }
    // At most 35 significant digits now: fits an i128 at scale 20.
    let mantissa: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| syntax())?
    };
    let (mantissa, scale) = if scale < 0 {
        (mantissa * pow10(scale.unsigned_abs() as u32), 0)
    } else {
        (mantissa, scale as u32)
    };
    let units = mantissa * pow10(SCALE - scale);
    Ok(Some(Cost {
        units: Units(if negative { -units } else { units }),
        scale: scale as u8,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(s: &str) -> Cost {
        parse_cost(s).expect("parses").expect("not null")
    }

    #[test]
    fn costs_keep_their_value_and_spelling() {
        let c = cost("17.04189120000000");
        assert_eq!(
            (c.units.format(u32::from(c.scale)), c.scale),
            ("17.04189120000000".into(), 14)
        );
        assert_eq!(cost("32.016000").units.format(6), "32.016000");
        assert_eq!(cost("-0.5").units.format(1), "-0.5");
        assert_eq!(cost("+3").units.format(0), "3");
        assert_eq!(cost("1e-05").units.format(5), "0.00001");
        assert_eq!(cost("1e-05").scale, 5);
        assert_eq!(cost("2.5E3").units.format(0), "2500");
        assert_eq!(cost("0.12345678901234567890000").scale, 20);
        assert_eq!(parse_cost("  ").expect("null"), None);
    }

    #[test]
    fn bad_costs_are_refused_with_a_reason() {
        for bad in ["abc", "1.2.3", "NaN", "inf", "1e", "--1", "1,5", "."] {
            assert!(parse_cost(bad).is_err(), "{bad}");
        }
        assert!(parse_cost("0.000000000000000000001")
            .unwrap_err()
            .contains("fraction digits"));
        assert!(parse_cost("1234567890123456")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_cost("999999999999999.99999999999999999999").is_ok());
    }

    #[test]
    fn half_even_rounding_to_ten_digits() {
        let r = |s: &str| cost(s).units.round_half_even(10).format(10);
        assert_eq!(r("0.00000000005"), "0.0000000000");
        assert_eq!(r("0.00000000015"), "0.0000000002");
        assert_eq!(r("0.000000000150001"), "0.0000000002");
        assert_eq!(r("-0.00000000015"), "-0.0000000002");
        assert_eq!(r("-0.00000000025"), "-0.0000000002");
        assert_eq!(r("1.123456789049999"), "1.1234567890");
    }

    #[test]
    fn digits_needed_ignores_trailing_zeros() {
        assert_eq!(cost("1.50").units.digits_needed(), 1);
        assert_eq!(cost("3").units.digits_needed(), 0);
        assert_eq!(cost("0.000000000000001").units.digits_needed(), 15);
    }
}

//! `--fail-if 'METRIC[@ACCOUNT] OP N'` (SPEC §10.1): a condition on the delta (b − a) of an
//! account or total metric, for CI that guards a plan. Parsed up front, so a mistyped one
//! is a clear exit-2 message before anything is simulated.

use super::metrics::{is_amount, Metrics, ACCOUNT_METRICS};
use rust_decimal::Decimal;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn holds(self, x: Decimal, n: Decimal) -> bool {
        match self {
            Op::Gt => x > n,
            Op::Ge => x >= n,
            Op::Lt => x < n,
            Op::Le => x <= n,
        }
    }
}

/// One parsed `--fail-if`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailIf {
    /// As given, to name it.
    pub text: String,
    /// Index into [`ACCOUNT_METRICS`].
    pub metric: usize,
    /// None: the total.
    pub account: Option<String>,
    pub op: Op,
    pub n: Decimal,
}

impl FailIf {
    /// Parses `METRIC[@ACCOUNT] OP N`; the error says what is wrong and what is expected.
    pub fn parse(text: &str) -> Result<FailIf, String> {
        let form =
            "expected `METRIC[@ACCOUNT] OP N`, OP one of > >= < <=, e.g. `paid_as_payer@M > 0`";
        let Some(at) = text.find(['<', '>']) else {
            return Err(format!("no comparison (> >= < <=); {form}"));
        };
        let (left, rest) = text.split_at(at);
        let (op, right) = match rest.as_bytes() {
            [b'>', b'=', ..] => (Op::Ge, &rest[2..]),
            [b'<', b'=', ..] => (Op::Le, &rest[2..]),
            [b'>', ..] => (Op::Gt, &rest[1..]),
            _ => (Op::Lt, &rest[1..]),
        };
        let (metric, account) = match left.trim().split_once('@') {
            Some((m, a)) if !a.trim().is_empty() => (m.trim(), Some(a.trim().to_string())),
            Some(_) => return Err(format!("`@` names no account; {form}")),
            None => (left.trim(), None),
        };
        let Some(metric_i) = ACCOUNT_METRICS.iter().position(|m| *m == metric) else {
            return Err(format!(
                "{metric:?} is not a metric; the metrics: {}",
                ACCOUNT_METRICS.join(", ")
            ));
        };
        let n = right.trim();
        let body = n.strip_prefix('-').unwrap_or(n);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let well_formed = match body.split_once('.') {
            Some((i, f)) => digits(i) && digits(f),
            None => digits(body),
        };
        let n = well_formed
            .then(|| Decimal::from_str_exact(n).ok())
            .flatten()
            .ok_or_else(|| format!("{n:?} is not a number (-?digits[.digits]); {form}"))?;
        Ok(FailIf {
            text: text.trim().to_string(),
            metric: metric_i,
            account,
            op,
            n,
        })
    }

    /// The delta it tests, or None when its account is on neither side.
    pub fn delta(&self, a: &Metrics, b: &Metrics) -> Option<Decimal> {
        let (x, y) = match &self.account {
            None => (Some(&a.total), Some(&b.total)),
            Some(id) => (a.accounts.get(id.as_str()), b.accounts.get(id.as_str())),
        };
        if x.is_none() && y.is_none() {
            return None;
        }
        let value = |m: Option<&[Decimal; 11]>| m.map_or(Decimal::ZERO, |m| m[self.metric]);
        let mut d = value(y).checked_sub(value(x))?;
        if is_amount(self.metric) {
            d.rescale(a.scale.max(b.scale));
        }
        Some(d)
    }

    /// Whether it holds for this delta.
    pub fn holds(&self, delta: Decimal) -> bool {
        self.op.holds(delta, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_and_names_what_is_wrong() {
        let f = FailIf::parse("paid_as_payer@M >= -1.5").expect("parses");
        assert_eq!(
            (f.metric, f.account.as_deref(), f.op),
            (5, Some("M"), Op::Ge)
        );
        assert_eq!(f.n, Decimal::new(-15, 1));
        let f = FailIf::parse("alerts_received<3").expect("parses");
        assert_eq!((f.metric, f.account, f.op), (10, None, Op::Lt));
        assert!(FailIf::parse("paid > x")
            .unwrap_err()
            .contains("not a metric"));
        assert!(FailIf::parse("paid_amount = 1")
            .unwrap_err()
            .contains("no comparison"));
        assert!(FailIf::parse("paid_amount > 1e3")
            .unwrap_err()
            .contains("not a number"));
        assert!(FailIf::parse("paid_amount@ > 1")
            .unwrap_err()
            .contains("no account"));
    }
}

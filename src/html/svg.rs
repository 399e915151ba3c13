//! Chart geometry in whole numbers: SVG coordinates in tenths of a pixel, from instants
//! (seconds) and exact amounts, without a float (money never is one, and neither is what
//! is drawn from it). Shared by every chart of the page.

use super::input::Time;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The chart width (viewBox units) and the plot area's left and right edges: the left
/// margin holds account ids.
pub const WIDTH: i64 = 1000;
pub const LEFT: i64 = 170;
pub const RIGHT: i64 = 985;

/// A coordinate in tenths of a unit, printed as SVG wants it (`12.3`).
pub fn c(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let a = tenths.unsigned_abs();
    if a % 10 == 0 {
        format!("{sign}{}", a / 10)
    } else {
        format!("{sign}{}.{}", a / 10, a % 10)
    }
}

/// Maps instants of `[t0, t1]` onto `[LEFT, RIGHT]`, in tenths.
#[derive(Copy, Clone, Debug)]
pub struct TimeAxis {
    pub t0: Time,
    pub t1: Time,
}

impl TimeAxis {
    pub fn x(&self, t: i64) -> i64 {
        let span = i128::from((self.t1.at - self.t0.at).max(1));
        let t = t.clamp(self.t0.at, self.t1.at);
        let px = i128::from((RIGHT - LEFT) * 10) * i128::from(t - self.t0.at) / span;
        LEFT * 10 + i64::try_from(px).unwrap_or(0)
    }

    /// Tick instants at local midnights (or hours for a short horizon), at most about ten,
    /// with their labels.
    pub fn ticks(&self) -> Vec<(i64, String)> {
        let span = self.t1.at - self.t0.at;
        let off = i64::from(self.t0.offset);
        let steps = [3600, 6 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 28 * 86_400];
        let step = steps
            .iter()
            .copied()
            .find(|s| span / s <= 10)
            .unwrap_or(span / 10 + 1);
        let local0 = self.t0.at + off;
        let first = (local0 + step - 1).div_euclid(step) * step - off;
        let mut out = Vec::new();
        let mut t = first;
        while t <= self.t1.at && out.len() < 40 {
            let at = Time {
                at: t,
                offset: self.t0.offset,
            };
            let label = if step < 86_400 { at.short() } else { at.day() };
            out.push((t, label));
            t += step;
        }
        out
    }
}

/// Maps amounts of `[lo, hi]` onto `[bottom, top]` (tenths; y grows downwards).
#[derive(Copy, Clone, Debug)]
pub struct ValueAxis {
    pub lo: Decimal,
    pub hi: Decimal,
    pub top: i64,
    pub bottom: i64,
}

impl ValueAxis {
    /// An axis over `values` (and zero), a little headroom above.
    pub fn over(values: impl Iterator<Item = Decimal>, top: i64, bottom: i64) -> ValueAxis {
        let (mut lo, mut hi) = (Decimal::ZERO, Decimal::ZERO);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi <= lo {
            hi = lo + Decimal::ONE;
        }
        let head = (hi - lo) / Decimal::from(20);
        ValueAxis {
            lo,
            hi: hi.checked_add(head).unwrap_or(hi),
            top,
            bottom,
        }
    }

    pub fn y(&self, v: Decimal) -> i64 {
        let span = self.hi - self.lo;
        let h = Decimal::from(self.bottom - self.top);
        let frac = (v.clamp(self.lo, self.hi) - self.lo)
            .checked_mul(h)
            .and_then(|p| p.checked_div(span))
            .unwrap_or(Decimal::ZERO);
        self.bottom - frac.round().to_i64().unwrap_or(0)
    }

    /// About five round tick values from `lo` to `hi`.
    pub fn ticks(&self) -> Vec<Decimal> {
        let span = self.hi - self.lo;
        let mut step = Decimal::ONE;
        // Grow or shrink the step by 1-2-5 until about five ticks fit.
        let mut tries = 0;
        while span / step > Decimal::from(8) && tries < 60 {
            step *= if step.to_string().starts_with('2') {
                Decimal::new(25, 1)
            } else {
                Decimal::from(2)
            };
            tries += 1;
        }
        while span / step < Decimal::from(3) && tries < 120 {
            step /= Decimal::from(2);
            tries += 1;
        }
        let mut out = Vec::new();
        let mut v = (self.lo / step).ceil() * step;
        while v <= self.hi && out.len() < 12 {
            out.push(v.normalize());
            v += step;
        }
        out
    }
}

/// Money for a tick label or tooltip, at `scale` digits.
pub fn money(d: Decimal, scale: u32) -> String {
    let mut d = d;
    d.rescale(scale);
    d.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_print_in_tenths() {
        assert_eq!(c(123), "12.3");
        assert_eq!(c(120), "12");
        assert_eq!(c(-5), "-0.5");
    }

    #[test]
    fn the_time_axis_spans_the_plot() {
        let a = TimeAxis {
            t0: Time { at: 0, offset: 0 },
            t1: Time {
                at: 31 * 86_400,
                offset: 0,
            },
        };
        assert_eq!(a.x(0), LEFT * 10);
        assert_eq!(a.x(31 * 86_400), RIGHT * 10);
        assert_eq!(a.x(-5), LEFT * 10);
        let ticks = a.ticks();
        assert!((3..=11).contains(&ticks.len()), "{ticks:?}");
        assert_eq!(ticks[0].1, "01-01");
    }

    #[test]
    fn the_value_axis_maps_exactly_and_ticks_round_values() {
        let a = ValueAxis::over([Decimal::from(100)].into_iter(), 0, 1000);
        assert_eq!(a.y(Decimal::ZERO), 1000);
        assert!(a.y(Decimal::from(100)) < 100);
        let t = a.ticks();
        assert!(t.contains(&Decimal::from(20)), "{t:?}");
    }
}

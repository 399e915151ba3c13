//! The knobs of `trustsim generate`, each defined once.
//!
//! A knob is one field of [`GenerateParams`]: its doc comment is the flag's help, its
//! `#[arg]` attribute the flag's name and default. Everything else is derived from that one
//! definition: clap parses the flags (the CLI flattens the struct into its `generate`
//! command), [`Default`] is what clap gives for no flags, and
//! [`GenerateParams::command_line`] (written into every generated `scenario.toml`) walks the
//! same clap arguments. Adding a knob is adding a field.

use crate::calendar::Cycle;
use crate::scenario::{SubscriptionPayer, T5Scope};
use chrono::{Datelike, NaiveDate};
use clap::{Args, FromArgMatches};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::ffi::OsStr;
use std::fmt;
use std::str::FromStr;

use super::GenerateError;

/// How many of each cycle there are among pay-as-you-go resources, as relative weights.
///
/// Written and parsed as `hourly=3,daily=1` (unnamed cycles weigh 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleMix {
    pub hourly: u32,
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for CycleMix {
    /// Hourly only: the densest billing, and the one the 300-linked benchmarks use.
    fn default() -> Self {
        CycleMix {
            hourly: 1,
            daily: 0,
            weekly: 0,
            monthly: 0,
        }
    }
}

impl CycleMix {
    const NONE: CycleMix = CycleMix {
        hourly: 0,
        daily: 0,
        weekly: 0,
        monthly: 0,
    };

    fn weights(&self) -> [(Cycle, u32); 4] {
        [
            (Cycle::Hourly, self.hourly),
            (Cycle::Daily, self.daily),
            (Cycle::Weekly, self.weekly),
            (Cycle::Monthly, self.monthly),
        ]
    }

    fn weight_mut(&mut self, cycle: Cycle) -> &mut u32 {
        match cycle {
            Cycle::Hourly => &mut self.hourly,
            Cycle::Daily => &mut self.daily,
            Cycle::Weekly => &mut self.weekly,
            Cycle::Monthly => &mut self.monthly,
        }
    }

    pub(super) fn total(&self) -> u64 {
        self.weights().iter().map(|(_, w)| u64::from(*w)).sum()
    }

    /// Picks a cycle by weight; `total` must be > 0.
    pub(super) fn pick(&self, rng: &mut ChaCha8Rng) -> Cycle {
        let mut x = rng.gen_range(0..self.total());
        for (cycle, w) in self.weights() {
            if x < u64::from(w) {
                return cycle;
            }
            x -= u64::from(w);
        }
        Cycle::Hourly
    }
}

impl fmt::Display for CycleMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .weights()
            .iter()
            .filter(|(_, w)| *w > 0)
            .map(|(c, w)| format!("{}={w}", c.as_str()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for CycleMix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut mix = CycleMix::NONE;
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("cycle mix {s:?}: weight of {name:?} is not a number"))?;
            let Some(cycle) = Cycle::parse(name.trim()) else {
                return Err(format!(
                    "cycle mix {s:?}: unknown cycle {:?} (hourly, daily, weekly, monthly)",
                    name.trim()
                ));
            };
            *mix.weight_mut(cycle) = weight;
        }
        if mix.total() == 0 {
            return Err(format!(
                "cycle mix {s:?}: give at least one cycle a weight > 0, e.g. hourly=3,daily=1"
            ));
        }
        Ok(mix)
    }
}

/// The help heading of the `[policy]` flags. A policy flag at its default is left out of
/// [`GenerateParams::command_line`] (and its setting out of `scenario.toml`), so a scenario
/// that uses no policy keeps the bytes it had before the policies existed.
const POLICIES: &str = "Policies";

/// Defines [`GenerateParams`] from one list of fields and derives from the same list
/// `flag_values`, each field's clap id (its name) with its value as the flag takes it —
/// which [`GenerateParams::command_line`] needs and clap cannot give back.
macro_rules! generate_params {
    (
        $(#[$meta:meta])*
        pub struct GenerateParams {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct GenerateParams {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl GenerateParams {
            /// Every field's clap id and its value as text, in declaration order.
            fn flag_values(&self) -> Vec<(&'static str, String)> {
                vec![$( (stringify!($field), self.$field.to_string()), )*]
            }
        }
    };
}

generate_params! {
    /// Everything that shapes a generated scenario; the flags of `trustsim generate`.
    ///
    /// The defaults are the `limit_300` shape: one main with 300 linked accounts, 3 hourly
    /// resources each, 31 days of March 2026, usage in every hour (≈ 680k usage rows), with
    /// the full event mix. Doc comments are the flags' help (first paragraph for `-h`, all
    /// of it for `--help`), so they say what a value does, not how the code uses it.
    #[derive(Clone, Debug, PartialEq, Args)]
    pub struct GenerateParams {
        /// Seed: the same seed and flags give byte-identical files on any machine.
        #[arg(long, default_value_t = 1)]
        pub seed: u64,
        /// First day (local midnight, +08:00).
        ///
        /// Starting on a month's first day keeps deferred requests pending for most of the
        /// first month, which the E5 rejection relies on.
        #[arg(long, default_value = "2026-03-01")]
        pub start: NaiveDate,
        /// Days in the horizon (at least 3).
        ///
        /// The first two days hold the establish phase and the rejected requests.
        #[arg(long, default_value_t = 31)]
        pub days: u32,
        /// Main accounts.
        #[arg(long, default_value_t = 1)]
        pub mains: u32,
        /// Linked accounts per main (also the scenario's max_linked).
        ///
        /// Written as max_linked, so one more request is always rejected by T8. The
        /// default is the product's limit.
        #[arg(long = "linked", value_name = "LINKED", default_value_t = 300)]
        pub linked_per_main: u32,
        /// Resources per account (mains and linked alike).
        #[arg(long = "resources", value_name = "RESOURCES", default_value_t = 3)]
        pub resources_per_account: u32,
        /// Cycle weights of pay-as-you-go resources, e.g. hourly=3,daily=1.
        #[arg(long, default_value_t = CycleMix::default())]
        pub cycles: CycleMix,
        /// Probability of a usage row per resource and hour, in (0, 1].
        ///
        /// Rows per resource = 24 × days × density.
        #[arg(long = "density", value_name = "DENSITY", default_value_t = 1.0)]
        pub usage_density: f64,
        /// Share of resources that are monthly subscriptions.
        ///
        /// Ordered every 30 days from the first day; a quarter of them get a downgrade
        /// event.
        #[arg(long, default_value_t = 0.0)]
        pub subscription_share: f64,
        /// Share of pay-as-you-go resources billed as AliTelecom (T2).
        #[arg(long, default_value_t = 0.05)]
        pub alitelecom_share: f64,
        /// Share of accounts with a coupon.
        ///
        /// A main's coupons are shared with its linked accounts (L5).
        #[arg(long, default_value_t = 0.1)]
        pub coupon_share: f64,
        /// Share of accounts with a discount.
        ///
        /// A `*` row, and for half of them a time-limited product row too.
        #[arg(long, default_value_t = 0.1)]
        pub discount_share: f64,
        /// Share of accounts with alert thresholds (T1/B5 alerts).
        #[arg(long, default_value_t = 0.05)]
        pub alert_share: f64,
        /// Share of linked accounts with an unpaid bill when they ask to join (deferred,
        /// T5.1).
        ///
        /// These accounts are poor (balance 0.01, a bill in the first hour): their
        /// establish finds an unsettled bill and is deferred to the next month (T5.1); a
        /// late top-up settles the bill (B3).
        #[arg(long, default_value_t = 0.05)]
        pub deferred_share: f64,
        /// Linked accounts per main moved to a second main.
        #[arg(long = "modifies", value_name = "MODIFIES", default_value_t = 5)]
        pub modifies_per_main: u32,
        /// Linked accounts per main removed.
        #[arg(long = "removes", value_name = "REMOVES", default_value_t = 5)]
        pub removes_per_main: u32,
        /// Requests per main that must be rejected (the 301st first).
        ///
        /// They cycle through: the 301st establish (T8), another enterprise (T7), self
        /// (E1), already linked (E2), modify while pending (E5), Cost Analysis by a linked
        /// account (L7), real-name change (T7), remove of an unlinked account (E4). The
        /// default is one of each.
        #[arg(long = "rejected", value_name = "REJECTED", default_value_t = 8)]
        pub rejected_per_main: u32,
        /// Opening balance of each main, in whole units.
        #[arg(long, default_value_t = 1_000_000)]
        pub main_balance: u64,
        /// Periodic top-up of each main, in whole units (0: none).
        #[arg(long, default_value_t = 100_000)]
        pub main_topup: u64,
        /// Days between main top-ups.
        #[arg(long, default_value_t = 7)]
        pub main_topup_days: u32,
        /// The scenario's policy t5_scope: payer or account (SPEC §5.1).
        #[arg(long, default_value_t = T5Scope::Payer, help_heading = POLICIES)]
        pub t5_scope: T5Scope,
        /// The scenario's policy subscription_payer: cycle or order (SPEC §5.2).
        #[arg(long, default_value_t = SubscriptionPayer::Cycle, help_heading = POLICIES)]
        pub subscription_payer: SubscriptionPayer,
    }
}

impl GenerateParams {
    /// The `generate` arguments as clap defines them, for [`Default`] and
    /// [`GenerateParams::command_line`].
    fn command() -> clap::Command {
        GenerateParams::augment_args(clap::Command::new("generate").no_binary_name(true))
    }

    /// Hours in the horizon: the steps of the usage loop (and of its progress bar).
    pub fn hours(&self) -> u64 {
        u64::from(self.days) * 24
    }

    /// Checks every range; generating with valid parameters cannot produce an invalid
    /// scenario, so all input problems surface here.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::Params(m));
        if !(3..=36_600).contains(&self.days) {
            return bad(format!("days: expected 3 to 36600, got {}", self.days));
        }
        let end = self
            .start
            .checked_add_days(chrono::Days::new(u64::from(self.days)));
        if end.is_none_or(|e| e.year() > 9000) {
            return bad(format!("start: {} is too late", self.start));
        }
        if !(1..=99_999).contains(&self.mains) {
            return bad(format!("mains: expected 1 to 99999, got {}", self.mains));
        }
        if !(1..=99_999).contains(&self.linked_per_main) {
            return bad(format!(
                "linked: expected 1 to 99999, got {}",
                self.linked_per_main
            ));
        }
        if !(1..=99).contains(&self.resources_per_account) {
            return bad(format!(
                "resources: expected 1 to 99, got {}",
                self.resources_per_account
            ));
        }
        if self.cycles.total() == 0 {
            return bad("cycles: give at least one cycle a weight > 0".into());
        }
        if !(self.usage_density > 0.0 && self.usage_density <= 1.0) {
            return bad(format!(
                "density: expected a probability in (0, 1], got {}",
                self.usage_density
            ));
        }
        for (name, v) in [
            ("subscription-share", self.subscription_share),
            ("alitelecom-share", self.alitelecom_share),
            ("coupon-share", self.coupon_share),
            ("discount-share", self.discount_share),
            ("alert-share", self.alert_share),
            ("deferred-share", self.deferred_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name}: expected a share from 0 to 1, got {v}"));
            }
        }
        // Balances must stay within the 12 integer digits an input amount may have.
        for (name, v) in [
            ("main-balance", self.main_balance),
            ("main-topup", self.main_topup),
        ] {
            if v > 999_999_999_999 {
                return bad(format!("{name}: expected at most 999999999999, got {v}"));
            }
        }
        if self.main_topup_days == 0 {
            return bad("main-topup-days: expected at least 1".into());
        }
        Ok(())
    }

    /// The command line that regenerates these files, written into `scenario.toml`'s
    /// description so a generated scenario documents itself: every flag with its value, in
    /// declaration order, except a policy flag at its default (the `Policies` help heading).
    pub fn command_line(&self) -> String {
        let command = GenerateParams::command();
        let mut line = String::from("trustsim generate");
        for (id, value) in self.flag_values() {
            let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
                continue;
            };
            let at_default = arg.get_default_values() == [OsStr::new(&value)];
            if arg.get_help_heading() == Some(POLICIES) && at_default {
                continue;
            }
            if let Some(long) = arg.get_long() {
                line.push_str(" --");
                line.push_str(long);
                line.push(' ');
                line.push_str(&value);
            }
        }
        line
    }
}

impl Default for GenerateParams {
    /// What `trustsim generate` uses with no flags: the defaults of the `#[arg]` attributes.
    fn default() -> Self {
        // The defaults are literals in this file, parsed by the flags' own parsers; a
        // default that does not parse fails `defaults_come_from_the_flags` below.
        GenerateParams::command()
            .try_get_matches_from(std::iter::empty::<&str>())
            .and_then(|m| GenerateParams::from_arg_matches(&m))
            .unwrap_or_else(|e| panic!("a default of `trustsim generate` does not parse: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_mix_round_trips() {
        let m: CycleMix = "hourly=3, daily=1".parse().expect("valid mix");
        assert_eq!(m.to_string(), "hourly=3,daily=1");
        assert_eq!(m.to_string().parse::<CycleMix>(), Ok(m));
        assert!("hourly=0".parse::<CycleMix>().is_err());
        assert!("yearly=1".parse::<CycleMix>().is_err());
    }

    #[test]
    fn defaults_come_from_the_flags() {
        let d = GenerateParams::default();
        assert_eq!(
            (d.seed, d.days, d.mains, d.linked_per_main),
            (1, 31, 1, 300)
        );
        assert_eq!(d.start, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"));
        assert_eq!(d.cycles, CycleMix::default());
        assert_eq!((d.usage_density, d.alitelecom_share), (1.0, 0.05));
        assert_eq!(d.t5_scope, T5Scope::Payer);
        assert_eq!(d.subscription_payer, SubscriptionPayer::Cycle);
        assert!(d.validate().is_ok());
    }

    /// The command line names every knob, and parsing it gives the same parameters back: a
    /// field added without a flag, or a flag whose value does not round-trip, fails here.
    #[test]
    fn the_command_line_parses_back_to_the_same_parameters() {
        let varied = GenerateParams {
            seed: 9,
            days: 40,
            linked_per_main: 7,
            cycles: "daily=2,monthly=1".parse().expect("mix"),
            usage_density: 0.125,
            coupon_share: 0.3,
            main_topup: 0,
            t5_scope: T5Scope::Account,
            subscription_payer: SubscriptionPayer::Order,
            ..GenerateParams::default()
        };
        for p in [GenerateParams::default(), varied] {
            let line = p.command_line();
            let args: Vec<&str> = line.split(' ').skip(2).collect();
            let matches = GenerateParams::command()
                .try_get_matches_from(&args)
                .expect("the command line parses");
            let back = GenerateParams::from_arg_matches(&matches).expect("parameters");
            assert_eq!(back, p, "{line}");
            let omitted = [
                p.t5_scope == T5Scope::Payer,
                p.subscription_payer == SubscriptionPayer::Cycle,
            ];
            let omitted = omitted.iter().filter(|&&at_default| at_default).count();
            assert_eq!(
                line.matches(" --").count(),
                p.flag_values().len() - omitted,
                "{line}"
            );
        }
    }

    #[test]
    fn the_command_line_is_the_one_scenarios_were_generated_with() {
        assert_eq!(
            GenerateParams::default().command_line(),
            "trustsim generate --seed 1 --start 2026-03-01 --days 31 --mains 1 --linked 300 \
             --resources 3 --cycles hourly=1 --density 1 --subscription-share 0 \
             --alitelecom-share 0.05 --coupon-share 0.1 --discount-share 0.1 --alert-share 0.05 \
             --deferred-share 0.05 --modifies 5 --removes 5 --rejected 8 --main-balance 1000000 \
             --main-topup 100000 --main-topup-days 7"
        );
    }

    #[test]
    fn bad_parameters_are_reported_not_generated() {
        let p = GenerateParams {
            days: 2,
            ..GenerateParams::default()
        };
        assert!(matches!(p.validate(), Err(GenerateError::Params(_))));
        let p = GenerateParams {
            usage_density: 0.0,
            ..GenerateParams::default()
        };
        assert!(p.validate().is_err());
    }
}

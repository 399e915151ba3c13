//! The plan of a generated scenario: its accounts and resources, drawn before any file is
//! written, and the random draws every part of the generator shares.

use super::{
    GenerateParams, ALITELECOM, LINKED_BALANCE_MAX, LINKED_BALANCE_MIN,
    LINKED_BALANCE_PER_RESOURCE, POOR_BALANCE_CENTS, PRODUCTS,
};
use crate::calendar::Cycle;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A share as a threshold on a uniform `u32`: integer comparison per draw keeps the output
/// independent of floating-point code generation (the conversion happens once, exactly).
pub(super) fn threshold(share: f64) -> u64 {
    (share.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64
}

pub(super) fn chance(rng: &mut ChaCha8Rng, threshold: u64) -> bool {
    u64::from(rng.gen::<u32>()) < threshold
}

/// Which ChaCha stream each part of the scenario draws from.
pub(super) const STREAM_PLAN: u64 = 1;
pub(super) const STREAM_EVENTS: u64 = 2;
pub(super) const STREAM_USAGE: u64 = 3;
pub(super) const STREAM_PRICING: u64 = 4;

pub(super) fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Main,
    Second,
    Linked,
    Overflow,
    Foreign,
}

pub(super) struct AccountPlan {
    pub(super) id: String,
    pub(super) enterprise: String,
    pub(super) role: Role,
    /// Poor linked account: balance 0.01 and a forced first-hour bill (T5.1 deferral).
    pub(super) poor: bool,
    pub(super) balance_cents: u64,
    pub(super) low_cents: Option<u64>,
    pub(super) high_cents: Option<u64>,
}

pub(super) enum Billing {
    PayAsYouGo {
        cycle: Cycle,
        /// A usage row in the first hour whatever the density (poor accounts' first bill).
        forced: bool,
    },
    Subscription {
        /// Hour of the first order; renewed every [`super::SUBSCRIPTION_PERIOD_HOURS`].
        first_hour: u32,
        /// Second within that hour of every order.
        second: u32,
    },
}

pub(super) struct ResourcePlan {
    pub(super) id: String,
    pub(super) account: usize,
    pub(super) product: &'static str,
    pub(super) billing: Billing,
}

/// One main's accounts, as indices into the plan's account list.
pub(super) struct MainPlan {
    pub(super) main: usize,
    pub(super) second: usize,
    pub(super) linked: Vec<usize>,
    pub(super) overflow: usize,
    pub(super) foreign: usize,
}

pub(super) struct Plan {
    pub(super) accounts: Vec<AccountPlan>,
    pub(super) resources: Vec<ResourcePlan>,
    pub(super) mains: Vec<MainPlan>,
}

fn digits(n: u32) -> usize {
    n.to_string().len()
}

/// Builds accounts and resources (stream [`STREAM_PLAN`]).
pub(super) fn plan(p: &GenerateParams, rng: &mut ChaCha8Rng) -> Plan {
    let mw = digits(p.mains).max(4);
    let lw = digits(p.linked_per_main).max(3);
    let rw = digits(p.resources_per_account).max(2);
    let (alert, poor) = (threshold(p.alert_share), threshold(p.deferred_share));
    let main_cents = p.main_balance * 100;
    let mut accounts = Vec::new();
    let mut mains = Vec::new();
    let mut account = |id: String, enterprise: &str, role: Role, rng: &mut ChaCha8Rng| {
        let alerted = chance(rng, alert);
        let is_poor = role == Role::Linked && chance(rng, poor);
        let (balance_cents, low_cents, high_cents) = match role {
            Role::Main | Role::Second => (main_cents, alerted.then_some(main_cents / 2), None),
            _ if is_poor => (POOR_BALANCE_CENTS, None, None),
            _ => {
                let floor = LINKED_BALANCE_MIN
                    + LINKED_BALANCE_PER_RESOURCE * u64::from(p.resources_per_account);
                let units = rng.gen_range(floor..=floor + LINKED_BALANCE_MAX - LINKED_BALANCE_MIN);
                let cents = units * 100 + rng.gen_range(0..100u64);
                (cents, alerted.then_some(5_000), alerted.then_some(95))
            }
        };
        accounts.push(AccountPlan {
            id,
            enterprise: enterprise.to_string(),
            role,
            poor: is_poor,
            balance_cents,
            low_cents,
            high_cents,
        });
        accounts.len() - 1
    };
    for m in 1..=p.mains {
        let mid = format!("m{m:0mw$}");
        let ent = format!("e{m:0mw$}");
        let main = account(mid.clone(), &ent, Role::Main, rng);
        let second = account(format!("{mid}-b"), &ent, Role::Second, rng);
        let linked = (1..=p.linked_per_main)
            .map(|l| account(format!("{mid}-l{l:0lw$}"), &ent, Role::Linked, rng))
            .collect();
        let overflow = account(format!("{mid}-x1"), &ent, Role::Overflow, rng);
        let foreign = account(format!("{mid}-x2"), &format!("{ent}-x"), Role::Foreign, rng);
        mains.push(MainPlan {
            main,
            second,
            linked,
            overflow,
            foreign,
        });
    }

    let (sub, ali) = (
        threshold(p.subscription_share),
        threshold(p.alitelecom_share),
    );
    let mut resources = Vec::new();
    for (a, acc) in accounts.iter().enumerate() {
        for r in 1..=p.resources_per_account {
            let forced = acc.poor && r == 1;
            let id = format!("{}-r{r:0rw$}", acc.id);
            // Drawn for every resource so a poor account's forced one does not shift the
            // stream of the others.
            let (is_sub, is_ali) = (chance(rng, sub), chance(rng, ali));
            let cycle = p.cycles.pick(rng);
            let product = PRODUCTS[rng.gen_range(0..PRODUCTS.len() as u32) as usize];
            let (first_hour, second) = (rng.gen_range(0..24u32), rng.gen_range(0..3600u32));
            let resource = if forced {
                // Hourly, so its first bill is issued at the end of the first hour, before
                // the account's establish request.
                ResourcePlan {
                    id,
                    account: a,
                    product,
                    billing: Billing::PayAsYouGo {
                        cycle: Cycle::Hourly,
                        forced: true,
                    },
                }
            } else if is_sub {
                ResourcePlan {
                    id,
                    account: a,
                    product,
                    billing: Billing::Subscription { first_hour, second },
                }
            } else {
                ResourcePlan {
                    id,
                    account: a,
                    product: if is_ali { ALITELECOM } else { product },
                    billing: Billing::PayAsYouGo {
                        cycle,
                        forced: false,
                    },
                }
            };
            resources.push(resource);
        }
    }
    Plan {
        accounts,
        resources,
        mains,
    }
}

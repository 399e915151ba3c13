//! Which components go to which shard, and which go together in one group of a bounded
//! run (SPEC §10.9). Both are functions of the scenario alone (its components and how many
//! usage rows each has), so every machine computes the same plan.

use crate::timeline::Component;

/// One shard's share of the work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Load {
    pub components: usize,
    pub accounts: usize,
    pub usage_rows: u64,
}

/// An assignment of components to `shards` bins (shards, or groups of a bounded run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// By component index: its bin, 0-based.
    pub bin_of: Vec<usize>,
    /// By bin.
    pub loads: Vec<Load>,
}

/// The usage rows of each component, from the rows of each resource.
pub fn rows_per_component(components: &[Component], rows_per_resource: &[u64]) -> Vec<u64> {
    components
        .iter()
        .map(|c| {
            c.resources
                .iter()
                .map(|r| rows_per_resource.get(r.index()).copied().unwrap_or(0))
                .sum()
        })
        .collect()
}

/// Balances components over `n` shards by usage rows: largest first, each to the least
/// loaded shard (ties: the lower shard); components of equal rows in component order. The
/// classic LPT rule: the largest shard is within 4/3 of the best possible, and a shard
/// never waits for a component that could have gone elsewhere first.
pub fn shards(components: &[Component], rows: &[u64], n: usize) -> Plan {
    let n = n.max(1);
    let mut order: Vec<usize> = (0..components.len()).collect();
    // Stable: equal rows keep component order.
    order.sort_by_key(|&c| std::cmp::Reverse(rows[c]));
    let mut plan = Plan {
        bin_of: vec![0; components.len()],
        loads: vec![Load::default(); n],
    };
    for c in order {
        let bin = (0..n)
            .min_by_key(|&b| (plan.loads[b].usage_rows, b))
            .unwrap_or(0);
        plan.put(c, bin, &components[c], rows[c]);
    }
    plan
}

/// Packs the components into groups of at most `budget` estimated bytes each
/// (`bytes(component)`), first-fit decreasing: largest first (equal sizes in component
/// order), each into the first group it fits. A component over the budget alone is a
/// group of its own. Returns the plan and the components over the budget, in component
/// order.
///
/// Why not cut them in component order: a group then closes as soon as the next component
/// does not fit, so groups are filled unevenly and the fullest one, which sets the peak,
/// depends on how many there are (a 10-main quarter peaked 18 % below a 20-main one under
/// the same bound). First-fit decreasing fills groups close to the budget, so the peak
/// follows the bound rather than the fleet, and needs fewer groups (each re-reads
/// usage.csv). Which group a component is in never changes the reports: the merge orders
/// rows by their keys.
pub fn groups(
    components: &[Component],
    rows: &[u64],
    budget: u64,
    bytes: impl Fn(&Component, u64) -> u64,
) -> (Plan, Vec<usize>) {
    let need: Vec<u64> = components
        .iter()
        .enumerate()
        .map(|(c, comp)| bytes(comp, rows[c]))
        .collect();
    let mut order: Vec<usize> = (0..components.len()).collect();
    // Stable: equal sizes keep component order.
    order.sort_by_key(|&c| std::cmp::Reverse(need[c]));
    let mut plan = Plan {
        bin_of: vec![0; components.len()],
        loads: Vec::new(),
    };
    let (mut used, mut oversized) = (Vec::<u64>::new(), Vec::new());
    for c in order {
        let fits = if need[c] > budget {
            oversized.push(c);
            None
        } else {
            used.iter()
                .position(|&u| u.saturating_add(need[c]) <= budget)
        };
        let bin = fits.unwrap_or_else(|| {
            plan.loads.push(Load::default());
            used.push(0);
            used.len() - 1
        });
        used[bin] = used[bin].saturating_add(need[c]);
        plan.put(c, bin, &components[c], rows[c]);
    }
    if plan.loads.is_empty() {
        plan.loads.push(Load::default());
    }
    oversized.sort_unstable();
    (plan, oversized)
}

impl Plan {
    fn put(&mut self, c: usize, bin: usize, comp: &Component, rows: u64) {
        self.bin_of[c] = bin;
        let load = &mut self.loads[bin];
        load.components += 1;
        load.accounts += comp.accounts.len();
        load.usage_rows += rows;
    }

    /// Which resources' usage rows bin `bin` keeps, by resource index.
    pub fn keep(&self, components: &[Component], resources: usize, bin: usize) -> Vec<bool> {
        let mut keep = vec![false; resources];
        for (c, comp) in components.iter().enumerate() {
            if self.bin_of[c] == bin {
                for r in &comp.resources {
                    keep[r.index()] = true;
                }
            }
        }
        keep
    }

    /// The components of bin `bin`, in component order.
    pub fn members(&self, bin: usize) -> Vec<usize> {
        (0..self.bin_of.len())
            .filter(|&c| self.bin_of[c] == bin)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, ResourceId};

    fn comps(n: usize) -> Vec<Component> {
        (0..n)
            .map(|i| Component {
                accounts: vec![AccountId(i as u32)],
                resources: vec![ResourceId(i as u32)],
                events: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn largest_first_to_the_least_loaded_ties_by_component_order() {
        let c = comps(5);
        let plan = shards(&c, &[5, 9, 5, 1, 3], 2);
        // c1 (9) → 0; c0 (5) → 1; c2 (5) → 1 (10 < 9 + 5); c4 (3) → 0 (12); c3 (1) → 1.
        assert_eq!(plan.bin_of, vec![1, 0, 1, 1, 0]);
        assert_eq!(plan.loads[0].usage_rows, 12);
        assert_eq!(plan.loads[1].usage_rows, 11);
        assert_eq!(plan.loads[1].components, 3);
    }

    #[test]
    fn more_shards_than_components_leaves_shards_empty() {
        let c = comps(2);
        let plan = shards(&c, &[1, 1], 3);
        assert_eq!(plan.bin_of, vec![0, 1]);
        assert_eq!(plan.loads[2], Load::default());
    }

    #[test]
    fn groups_fill_up_to_the_budget_and_a_large_component_goes_alone() {
        let c = comps(4);
        let (plan, big) = groups(&c, &[4, 4, 20, 3], 10, |_, rows| rows);
        // c2 (20) alone; c0 and c1 (4 + 4); c3 (3) does not fit beside them (11 > 10).
        assert_eq!(plan.bin_of, vec![1, 1, 0, 2]);
        assert_eq!(big, vec![2]);
        assert_eq!(plan.keep(&c, 4, 1), vec![true, true, false, false]);
        assert_eq!(plan.loads[1].usage_rows, 8);
    }

    #[test]
    fn groups_are_packed_largest_first_into_the_first_that_fits() {
        // In component order the groups would be {6}, {5, 5}, {4}; largest first, the 4
        // goes back beside the 6: two full groups.
        let c = comps(4);
        let (plan, big) = groups(&c, &[6, 5, 5, 4], 10, |_, rows| rows);
        assert_eq!(plan.bin_of, vec![0, 1, 1, 0]);
        assert_eq!(plan.loads.len(), 2);
        assert!(plan.loads.iter().all(|l| l.usage_rows == 10));
        assert!(big.is_empty());
        // Equal sizes keep component order.
        let (plan, _) = groups(&comps(3), &[5, 5, 5], 10, |_, rows| rows);
        assert_eq!(plan.bin_of, vec![0, 0, 1]);
    }
}

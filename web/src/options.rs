//! Choosing a dish's options: which groups it asks, how each group's rule reads, what the
//! customer may tick next, and what the choice costs. Pure, so it is tested natively; the dialog
//! only renders it.
//!
//! The server checks every rule again when the order arrives (422 `options_below_min`, ...):
//! this is what lets the customer see the rule before that, never a substitute for it.

use uuid::Uuid;

use chameleon_wire::{StoreMenu, StoreMenuItem, StoreOption, StoreOptionGroup};

/// The groups `item` asks, in its order. A group the menu does not list is left out: the
/// server then refuses the order with its own explanation rather than the page guessing.
pub fn groups_of<'a>(menu: &'a StoreMenu, item: &StoreMenuItem) -> Vec<&'a StoreOptionGroup> {
    item.option_group_ids
        .iter()
        .filter_map(|id| menu.option_groups.iter().find(|g| g.id == *id))
        .collect()
}

/// The fewest options the group takes.
pub fn min(group: &StoreOptionGroup) -> usize {
    usize::try_from(group.min).unwrap_or(0)
}

/// The most options the group takes (never fewer than its minimum).
pub fn max(group: &StoreOptionGroup) -> usize {
    usize::try_from(group.max).unwrap_or(0).max(min(group))
}

/// One option at most: radio buttons rather than checkboxes.
pub fn is_single(group: &StoreOptionGroup) -> bool {
    max(group) <= 1
}

/// The group's legend: "Size: choose 1", "Toppings: up to 3", "Base: choose 1 to 2".
pub fn legend(group: &StoreOptionGroup) -> String {
    let (min, max) = (min(group), max(group));
    let rule = if min == max {
        format!("choose {min}")
    } else if min == 0 {
        format!("up to {max}")
    } else {
        format!("choose {min} to {max}")
    };
    format!("{}: {rule}", group.name)
}

/// The options chosen so far, in the order they were ticked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choice(Vec<Uuid>);

impl Choice {
    pub fn has(&self, option: Uuid) -> bool {
        self.0.contains(&option)
    }

    /// How many of `group`'s options are chosen.
    pub fn count_in(&self, group: &StoreOptionGroup) -> usize {
        group.options.iter().filter(|o| self.has(o.id)).count()
    }

    /// The choice once `option` of `group` is ticked (`on`) or unticked. In a single-choice
    /// group the new option replaces the old; elsewhere ticking past the group's maximum, or an
    /// option that is sold out, changes nothing.
    pub fn ticked(&self, group: &StoreOptionGroup, option: &StoreOption, on: bool) -> Choice {
        let mut chosen = self.0.clone();
        if !on {
            chosen.retain(|id| *id != option.id);
        } else if option.available && !self.has(option.id) {
            if is_single(group) {
                chosen.retain(|id| !group.options.iter().any(|o| o.id == *id));
                chosen.push(option.id);
            } else if self.count_in(group) < max(group) {
                chosen.push(option.id);
            }
        }
        Choice(chosen)
    }

    /// Empties `group` (the "None" of an optional single choice).
    pub fn cleared(&self, group: &StoreOptionGroup) -> Choice {
        Choice(
            self.0
                .iter()
                .copied()
                .filter(|id| !group.options.iter().any(|o| o.id == *id))
                .collect(),
        )
    }

    /// The chosen options of `groups`, in the menu's order (group by group).
    pub fn options<'a>(&self, groups: &[&'a StoreOptionGroup]) -> Vec<&'a StoreOption> {
        groups
            .iter()
            .flat_map(|g| g.options.iter())
            .filter(|o| self.has(o.id))
            .collect()
    }

    /// Why the dish cannot be added yet: the first group short of its minimum ("Choose a
    /// Size"); `None` when every group's minimum is met.
    pub fn missing(&self, groups: &[&StoreOptionGroup]) -> Option<String> {
        let group = groups.iter().find(|g| self.count_in(g) < min(g))?;
        let available = group.options.iter().filter(|o| o.available).count();
        Some(if available < min(group) {
            format!("Not enough {} options are available right now", group.name)
        } else if min(group) == 1 {
            format!("Choose {} {}", article(&group.name), group.name)
        } else {
            format!("Choose at least {} in {}", min(group), group.name)
        })
    }
}

/// "a" or "an", by the word's first letter: enough for a group's name.
fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The price of one `item` with `options`: its price plus every option's delta. `None` if that
/// does not fit (no real menu gets there; the page then shows no price rather than a wrong one).
pub fn unit_price(item: &StoreMenuItem, options: &[&StoreOption]) -> Option<i64> {
    options
        .iter()
        .try_fold(item.price, |sum, o| sum.checked_add(o.price_delta))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn option(n: u128, delta: i64) -> StoreOption {
        StoreOption {
            id: Uuid::from_u128(n),
            name: format!("option {n}"),
            price_delta: delta,
            available: true,
        }
    }

    pub fn group(
        n: u128,
        name: &str,
        min: i64,
        max: i64,
        options: Vec<StoreOption>,
    ) -> StoreOptionGroup {
        StoreOptionGroup {
            id: Uuid::from_u128(n),
            name: name.into(),
            min,
            max,
            options,
        }
    }

    pub fn item(n: u128, price: i64, groups: &[&StoreOptionGroup]) -> StoreMenuItem {
        StoreMenuItem {
            id: Uuid::from_u128(n),
            name: format!("item {n}"),
            price,
            category_id: None,
            description: None,
            image_url: None,
            tags: Vec::new(),
            option_group_ids: groups.iter().map(|g| g.id).collect(),
            is_available: true,
            sold_out_until: None,
            available: true,
            available_from: None,
        }
    }

    #[test]
    fn legends_state_each_group_s_rule() {
        assert_eq!(legend(&group(1, "Size", 1, 1, vec![])), "Size: choose 1");
        assert_eq!(
            legend(&group(1, "Toppings", 0, 3, vec![])),
            "Toppings: up to 3"
        );
        assert_eq!(
            legend(&group(1, "Base", 1, 2, vec![])),
            "Base: choose 1 to 2"
        );
        assert_eq!(legend(&group(1, "Dips", 2, 2, vec![])), "Dips: choose 2");
        // A maximum below the minimum is read as the minimum.
        assert_eq!(legend(&group(1, "Odd", 2, 0, vec![])), "Odd: choose 2");
    }

    #[test]
    fn groups_of_at_most_one_are_single_choices() {
        assert!(is_single(&group(1, "Size", 1, 1, vec![])));
        assert!(is_single(&group(1, "Sauce", 0, 1, vec![])));
        assert!(!is_single(&group(1, "Toppings", 0, 3, vec![])));
    }

    #[test]
    fn a_single_choice_replaces_the_previous_one() {
        let size = group(1, "Size", 1, 1, vec![option(10, 0), option(11, 250)]);
        let c = Choice::default().ticked(&size, &size.options[0], true);
        let c = c.ticked(&size, &size.options[1], true);
        assert!(!c.has(Uuid::from_u128(10)));
        assert!(c.has(Uuid::from_u128(11)));
        assert_eq!(c.count_in(&size), 1);
    }

    #[test]
    fn a_multiple_choice_stops_at_its_maximum_and_untick_frees_a_place() {
        let toppings = group(
            2,
            "Toppings",
            0,
            2,
            (20..24).map(|n| option(n, 100)).collect(),
        );
        let c = toppings
            .options
            .iter()
            .fold(Choice::default(), |c, o| c.ticked(&toppings, o, true));
        assert_eq!(
            c.count_in(&toppings),
            2,
            "the third and fourth were refused"
        );
        let c = c.ticked(&toppings, &toppings.options[0], false);
        let c = c.ticked(&toppings, &toppings.options[3], true);
        assert!(c.has(Uuid::from_u128(23)));
        assert_eq!(c.count_in(&toppings), 2);
    }

    #[test]
    fn a_sold_out_option_cannot_be_chosen() {
        let mut gone = option(30, 0);
        gone.available = false;
        let sauce = group(3, "Sauce", 0, 1, vec![gone]);
        let c = Choice::default().ticked(&sauce, &sauce.options[0], true);
        assert_eq!(c, Choice::default());
    }

    #[test]
    fn the_missing_minimum_is_named_until_every_group_has_it() {
        let size = group(1, "Size", 1, 1, vec![option(10, 0), option(11, 250)]);
        let extras = group(2, "Extras", 1, 3, vec![option(20, 50), option(21, 60)]);
        let dips = group(3, "Dips", 2, 3, vec![option(30, 0), option(31, 0)]);
        let groups = [&size, &extras, &dips];
        let c = Choice::default();
        assert_eq!(c.missing(&groups).as_deref(), Some("Choose a Size"));
        let c = c.ticked(&size, &size.options[1], true);
        assert_eq!(c.missing(&groups).as_deref(), Some("Choose an Extras"));
        let c = c.ticked(&extras, &extras.options[0], true);
        assert_eq!(
            c.missing(&groups).as_deref(),
            Some("Choose at least 2 in Dips")
        );
        let c = c
            .ticked(&dips, &dips.options[0], true)
            .ticked(&dips, &dips.options[1], true);
        assert_eq!(c.missing(&groups), None);
    }

    #[test]
    fn a_minimum_the_available_options_cannot_meet_says_so() {
        let mut gone = option(10, 0);
        gone.available = false;
        let size = group(1, "Size", 1, 1, vec![gone]);
        assert_eq!(
            Choice::default().missing(&[&size]).as_deref(),
            Some("Not enough Size options are available right now")
        );
    }

    #[test]
    fn the_unit_price_adds_every_delta_negative_ones_too() {
        let size = group(1, "Size", 1, 1, vec![option(10, -200), option(11, 250)]);
        let extras = group(2, "Extras", 0, 3, vec![option(20, 50), option(21, 60)]);
        let pizza = item(1, 900, &[&size, &extras]);
        let groups = [&size, &extras];
        let c = Choice::default()
            .ticked(&extras, &extras.options[1], true)
            .ticked(&size, &size.options[0], true);
        let chosen = c.options(&groups);
        let ids: Vec<u128> = chosen.iter().map(|o| o.id.as_u128()).collect();
        assert_eq!(ids, [10, 21], "in the menu's order, not the ticking order");
        assert_eq!(unit_price(&pizza, &chosen), Some(900 - 200 + 60));
        assert_eq!(unit_price(&item(2, i64::MAX, &[]), &[&option(1, 1)]), None);
    }

    #[test]
    fn an_item_s_groups_come_in_its_order_and_unknown_ones_are_left_out() {
        let size = group(1, "Size", 1, 1, vec![]);
        let extras = group(2, "Extras", 0, 3, vec![]);
        let mut pizza = item(1, 900, &[&extras, &size]);
        pizza.option_group_ids.push(Uuid::from_u128(99));
        let menu = StoreMenu {
            categories: Vec::new(),
            items: vec![pizza.clone()],
            option_groups: vec![size.clone(), extras.clone()],
        };
        let names: Vec<&str> = groups_of(&menu, &pizza)
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        assert_eq!(names, ["Extras", "Size"]);
    }
}

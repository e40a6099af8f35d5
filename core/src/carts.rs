//! Random menus and carts, and a reference pricing written apart from [`NewOrder::price`]: the
//! property test in core places thousands of carts against it, and the port contract places a
//! sample on every adapter (PostgreSQL included).
//!
//! The reference reads the rules from the wording, not from the pricing code: an option
//! named twice on a line refuses the order at that line before anything else; lines with the
//! same item and the same set of options are one line (quantities added, at the first line sent);
//! then, line by line: the item must exist and not be sold out, each option chosen must belong
//! to one of the item's groups and not be sold out, each group must get from `min` to `max`
//! options; the unit price is the item's price plus every chosen option's delta.
//!
//! [`NewOrder::price`]: crate::order::NewOrder::price

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use crate::menu::{MenuItem, MenuItemId, MenuItemName, NewMenuItem, PriceCents};
use crate::options::{
    OptionChoice, OptionGroup, OptionGroupId, OptionGroupName, OptionId, OptionName, PriceDelta,
    SoldOut,
};

/// The seed of the cases: core's property test prices 500 menus of 20 carts from it, and the
/// port contract places the first [`CONTRACT_MENUS`] of the same menus and carts on an adapter.
pub const SEED: u64 = 20261207;

/// Carts drawn per menu.
pub const CARTS_PER_MENU: usize = 20;

/// The menus (of [`CARTS_PER_MENU`] carts each) the port contract places.
pub const CONTRACT_MENUS: usize = 8;

/// The instant the cases are priced at (what "sold out until" is judged against).
pub fn cases_now() -> Timestamp {
    Timestamp::constant(1_796_670_000, 0)
}

/// SplitMix64: small, seeded, the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.next_u64() % span).unwrap_or(0)
    }

    /// True `percent` times in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.next_u64(), self.next_u64())
    }
}

/// Sold out now, sold out until it has passed, sold out until later, or not at all, as seen
/// at `now`.
fn sold_out(rng: &mut Rng, now: Timestamp) -> Option<SoldOut> {
    match rng.range(0, 9) {
        0 => Some(SoldOut::Indefinitely),
        1 => Some(SoldOut::Until(now - SignedDuration::from_mins(5))),
        2 => Some(SoldOut::Until(now + SignedDuration::from_hours(2))),
        _ => None,
    }
}

/// A random menu: 2 to 5 groups (0 to 2 required choices, up to 3 allowed, 1 to 5 options with
/// deltas from -100 to 500) and 3 to 6 items offering 0 to 3 of them, priced so no choice is
/// below 0; some items and options are sold out, some until a time before or after `now`.
pub fn random_menu(rng: &mut Rng, now: Timestamp) -> (Vec<MenuItem>, Vec<OptionGroup>) {
    let groups: Vec<OptionGroup> = (0..rng.range(2, 5))
        .map(|g| {
            let count = rng.range(1, 5);
            let min = rng.range(0, 2.min(count));
            let max = rng.range(min.max(1), 3);
            OptionGroup {
                id: OptionGroupId::from_uuid(rng.uuid()),
                name: OptionGroupName::parse(&format!("Group {g}")).expect("a name"),
                min: u8::try_from(min).unwrap_or(0),
                max: u8::try_from(max).unwrap_or(1),
                options: (0..count)
                    .map(|o| OptionChoice {
                        id: OptionId::from_uuid(rng.uuid()),
                        name: OptionName::parse(&format!("Option {g}.{o}")).expect("a name"),
                        price_delta: PriceDelta::try_from(rng.range(-100, 500)).expect("a delta"),
                        sold_out: if rng.chance(25) {
                            sold_out(rng, now)
                        } else {
                            None
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    let items = (0..rng.range(3, 6))
        .map(|n| {
            let offered: Vec<OptionGroupId> = groups
                .iter()
                .filter(|_| rng.chance(40))
                .take(3)
                .map(|g| g.id)
                .collect();
            let mut item = NewMenuItem {
                option_groups: offered,
                ..NewMenuItem::plain(
                    MenuItemName::parse(&format!("Item {n}")).expect("a name"),
                    PriceCents::try_from(rng.range(1_000, 2_000)).expect("a price"),
                )
            }
            .with_id(MenuItemId::from_uuid(rng.uuid()));
            if rng.chance(30) {
                item.set_sold_out(sold_out(rng, now));
            }
            item
        })
        .collect();
    (items, groups)
}

/// One line of a cart as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub item: MenuItemId,
    pub qty: u8,
    pub options: Vec<OptionId>,
}

/// A random cart over `items` and `groups`: 1 to 5 lines, mostly of the menu's items with a
/// plausible choice of options, sometimes an unknown item, a foreign or unknown option, an
/// option twice, a line repeated with its options in another order.
pub fn random_cart(rng: &mut Rng, items: &[MenuItem], groups: &[OptionGroup]) -> Vec<CartLine> {
    let mut cart: Vec<CartLine> = Vec::new();
    for _ in 0..rng.range(1, 5) {
        if !cart.is_empty() && rng.chance(15) {
            // The same choice again, listed in another order.
            let mut again = cart[rng.range(0, cart.len() as i64 - 1) as usize].clone();
            again.options.reverse();
            again.qty = u8::try_from(rng.range(1, 3)).unwrap_or(1);
            cart.push(again);
            continue;
        }
        let item = if rng.chance(3) {
            MenuItemId::from_uuid(rng.uuid())
        } else {
            items[rng.range(0, items.len() as i64 - 1) as usize].id
        };
        let mut options = Vec::new();
        if let Some(known) = items.iter().find(|i| i.id == item) {
            for group in groups
                .iter()
                .filter(|g| known.option_groups.contains(&g.id))
            {
                // Mostly within the group's bounds, sometimes one short or one over.
                let wanted = rng.range(i64::from(group.min) - 1, i64::from(group.max) + 1);
                let wanted = if rng.chance(70) {
                    wanted.clamp(i64::from(group.min), i64::from(group.max))
                } else {
                    wanted
                };
                let mut pool: Vec<OptionId> = group.options.iter().map(|o| o.id).collect();
                for _ in 0..wanted.clamp(0, pool.len() as i64) {
                    let at = rng.range(0, pool.len() as i64 - 1) as usize;
                    options.push(pool.remove(at));
                }
            }
        }
        if rng.chance(4) {
            // An option of some group, maybe not this item's.
            let group = &groups[rng.range(0, groups.len() as i64 - 1) as usize];
            options.push(group.options[0].id);
        }
        if rng.chance(2) {
            options.push(OptionId::from_uuid(rng.uuid()));
        }
        if !options.is_empty() && rng.chance(3) {
            options.push(options[0]);
        }
        cart.push(CartLine {
            item,
            qty: u8::try_from(rng.range(1, 4)).unwrap_or(1),
            options,
        });
    }
    cart
}

/// Why the reference refuses a cart, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    DuplicateOption { line: usize },
    UnknownItem { line: usize },
    ItemUnavailable { line: usize },
    UnknownOption { line: usize },
    OptionUnavailable { line: usize, group: OptionGroupId },
    BelowMin { line: usize, group: OptionGroupId },
    AboveMax { line: usize, group: OptionGroupId },
}

/// What the reference makes of a cart: the lines as stored (item, quantity, unit price, the
/// options in the item's group order), and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub lines: Vec<(MenuItemId, u8, i64, Vec<OptionId>)>,
    pub total: i64,
}

/// The reference pricing (see the module documentation).
pub fn reference_price(
    cart: &[CartLine],
    items: &[MenuItem],
    groups: &[OptionGroup],
    now: Timestamp,
) -> Result<Priced, Refusal> {
    for (line, sent) in cart.iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        if sent.options.iter().any(|o| !seen.insert(*o)) {
            return Err(Refusal::DuplicateOption { line });
        }
    }
    // (first line sent, item, option set, quantity)
    let mut merged: Vec<(usize, MenuItemId, Vec<OptionId>, u32)> = Vec::new();
    for (line, sent) in cart.iter().enumerate() {
        let mut set = sent.options.clone();
        set.sort();
        match merged
            .iter_mut()
            .find(|(_, item, options, _)| *item == sent.item && *options == set)
        {
            Some(entry) => entry.3 += u32::from(sent.qty),
            None => merged.push((line, sent.item, set, u32::from(sent.qty))),
        }
    }
    let blocked = |s: Option<SoldOut>| match s {
        Some(SoldOut::Indefinitely) => true,
        Some(SoldOut::Until(until)) => now < until,
        None => false,
    };
    let mut lines = Vec::new();
    let mut total = 0;
    for (line, id, chosen, qty) in merged {
        let item = items
            .iter()
            .find(|i| i.id == id)
            .ok_or(Refusal::UnknownItem { line })?;
        if blocked(item.sold_out()) {
            return Err(Refusal::ItemUnavailable { line });
        }
        let offered: HashMap<OptionId, (&OptionGroup, &OptionChoice)> = item
            .option_groups
            .iter()
            .filter_map(|g| groups.iter().find(|group| group.id == *g))
            .flat_map(|g| g.options.iter().map(move |o| (o.id, (g, o))))
            .collect();
        let mut per_group: HashMap<OptionGroupId, u32> = HashMap::new();
        let mut unit = i64::from(item.price.cents());
        for option in &chosen {
            let (group, choice) = offered.get(option).ok_or(Refusal::UnknownOption { line })?;
            if blocked(choice.sold_out) {
                return Err(Refusal::OptionUnavailable {
                    line,
                    group: group.id,
                });
            }
            *per_group.entry(group.id).or_default() += 1;
            unit += choice.price_delta.cents();
        }
        let mut in_order = Vec::new();
        for group in item
            .option_groups
            .iter()
            .filter_map(|g| groups.iter().find(|group| group.id == *g))
        {
            let count = per_group.get(&group.id).copied().unwrap_or(0);
            if count < u32::from(group.min) {
                return Err(Refusal::BelowMin {
                    line,
                    group: group.id,
                });
            }
            if count > u32::from(group.max) {
                return Err(Refusal::AboveMax {
                    line,
                    group: group.id,
                });
            }
            in_order.extend(
                group
                    .options
                    .iter()
                    .filter(|o| chosen.contains(&o.id))
                    .map(|o| o.id),
            );
        }
        total += unit * i64::from(qty);
        lines.push((id, u8::try_from(qty).unwrap_or(u8::MAX), unit, in_order));
    }
    Ok(Priced { lines, total })
}

/// The order request a cart makes, or where the lines themselves are refused.
pub fn request(cart: &[CartLine]) -> Result<crate::order::OrderRequest, Refusal> {
    use crate::order::{CustomerName, OrderLines, OrderLinesError, OrderRequest, Quantity};
    let lines = OrderLines::parse_with_options(cart.iter().map(|line| {
        (
            line.item,
            Quantity::try_from(i64::from(line.qty)).expect("a quantity"),
            line.options.clone(),
        )
    }));
    match lines {
        Ok(lines) => Ok(OrderRequest {
            pickup_at: None,
            customer: CustomerName::parse("Ann").expect("a name"),
            lines,
        }),
        Err(OrderLinesError::DuplicateOption { line, .. }) => {
            Err(Refusal::DuplicateOption { line })
        }
        Err(other) => panic!("a cart the generator should not make: {other}"),
    }
}

/// What core's refusal of an order says, as the reference says it.
pub fn refusal_of(rejection: &crate::order::OrderRejection) -> Option<Refusal> {
    use crate::order::OrderRejection as R;
    Some(match *rejection {
        R::UnknownItem { line, .. } => Refusal::UnknownItem { line },
        R::UnavailableItem { line, .. } => Refusal::ItemUnavailable { line },
        R::UnknownOption { line, .. } => Refusal::UnknownOption { line },
        R::UnavailableOption { line, group, .. } => Refusal::OptionUnavailable { line, group },
        R::OptionsBelowMin { line, group, .. } => Refusal::BelowMin { line, group },
        R::OptionsAboveMax { line, group, .. } => Refusal::AboveMax { line, group },
        R::Closed { .. }
        | R::TotalOverflow
        | R::NotAccepting
        | R::ClosingSoon { .. }
        | R::SlotFull { .. }
        | R::SlotInvalid(_) => return None,
    })
}

/// The lines of a placed order as the reference writes them.
pub fn priced_lines(
    items: &[crate::order::OrderItem],
) -> Vec<(MenuItemId, u8, i64, Vec<OptionId>)> {
    items
        .iter()
        .map(|line| {
            (
                line.id,
                line.qty.get(),
                line.unit_price,
                line.options.iter().map(|o| o.id).collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{NewOrder, PricingClock, Stock};

    /// 10,000 random carts over 500 random menus: core prices each exactly as the reference
    /// does, refuses each the reference refuses with the same refusal at the same line, and
    /// every kind of outcome comes up.
    #[test]
    fn random_carts_are_priced_as_the_reference_prices_them() {
        let now: Timestamp = "2026-12-07T19:00:00Z".parse().unwrap();
        let zone = jiff::tz::TimeZone::UTC;
        let clock = PricingClock {
            at: now,
            zone: &zone,
        };
        let mut rng = Rng::new(20261207);
        let mut outcomes: HashMap<String, usize> = HashMap::new();
        for _ in 0..500 {
            let (items, groups) = random_menu(&mut rng, now);
            crate::options::check_offer(&items, &groups).expect("menus price at 0 or more");
            let stock = Stock {
                items: items.clone(),
                groups: groups.clone(),
                categories: Vec::new(),
            };
            for _ in 0..CARTS_PER_MENU {
                let cart = random_cart(&mut rng, &items, &groups);
                let expected = reference_price(&cart, &items, &groups, now);
                let actual = request(&cart).and_then(|order| {
                    NewOrder::price(&order, &stock, &clock)
                        .map(|new| Priced {
                            lines: priced_lines(new.items()),
                            total: new.total_cents(),
                        })
                        .map_err(|e| refusal_of(&e).expect("a refusal the reference knows"))
                });
                assert_eq!(actual, expected, "{cart:?}");
                let kind = match &expected {
                    Ok(_) => "placed".to_owned(),
                    Err(refusal) => format!("{refusal:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap()
                        .to_owned(),
                };
                *outcomes.entry(kind).or_default() += 1;
            }
        }
        for kind in [
            "placed",
            "DuplicateOption",
            "UnknownItem",
            "ItemUnavailable",
            "UnknownOption",
            "OptionUnavailable",
            "BelowMin",
            "AboveMax",
        ] {
            assert!(
                outcomes.get(kind).copied().unwrap_or(0) >= 50,
                "{kind} came up too rarely to say much: {outcomes:?}"
            );
        }
        assert_eq!(outcomes.values().sum::<usize>(), 10_000);
    }
}

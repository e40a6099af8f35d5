//! The cart as a pure reducer: `Add`, `Remove`, `SetQty`, `Clear`, and `Refresh` when the menu
//! is read again.
//!
//! A line is an item with a set of options: the same item with the same options (in whatever
//! order they were ticked) is one line, with other options another.

use std::rc::Rc;

use chameleon_wire::{OrderLine, PlaceOrder, StoreMenu, StoreMenuItem, StoreOption};
use uuid::Uuid;
use yew::Reducible;

/// The most of one item a line may hold (the API's limit, from core's rules).
pub const MAX_QTY: u8 = chameleon_rules::numbers::QUANTITY.max as u8;
/// The most lines an order may hold (the API's limit, from core's rules).
pub const MAX_LINES: usize = chameleon_rules::numbers::ORDER_LINES.max as usize;

/// What makes a line: the item and its options' ids, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineKey {
    pub item: Uuid,
    pub options: Vec<Uuid>,
}

impl LineKey {
    fn of(item: &StoreMenuItem, options: &[StoreOption]) -> LineKey {
        let mut ids: Vec<Uuid> = options.iter().map(|o| o.id).collect();
        ids.sort_unstable();
        ids.dedup();
        LineKey {
            item: item.id,
            options: ids,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub item: StoreMenuItem,
    /// The chosen options, in the menu's order (as they are shown).
    pub options: Vec<StoreOption>,
    pub qty: u8,
}

impl CartLine {
    pub fn key(&self) -> LineKey {
        LineKey::of(&self.item, &self.options)
    }

    /// The price of one: the item's with every option's delta.
    pub fn unit_price(&self) -> i64 {
        self.options
            .iter()
            .try_fold(self.item.price, |sum, o| sum.checked_add(o.price_delta))
            .unwrap_or(i64::MAX)
    }

    pub fn total(&self) -> i64 {
        self.unit_price().saturating_mul(i64::from(self.qty))
    }

    /// "Pizza (Large, Olives)": how the line is named to the customer.
    pub fn label(&self) -> String {
        if self.options.is_empty() {
            return self.item.name.clone();
        }
        format!("{} ({})", self.item.name, self.option_names())
    }

    /// "Large, Olives".
    pub fn option_names(&self) -> String {
        let names: Vec<&str> = self.options.iter().map(|o| o.name.as_str()).collect();
        names.join(", ")
    }

    /// Whether the restaurant can make it now: the item and every chosen option available.
    pub fn orderable(&self) -> bool {
        self.item.available && self.options.iter().all(|o| o.available)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cart {
    lines: Vec<CartLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CartAction {
    /// `qty` more of this item with these options (a new line, or added to the same line up
    /// to 99). An item that is not available now is never added.
    Add {
        item: StoreMenuItem,
        options: Vec<StoreOption>,
        qty: u8,
    },
    /// Drop the line.
    Remove(LineKey),
    /// Set the line's quantity, kept within 1 to 99.
    SetQty(LineKey, u8),
    Clear,
    /// The menu was read again: each line takes its item's and options' current price and
    /// availability. A line whose item or option is gone is kept, marked not available, so the
    /// customer sees what happened rather than a line vanishing.
    Refresh(Rc<StoreMenu>),
}

impl Cart {
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Items in the cart, counting quantities.
    pub fn count(&self) -> u32 {
        self.lines.iter().map(|l| u32::from(l.qty)).sum()
    }

    /// Whether every line can be ordered now.
    pub fn orderable(&self) -> bool {
        self.lines.iter().all(CartLine::orderable)
    }

    /// What the cart costs at the prices shown. The server recomputes it from its own prices;
    /// this is what the customer sees before ordering.
    pub fn total_cents(&self) -> i64 {
        self.lines
            .iter()
            .try_fold(0i64, |sum, line| {
                line.unit_price()
                    .checked_mul(i64::from(line.qty))?
                    .checked_add(sum)
            })
            .unwrap_or(i64::MAX)
    }

    pub fn apply(&self, action: CartAction) -> Cart {
        let mut lines = self.lines.clone();
        match action {
            CartAction::Add { item, options, qty } => {
                let key = LineKey::of(&item, &options);
                let qty = qty.clamp(1, MAX_QTY);
                let available = item.available && options.iter().all(|o| o.available);
                match lines.iter().position(|l| l.key() == key) {
                    _ if !available => {}
                    Some(at) => lines[at].qty = lines[at].qty.saturating_add(qty).min(MAX_QTY),
                    None if lines.len() < MAX_LINES => lines.push(CartLine { item, options, qty }),
                    None => {}
                }
            }
            CartAction::Remove(key) => lines.retain(|l| l.key() != key),
            CartAction::SetQty(key, qty) => {
                if let Some(line) = lines.iter_mut().find(|l| l.key() == key) {
                    line.qty = qty.clamp(1, MAX_QTY);
                }
            }
            CartAction::Clear => lines.clear(),
            CartAction::Refresh(menu) => {
                for line in &mut lines {
                    refresh(line, &menu);
                }
            }
        }
        Cart { lines }
    }

    /// The order body for this cart, to be picked up at `pickup_at` (a slot's start; `None`: as
    /// soon as possible). Prices are not sent: the server takes them from the menu.
    pub fn to_order(&self, customer: &str, pickup_at: Option<String>) -> PlaceOrder {
        PlaceOrder {
            items: self
                .lines
                .iter()
                .map(|l| OrderLine {
                    id: l.item.id,
                    qty: i64::from(l.qty),
                    options: (!l.options.is_empty())
                        .then(|| l.options.iter().map(|o| o.id).collect()),
                })
                .collect(),
            customer: customer.trim().to_owned(),
            pickup_at,
        }
    }

    /// Each line's name, in the order's order: what a refusal naming a line by its index
    /// refers to.
    pub fn labels(&self) -> Vec<String> {
        self.lines.iter().map(CartLine::label).collect()
    }
}

fn refresh(line: &mut CartLine, menu: &StoreMenu) {
    match menu.items.iter().find(|i| i.id == line.item.id) {
        Some(item) => line.item = item.clone(),
        None => {
            line.item.available = false;
            line.item.available_from = None;
        }
    }
    let offered = |id: Uuid| {
        menu.option_groups
            .iter()
            .filter(|g| line.item.option_group_ids.contains(&g.id))
            .flat_map(|g| g.options.iter())
            .find(|o| o.id == id)
    };
    for option in &mut line.options {
        match offered(option.id) {
            Some(current) => *option = current.clone(),
            None => option.available = false,
        }
    }
}

impl Reducible for Cart {
    type Action = CartAction;

    fn reduce(self: Rc<Self>, action: CartAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::tests::{group, item, option};

    fn add(item: &StoreMenuItem, options: &[&StoreOption]) -> CartAction {
        CartAction::Add {
            item: item.clone(),
            options: options.iter().map(|o| (*o).clone()).collect(),
            qty: 1,
        }
    }

    fn plain(n: u128, price: i64) -> StoreMenuItem {
        item(n, price, &[])
    }

    fn key(n: u128) -> LineKey {
        LineKey {
            item: Uuid::from_u128(n),
            options: Vec::new(),
        }
    }

    fn cart(actions: impl IntoIterator<Item = CartAction>) -> Cart {
        actions
            .into_iter()
            .fold(Cart::default(), |cart, a| cart.apply(a))
    }

    #[test]
    fn adding_an_item_twice_makes_one_line_of_two() {
        let c = cart([
            add(&plain(1, 1200), &[]),
            add(&plain(1, 1200), &[]),
            add(&plain(2, 350), &[]),
        ]);
        let lines: Vec<_> = c.lines().iter().map(|l| (l.item.id, l.qty)).collect();
        assert_eq!(
            lines,
            vec![(Uuid::from_u128(1), 2), (Uuid::from_u128(2), 1)]
        );
        assert_eq!(c.count(), 3);
        assert_eq!(c.total_cents(), 2 * 1200 + 350);
    }

    #[test]
    fn the_same_options_in_any_order_merge_and_other_options_make_another_line() {
        let size = group(1, "Size", 1, 1, vec![option(10, 0), option(11, 250)]);
        let extras = group(2, "Extras", 0, 3, vec![option(20, 50), option(21, 60)]);
        let pizza = item(1, 900, &[&size, &extras]);
        let (large, olives, basil) = (&size.options[1], &extras.options[0], &extras.options[1]);
        let c = cart([
            add(&pizza, &[large, olives, basil]),
            CartAction::Add {
                item: pizza.clone(),
                options: vec![basil.clone(), large.clone(), olives.clone()],
                qty: 2,
            },
            add(&pizza, &[&size.options[0]]),
        ]);
        let lines: Vec<_> = c
            .lines()
            .iter()
            .map(|l| (l.option_names(), l.qty))
            .collect();
        assert_eq!(
            lines,
            [
                ("option 11, option 20, option 21".to_owned(), 3),
                ("option 10".to_owned(), 1)
            ]
        );
        assert_eq!(c.lines()[0].unit_price(), 900 + 250 + 50 + 60);
        assert_eq!(c.total_cents(), 3 * 1260 + 900);
        assert_eq!(c.lines()[1].label(), "item 1 (option 10)");
    }

    #[test]
    fn each_line_is_changed_and_removed_on_its_own() {
        let size = group(1, "Size", 1, 1, vec![option(10, 0), option(11, 250)]);
        let pizza = item(1, 900, &[&size]);
        let c = cart([
            add(&pizza, &[&size.options[0]]),
            add(&pizza, &[&size.options[1]]),
        ]);
        let large = c.lines()[1].key();
        let c = c.apply(CartAction::SetQty(large.clone(), 4));
        assert_eq!(c.lines().iter().map(|l| l.qty).collect::<Vec<_>>(), [1, 4]);
        let c = c.apply(CartAction::Remove(large));
        assert_eq!(c.lines().len(), 1);
        assert_eq!(c.lines()[0].options[0].id, Uuid::from_u128(10));
    }

    #[test]
    fn quantities_stay_between_one_and_ninety_nine() {
        let c = cart([add(&plain(1, 100), &[]), CartAction::SetQty(key(1), 0)]);
        assert_eq!(c.lines()[0].qty, 1);
        let c = c.apply(CartAction::SetQty(key(1), 250));
        assert_eq!(c.lines()[0].qty, 99);
        let c = c.apply(add(&plain(1, 100), &[]));
        assert_eq!(c.lines()[0].qty, 99, "adding past 99 keeps 99");
    }

    #[test]
    fn removing_and_clearing_empty_the_cart() {
        let c = cart([add(&plain(1, 100), &[]), add(&plain(2, 100), &[])]);
        let c = c.apply(CartAction::Remove(key(1)));
        assert_eq!(c.lines().len(), 1);
        assert!(c.apply(CartAction::Clear).is_empty());
        assert_eq!(Cart::default().total_cents(), 0);
    }

    #[test]
    fn setting_the_quantity_of_an_absent_line_changes_nothing() {
        let c = cart([add(&plain(1, 100), &[])]);
        assert_eq!(c.apply(CartAction::SetQty(key(9), 5)), c);
    }

    #[test]
    fn what_is_not_available_is_never_added() {
        let mut gone = plain(1, 100);
        gone.available = false;
        assert!(cart([add(&gone, &[])]).is_empty());
        let mut sold_out = option(10, 0);
        sold_out.available = false;
        let size = group(1, "Size", 1, 1, vec![sold_out]);
        assert!(cart([add(&item(2, 100, &[&size]), &[&size.options[0]])]).is_empty());
    }

    #[test]
    fn a_menu_read_again_marks_what_sold_out_and_takes_new_prices() {
        let size = group(1, "Size", 1, 1, vec![option(10, 0), option(11, 250)]);
        let pizza = item(1, 900, &[&size]);
        let c = cart([
            add(&pizza, &[&size.options[1]]),
            add(&plain(2, 300), &[]),
            add(&plain(3, 400), &[]),
        ]);
        let mut now_size = size.clone();
        now_size.options[1].available = false;
        now_size.options[1].price_delta = 300;
        let mut now_soup = plain(2, 350);
        now_soup.available = false;
        now_soup.available_from = Some("2030-01-01T14:30:00Z".into());
        let menu = StoreMenu {
            categories: Vec::new(),
            // Item 3 is no longer on the menu at all.
            items: vec![pizza.clone(), now_soup],
            option_groups: vec![now_size],
        };
        let c = c.apply(CartAction::Refresh(Rc::new(menu)));
        let orderable: Vec<bool> = c.lines().iter().map(CartLine::orderable).collect();
        assert_eq!(orderable, [false, false, false]);
        assert!(!c.orderable());
        assert_eq!(c.lines()[0].unit_price(), 1200, "the new delta");
        assert_eq!(c.lines()[1].item.price, 350, "the new price");
        assert_eq!(c.lines().len(), 3, "nothing vanishes");
    }

    #[test]
    fn the_order_sends_ids_quantities_and_options_and_a_trimmed_name_but_no_prices() {
        let size = group(1, "Size", 1, 1, vec![option(10, 0), option(11, 250)]);
        let pizza = item(1, 900, &[&size]);
        let c = cart([
            add(&plain(2, 1200), &[]),
            add(&plain(2, 1200), &[]),
            add(&pizza, &[&size.options[1]]),
        ]);
        let order = c.to_order("  Ann ", None);
        assert_eq!(order.customer, "Ann");
        assert_eq!(order.pickup_at, None, "as soon as possible");
        assert_eq!(
            order.items,
            vec![
                OrderLine {
                    id: Uuid::from_u128(2),
                    qty: 2,
                    options: None,
                },
                OrderLine {
                    id: Uuid::from_u128(1),
                    qty: 1,
                    options: Some(vec![Uuid::from_u128(11)]),
                }
            ]
        );
        let json = serde_json::to_string(&order).unwrap();
        assert!(!json.contains("price"), "{json}");
        assert_eq!(c.labels(), ["item 2", "item 1 (option 11)"]);
    }
}

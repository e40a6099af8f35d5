//! The cart as a pure reducer: `Add`, `Remove`, `SetQty`, `Clear`.

use std::rc::Rc;

use chameleon_wire::{MenuItem, OrderLine, PlaceOrder};
use uuid::Uuid;
use yew::Reducible;

/// The most of one item a line may hold (the API's limit, from core's rules).
pub const MAX_QTY: u8 = chameleon_rules::numbers::QUANTITY.max as u8;
/// The most lines an order may hold (the API's limit, from core's rules).
pub const MAX_LINES: usize = chameleon_rules::numbers::ORDER_LINES.max as usize;

#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub item: MenuItem,
    pub qty: u8,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cart {
    lines: Vec<CartLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CartAction {
    /// One more of this item (a new line with 1, or +1 up to 99).
    Add(MenuItem),
    /// Drop the item's line.
    Remove(Uuid),
    /// Set the line's quantity, kept within 1 to 99.
    SetQty(Uuid, u8),
    Clear,
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

    /// What the cart costs at the prices shown. The server recomputes it from its own prices;
    /// this is what the customer sees before ordering.
    pub fn total_cents(&self) -> i64 {
        self.lines
            .iter()
            .try_fold(0i64, |sum, line| {
                line.item
                    .price
                    .checked_mul(i64::from(line.qty))?
                    .checked_add(sum)
            })
            .unwrap_or(i64::MAX)
    }

    pub fn apply(&self, action: CartAction) -> Cart {
        let mut lines = self.lines.clone();
        match action {
            CartAction::Add(item) => match lines.iter().position(|l| l.item.id == item.id) {
                Some(at) => lines[at].qty = lines[at].qty.saturating_add(1).min(MAX_QTY),
                None if lines.len() < MAX_LINES => lines.push(CartLine { item, qty: 1 }),
                None => {}
            },
            CartAction::Remove(id) => lines.retain(|l| l.item.id != id),
            CartAction::SetQty(id, qty) => {
                if let Some(line) = lines.iter_mut().find(|l| l.item.id == id) {
                    line.qty = qty.clamp(1, MAX_QTY);
                }
            }
            CartAction::Clear => lines.clear(),
        }
        Cart { lines }
    }

    /// The order body for this cart. Prices are not sent: the server takes them from the menu.
    pub fn to_order(&self, customer: &str) -> PlaceOrder {
        PlaceOrder {
            items: self
                .lines
                .iter()
                .map(|l| OrderLine {
                    id: l.item.id,
                    qty: i64::from(l.qty),
                })
                .collect(),
            customer: customer.trim().to_owned(),
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

    fn item(n: u128, price: i64) -> MenuItem {
        MenuItem {
            id: Uuid::from_u128(n),
            name: format!("item {n}"),
            price,
            is_available: true,
            category_id: None,
            description: None,
            image_url: None,
            tags: Vec::new(),
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
            CartAction::Add(item(1, 1200)),
            CartAction::Add(item(1, 1200)),
            CartAction::Add(item(2, 350)),
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
    fn quantities_stay_between_one_and_ninety_nine() {
        let id = Uuid::from_u128(1);
        let c = cart([CartAction::Add(item(1, 100)), CartAction::SetQty(id, 0)]);
        assert_eq!(c.lines()[0].qty, 1);
        let c = c.apply(CartAction::SetQty(id, 250));
        assert_eq!(c.lines()[0].qty, 99);
        let c = c.apply(CartAction::Add(item(1, 100)));
        assert_eq!(c.lines()[0].qty, 99, "adding past 99 keeps 99");
    }

    #[test]
    fn removing_and_clearing_empty_the_cart() {
        let c = cart([CartAction::Add(item(1, 100)), CartAction::Add(item(2, 100))]);
        let c = c.apply(CartAction::Remove(Uuid::from_u128(1)));
        assert_eq!(c.lines().len(), 1);
        assert!(c.apply(CartAction::Clear).is_empty());
        assert_eq!(Cart::default().total_cents(), 0);
    }

    #[test]
    fn setting_the_quantity_of_an_absent_item_changes_nothing() {
        let c = cart([CartAction::Add(item(1, 100))]);
        assert_eq!(c.apply(CartAction::SetQty(Uuid::from_u128(9), 5)), c);
    }

    #[test]
    fn the_order_sends_ids_and_quantities_and_a_trimmed_name_but_no_prices() {
        let c = cart([
            CartAction::Add(item(1, 1200)),
            CartAction::Add(item(1, 1200)),
        ]);
        let order = c.to_order("  Ann ");
        assert_eq!(order.customer, "Ann");
        assert_eq!(
            order.items,
            vec![OrderLine {
                id: Uuid::from_u128(1),
                qty: 2
            }]
        );
        let json = serde_json::to_string(&order).unwrap();
        assert!(!json.contains("price"), "{json}");
    }
}

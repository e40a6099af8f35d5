//! Menu items: what a restaurant sells, at which price, and whether it can be ordered now.

use std::fmt;

use thiserror::Error;
use uuid::Uuid;

use crate::text::{TextError, parse_line};

/// A menu item's identifier, unique within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MenuItemId(Uuid);

impl MenuItemId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for MenuItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A menu item's name: trimmed, 1 to 120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItemName(String);

impl MenuItemName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, MenuItemNameError> {
        parse_line(raw, Self::MAX_CHARS)
            .map(Self)
            .map_err(MenuItemNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a usable item name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("an item name {0}")]
pub struct MenuItemNameError(#[source] pub TextError);

/// A price in cents, from 0 (free) to 10,000,000 (100,000.00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriceCents(u32);

impl PriceCents {
    pub const MAX: u32 = 10_000_000;

    pub fn cents(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for PriceCents {
    type Error = PriceError;

    fn try_from(cents: i64) -> Result<Self, PriceError> {
        u32::try_from(cents)
            .ok()
            .filter(|c| *c <= Self::MAX)
            .map(Self)
            .ok_or(PriceError(cents))
    }
}

/// The amount is negative or above 10,000,000 cents.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("price must be a whole number of cents from 0 to 10000000, got {0}")]
pub struct PriceError(pub i64);

/// An item on a tenant's menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub id: MenuItemId,
    pub name: MenuItemName,
    pub price: PriceCents,
    pub is_available: bool,
}

/// A menu item to be created; the repository draws its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMenuItem {
    pub name: MenuItemName,
    pub price: PriceCents,
    pub is_available: bool,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MenuItemPatch {
    pub name: Option<MenuItemName>,
    pub price: Option<PriceCents>,
    pub is_available: Option<bool>,
}

impl MenuItemPatch {
    /// Applies the patch to `item`.
    pub fn apply(&self, item: &mut MenuItem) {
        if let Some(name) = &self.name {
            item.name = name.clone();
        }
        if let Some(price) = self.price {
            item.price = price;
        }
        if let Some(available) = self.is_available {
            item.is_available = available;
        }
    }
}

/// Which items a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuFilter {
    /// Every item, as a manager sees the menu.
    All,
    /// Only what can be ordered now, as a customer sees the menu.
    AvailableOnly,
}

impl MenuFilter {
    pub fn admits(self, item: &MenuItem) -> bool {
        match self {
            MenuFilter::All => true,
            MenuFilter::AvailableOnly => item.is_available,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_span_zero_to_ten_million_cents() {
        assert_eq!(PriceCents::try_from(0).unwrap().cents(), 0);
        assert_eq!(PriceCents::try_from(1200).unwrap().cents(), 1200);
        assert_eq!(
            PriceCents::try_from(10_000_000).unwrap().cents(),
            10_000_000
        );
        assert_eq!(PriceCents::try_from(-1), Err(PriceError(-1)));
        assert_eq!(
            PriceCents::try_from(10_000_001),
            Err(PriceError(10_000_001))
        );
        assert!(PriceCents::try_from(i64::MAX).is_err());
    }

    #[test]
    fn item_names_are_trimmed_and_bounded() {
        assert_eq!(MenuItemName::parse(" Burger ").unwrap().as_str(), "Burger");
        assert!(MenuItemName::parse("").is_err());
        assert!(MenuItemName::parse(&"x".repeat(120)).is_ok());
        assert!(MenuItemName::parse(&"x".repeat(121)).is_err());
    }

    #[test]
    fn a_patch_changes_only_the_fields_it_names() {
        let mut item = MenuItem {
            id: MenuItemId::from_uuid(Uuid::nil()),
            name: MenuItemName::parse("Burger").unwrap(),
            price: PriceCents::try_from(900).unwrap(),
            is_available: true,
        };
        MenuItemPatch {
            price: Some(PriceCents::try_from(950).unwrap()),
            ..MenuItemPatch::default()
        }
        .apply(&mut item);
        assert_eq!(item.name.as_str(), "Burger");
        assert_eq!(item.price.cents(), 950);
        assert!(item.is_available);
    }
}

//! Menu items: what a restaurant sells, at which price, whether it can be ordered now, and how
//! the storefront presents it (category, description, picture, dietary tags).

use std::fmt;

use thiserror::Error;
use uuid::Uuid;

use chameleon_rules::codes::TAGS;
use chameleon_rules::numbers::IntRange;

use crate::hours::OpeningHours;
use crate::options::{OptionGroup, OptionGroupId, SoldOut};
use crate::tenant::Domain;
use crate::text::{TextError, listing, parse_line, parse_text};
use chameleon_rules::text::TextRule;

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
    pub const RULE: TextRule = chameleon_rules::text::MENU_ITEM_NAME;

    pub fn parse(raw: &str) -> Result<Self, MenuItemNameError> {
        parse_line(raw, &Self::RULE)
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
    pub const RANGE: IntRange = chameleon_rules::numbers::PRICE;
    pub const MAX: u32 = Self::RANGE.max as u32;

    pub fn cents(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for PriceCents {
    type Error = PriceError;

    fn try_from(cents: i64) -> Result<Self, PriceError> {
        if !Self::RANGE.contains(cents) {
            return Err(PriceError(cents));
        }
        u32::try_from(cents)
            .map(Self)
            .map_err(|_| PriceError(cents))
    }
}

/// The amount is negative or above 10,000,000 cents.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "price must be a whole number of cents from {min} to {max}, got {0}",
    min = PriceCents::RANGE.min,
    max = PriceCents::RANGE.max
)]
pub struct PriceError(pub i64);

/// A menu item's description: 1 to 500 characters of prose, line breaks kept (see
/// [`parse_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const RULE: TextRule = chameleon_rules::text::DESCRIPTION;

    pub fn parse(raw: &str) -> Result<Self, DescriptionError> {
        parse_text(raw, &Self::RULE)
            .map(Self)
            .map_err(DescriptionError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a usable description.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a description {0}")]
pub struct DescriptionError(#[source] pub TextError);

/// A picture's address: an absolute `https` URL of at most 2048 characters, on a hostname (no
/// IP address, no user name or password), its path, query and fragment made of the characters
/// RFC 3986 allows (anything else percent-encoded). The storefront's Content-Security-Policy
/// admits `https:` images and nothing else from outside, so a URL that passes here loads there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    pub const MAX_LEN: usize = chameleon_rules::formats::IMAGE_URL_MAX_LEN;

    pub fn parse(raw: &str) -> Result<Self, ImageUrlError> {
        if raw.len() > Self::MAX_LEN {
            return Err(ImageUrlError::TooLong);
        }
        let rest = raw
            .get(..8)
            .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
            .map(|_| &raw[8..])
            .ok_or(ImageUrlError::NotHttps)?;
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(split);
        if authority.contains('@') {
            return Err(ImageUrlError::Credentials);
        }
        // A hostname as written in a URL: no trailing dot (what the document's pattern says).
        let hostname = authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host);
        if hostname.ends_with('.') {
            return Err(ImageUrlError::BadHost);
        }
        let host = Domain::parse_name(authority).map_err(|_| ImageUrlError::BadHost)?;
        let port = authority
            .rsplit_once(':')
            .map(|(_, port)| port.parse::<u16>().map_err(|_| ImageUrlError::BadHost))
            .transpose()?
            .filter(|port| *port != 443);
        if !tail.bytes().all(is_uri_byte) {
            return Err(ImageUrlError::BadCharacter);
        }
        let mut url = format!("https://{}", host.as_str());
        if let Some(port) = port {
            url.push_str(&format!(":{port}"));
        }
        url.push_str(if tail.is_empty() { "/" } else { tail });
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 3986's unreserved and reserved characters, and `%` of a percent-encoding.
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || chameleon_rules::formats::URI_CHARACTERS
            .as_bytes()
            .contains(&b)
}

/// Why a text is not a usable picture address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImageUrlError {
    #[error("an image URL must start with https://")]
    NotHttps,
    #[error("an image URL must be at most {} characters", ImageUrl::MAX_LEN)]
    TooLong,
    #[error("an image URL must not carry a user name or password")]
    Credentials,
    #[error("an image URL needs a hostname (no IP address), optionally with a port")]
    BadHost,
    #[error("an image URL may only hold the characters RFC 3986 allows (percent-encode others)")]
    BadCharacter,
}

/// A dietary or allergen mark, from a fixed set so every storefront can show and filter them
/// alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    Vegetarian,
    Vegan,
    GlutenFree,
    DairyFree,
    Halal,
    Spicy,
    ContainsNuts,
    ContainsShellfish,
}

impl Tag {
    pub const ALL: [Tag; 8] = [
        Tag::Vegetarian,
        Tag::Vegan,
        Tag::GlutenFree,
        Tag::DairyFree,
        Tag::Halal,
        Tag::Spicy,
        Tag::ContainsNuts,
        Tag::ContainsShellfish,
    ];

    /// The tag's code ([`chameleon_rules::codes::TAGS`], where [`Tag::ALL`] stands in the same
    /// order: a test keeps them so).
    pub fn as_str(self) -> &'static str {
        TAGS[self as usize].code
    }

    pub fn parse(raw: &str) -> Result<Self, TagError> {
        Self::ALL
            .into_iter()
            .find(|tag| tag.as_str() == raw)
            .ok_or_else(|| TagError(raw.chars().take(40).collect()))
    }

    /// `raw` as a set: each tag once, in [`Tag::ALL`]'s order.
    pub fn parse_set<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<Tag>, TagError> {
        raw.into_iter()
            .map(Tag::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Tag::set)
    }

    /// `tags` as a set: each once, in [`Tag::ALL`]'s order.
    pub fn set(tags: impl IntoIterator<Item = Tag>) -> Vec<Tag> {
        let mut tags: Vec<Tag> = tags.into_iter().collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }
}

/// A tag outside the fixed set.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown tag {0:?}; the tags are {tags}",
    tags = listing(TAGS.iter().map(|t| t.code), "and")
)]
pub struct TagError(pub String);

/// A menu category's identifier, unique within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryId(Uuid);

impl CategoryId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A category's name ("Starters", "Pizzas"): trimmed, 1 to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryName(String);

impl CategoryName {
    pub const RULE: TextRule = chameleon_rules::text::CATEGORY_NAME;

    pub fn parse(raw: &str) -> Result<Self, CategoryNameError> {
        parse_line(raw, &Self::RULE)
            .map(Self)
            .map_err(CategoryNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a usable category name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a category name {0}")]
pub struct CategoryNameError(#[source] pub TextError);

/// Where a category comes on the menu: 0 to 10,000, smaller first; equal positions go by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position(u16);

impl Position {
    pub const RANGE: IntRange = chameleon_rules::numbers::CATEGORY_POSITION;

    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for Position {
    type Error = PositionError;

    fn try_from(raw: i64) -> Result<Self, PositionError> {
        if !Self::RANGE.contains(raw) {
            return Err(PositionError(raw));
        }
        u16::try_from(raw).map(Self).map_err(|_| PositionError(raw))
    }
}

/// The position is negative or above 10,000.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "position must be a whole number from {min} to {max}, got {0}",
    min = Position::RANGE.min,
    max = Position::RANGE.max
)]
pub struct PositionError(pub i64);

/// A section of a tenant's menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: CategoryName,
    pub position: Position,
    /// When its items can be ordered, in the restaurant's time zone; `None`: whenever the
    /// restaurant is open.
    pub serving_hours: Option<OpeningHours>,
}

impl Category {
    /// The menu's order: by position, then name (byte order, as the database's `COLLATE "C"`),
    /// then id.
    pub fn sort(categories: &mut [Category]) {
        categories.sort_by(|a, b| {
            (a.position, a.name.as_str(), a.id).cmp(&(b.position, b.name.as_str(), b.id))
        });
    }
}

/// A category to be created; the repository draws its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCategory {
    pub name: CategoryName,
    pub position: Position,
    pub serving_hours: Option<OpeningHours>,
}

impl NewCategory {
    /// The category as stored under `id`.
    pub fn with_id(self, id: CategoryId) -> Category {
        Category {
            id,
            name: self.name,
            position: self.position,
            serving_hours: self.serving_hours,
        }
    }
}

/// A partial update of a category: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryPatch {
    pub name: Option<CategoryName>,
    pub position: Option<Position>,
    pub serving_hours: Option<Option<OpeningHours>>,
}

impl CategoryPatch {
    pub fn apply(&self, category: &mut Category) {
        if let Some(name) = &self.name {
            category.name = name.clone();
        }
        if let Some(position) = self.position {
            category.position = position;
        }
        if let Some(hours) = &self.serving_hours {
            category.serving_hours = hours.clone();
        }
    }
}

/// An item on a tenant's menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub id: MenuItemId,
    pub name: MenuItemName,
    pub price: PriceCents,
    /// `false`: sold out until someone marks it available ([`SoldOut::Indefinitely`]).
    pub is_available: bool,
    /// Sold out until then (while `is_available`): back by itself.
    pub sold_out_until: Option<jiff::Timestamp>,
    /// The option groups it offers, in the order the customer chooses them.
    pub option_groups: Vec<OptionGroupId>,
    /// `None`: listed after every category.
    pub category: Option<CategoryId>,
    pub description: Option<Description>,
    pub image_url: Option<ImageUrl>,
    /// A set, in [`Tag::ALL`]'s order.
    pub tags: Vec<Tag>,
}

/// A menu item to be created; the repository draws its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMenuItem {
    pub name: MenuItemName,
    pub price: PriceCents,
    pub is_available: bool,
    pub sold_out_until: Option<jiff::Timestamp>,
    /// MUST each be one of the tenant's groups, and no allowed choice may price the item
    /// below 0 (checked in the transaction that stores it).
    pub option_groups: Vec<OptionGroupId>,
    /// MUST be one of the tenant's categories (checked in the transaction that stores it).
    pub category: Option<CategoryId>,
    pub description: Option<Description>,
    pub image_url: Option<ImageUrl>,
    pub tags: Vec<Tag>,
}

impl NewMenuItem {
    /// A plain item: available, no category, description, picture or tags.
    pub fn plain(name: MenuItemName, price: PriceCents) -> Self {
        Self {
            name,
            price,
            is_available: true,
            sold_out_until: None,
            option_groups: Vec::new(),
            category: None,
            description: None,
            image_url: None,
            tags: Vec::new(),
        }
    }

    /// The item as stored under `id`.
    pub fn with_id(self, id: MenuItemId) -> MenuItem {
        MenuItem {
            id,
            name: self.name,
            price: self.price,
            is_available: self.is_available,
            sold_out_until: self.sold_out_until,
            option_groups: self.option_groups,
            category: self.category,
            description: self.description,
            image_url: self.image_url,
            tags: self.tags,
        }
    }
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MenuItemPatch {
    pub name: Option<MenuItemName>,
    pub price: Option<PriceCents>,
    /// `true`: available now; `false`: sold out indefinitely.
    pub is_available: Option<bool>,
    /// `Some(None)`: available now.
    pub sold_out: Option<Option<SoldOut>>,
    pub option_groups: Option<Vec<OptionGroupId>>,
    pub category: Option<Option<CategoryId>>,
    pub description: Option<Option<Description>>,
    pub image_url: Option<Option<ImageUrl>>,
    pub tags: Option<Vec<Tag>>,
}

impl MenuItemPatch {
    /// What the patch needs: marking an item available or sold out, and nothing else, is
    /// [`MarkSoldOut`](crate::staff::Permission::MarkSoldOut) (service staff may); any other
    /// change is [`EditMenu`](crate::staff::Permission::EditMenu).
    pub fn permission(&self) -> crate::staff::Permission {
        let only_availability = self.name.is_none()
            && self.price.is_none()
            && self.option_groups.is_none()
            && self.category.is_none()
            && self.description.is_none()
            && self.image_url.is_none()
            && self.tags.is_none();
        if only_availability {
            crate::staff::Permission::MarkSoldOut
        } else {
            crate::staff::Permission::EditMenu
        }
    }

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
            item.sold_out_until = None;
        }
        if let Some(sold_out) = self.sold_out {
            item.set_sold_out(sold_out);
        }
        if let Some(groups) = &self.option_groups {
            item.option_groups = groups.clone();
        }
        if let Some(category) = self.category {
            item.category = category;
        }
        if let Some(description) = &self.description {
            item.description = description.clone();
        }
        if let Some(image_url) = &self.image_url {
            item.image_url = image_url.clone();
        }
        if let Some(tags) = &self.tags {
            item.tags = tags.clone();
        }
    }
}

impl MenuItem {
    /// Whether, and until when, it is sold out (as set; whether that has passed is
    /// [`MenuItem::availability`]'s to say).
    pub fn sold_out(&self) -> Option<SoldOut> {
        if !self.is_available {
            Some(SoldOut::Indefinitely)
        } else {
            self.sold_out_until.map(SoldOut::Until)
        }
    }

    /// Marks it sold out as `sold_out` says (`None`: available).
    pub fn set_sold_out(&mut self, sold_out: Option<SoldOut>) {
        self.is_available = sold_out != Some(SoldOut::Indefinitely);
        self.sold_out_until = sold_out.and_then(|s| s.until());
    }

    /// Whether it can be ordered at `now`, and if not, when it can again (if known): not sold
    /// out, and its category (`category`, if it has one) serving at that instant in `zone`.
    pub fn availability(
        &self,
        category: Option<&Category>,
        zone: &jiff::tz::TimeZone,
        now: jiff::Timestamp,
    ) -> Availability {
        let serving = |at: jiff::Timestamp| {
            category
                .and_then(|c| c.serving_hours.as_ref())
                .map(|hours| hours.status(zone, at))
        };
        match self.sold_out() {
            Some(SoldOut::Indefinitely) => {
                return Availability {
                    available: false,
                    from: None,
                };
            }
            Some(SoldOut::Until(until)) if now < until => {
                // Back then, if its category serves then; or when it next does.
                let from = match serving(until) {
                    Some(status) if !status.open_now => status.next_change,
                    _ => Some(until),
                };
                return Availability {
                    available: false,
                    from,
                };
            }
            _ => {}
        }
        match serving(now) {
            Some(status) if !status.open_now => Availability {
                available: false,
                from: status.next_change,
            },
            _ => Availability {
                available: true,
                from: None,
            },
        }
    }
}

/// Whether an item can be ordered at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    pub available: bool,
    /// When it can be ordered again, if that is known (`None` while available, or sold out
    /// indefinitely, or its category never serves again).
    pub from: Option<jiff::Timestamp>,
}

/// What a customer sees: the categories in the manager's order, every item (by name; each names
/// its category or none; whether it can be ordered is worked out when the menu is shown), and
/// the option groups those items offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreMenu {
    pub categories: Vec<Category>,
    pub items: Vec<MenuItem>,
    pub option_groups: Vec<OptionGroup>,
}

impl StoreMenu {
    /// The category `item` is in, if any.
    pub fn category_of(&self, item: &MenuItem) -> Option<&Category> {
        item.category
            .and_then(|id| self.categories.iter().find(|c| c.id == id))
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
        let mut item = NewMenuItem::plain(
            MenuItemName::parse("Burger").unwrap(),
            PriceCents::try_from(900).unwrap(),
        )
        .with_id(MenuItemId::from_uuid(Uuid::nil()));
        MenuItemPatch {
            price: Some(PriceCents::try_from(950).unwrap()),
            ..MenuItemPatch::default()
        }
        .apply(&mut item);
        assert_eq!(item.name.as_str(), "Burger");
        assert_eq!(item.price.cents(), 950);
        assert!(item.is_available);
    }

    #[test]
    fn image_urls_are_https_on_a_hostname() {
        assert_eq!(
            ImageUrl::parse("HTTPS://Img.Example.com/a%20b.jpg?w=400#x")
                .unwrap()
                .as_str(),
            "https://img.example.com/a%20b.jpg?w=400#x"
        );
        assert_eq!(
            ImageUrl::parse("https://cdn.example:8443")
                .unwrap()
                .as_str(),
            "https://cdn.example:8443/"
        );
        assert_eq!(
            ImageUrl::parse("https://cdn.example:443/p.png")
                .unwrap()
                .as_str(),
            "https://cdn.example/p.png"
        );
        for (bad, why) in [
            ("http://img.example.com/a.jpg", ImageUrlError::NotHttps),
            ("javascript:alert(1)", ImageUrlError::NotHttps),
            ("//img.example.com/a.jpg", ImageUrlError::NotHttps),
            ("https://", ImageUrlError::BadHost),
            ("https://127.0.0.1/a.jpg", ImageUrlError::BadHost),
            ("https://a@img.example/a.jpg", ImageUrlError::Credentials),
            ("https://img.example/a b.jpg", ImageUrlError::BadCharacter),
            (
                "https://img.example/\"><script>",
                ImageUrlError::BadCharacter,
            ),
            ("https://img.example:99999/", ImageUrlError::BadHost),
            ("https://img.example./a.jpg", ImageUrlError::BadHost),
        ] {
            assert_eq!(ImageUrl::parse(bad), Err(why), "{bad:?}");
        }
        let long = format!("https://img.example/{}", "a".repeat(2048));
        assert_eq!(ImageUrl::parse(&long), Err(ImageUrlError::TooLong));
    }

    #[test]
    fn tags_come_from_the_fixed_set_once_each_in_order() {
        assert_eq!(
            Tag::parse_set(["spicy", "vegan", "spicy"]).unwrap(),
            [Tag::Vegan, Tag::Spicy]
        );
        assert!(Tag::parse_set(["Vegan"]).is_err());
        assert!(Tag::parse_set(["keto"]).is_err());
        for tag in Tag::ALL {
            assert_eq!(Tag::parse(tag.as_str()), Ok(tag));
        }
        // One tag per code of the rules, in their order.
        assert_eq!(Tag::ALL.len(), TAGS.len());
        assert_eq!(
            Tag::ALL.map(Tag::as_str).to_vec(),
            TAGS.iter().map(|t| t.code).collect::<Vec<_>>()
        );
    }

    #[test]
    fn categories_go_by_position_then_name() {
        let category = |name: &str, position: i64, id: u128| Category {
            id: CategoryId::from_uuid(Uuid::from_u128(id)),
            name: CategoryName::parse(name).unwrap(),
            position: Position::try_from(position).unwrap(),
            serving_hours: None,
        };
        let mut menu = vec![
            category("Drinks", 30, 1),
            category("Pizzas", 10, 2),
            category("Desserts", 30, 3),
            category("Starters", 0, 4),
        ];
        Category::sort(&mut menu);
        let names: Vec<_> = menu.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Starters", "Pizzas", "Desserts", "Drinks"]);
        assert!(Position::try_from(-1).is_err());
        assert!(Position::try_from(10_001).is_err());
    }
}

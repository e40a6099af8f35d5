//! `chameleon demo`: two restaurants to look at, with different brands and menus.

use chameleon_core::hours::{Currency, Locale, StoreSettings, TimeZoneName};
use chameleon_core::pickup::{PickupSettings, SlotCapacity};
use std::io::Write as _;

use crate::startup::{self, CacheSettings};
use anyhow::Context as _;
use chameleon_core::menu::{
    CategoryName, Description, MenuItemName, NewCategory, NewMenuItem, Position, PriceCents, Tag,
};
use chameleon_core::options::{
    NewOptionGroup, OptionChoice, OptionGroupName, OptionId, OptionName, PriceDelta,
};
use chameleon_core::ports::ProvisionTenantError;
use chameleon_core::tenant::{Domain, NewTenant, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use serde_json::json;

use crate::config::{DatabaseArgs, DemoArgs};

struct DemoTenant {
    domain: &'static str,
    name: &'static str,
    color: &'static str,
    font: Font,
    /// In the menu's order.
    categories: &'static [&'static str],
    menu: &'static [DemoItem],
    /// Currency, locale and time zone.
    trading: (&'static str, &'static str, &'static str),
    /// Option groups, offered by every item of the first category.
    groups: &'static [DemoGroup],
}

struct DemoGroup {
    name: &'static str,
    min: u8,
    max: u8,
    /// Name and price delta.
    options: &'static [(&'static str, i64)],
}

struct DemoItem {
    name: &'static str,
    cents: i64,
    /// Index into the tenant's `categories`.
    category: usize,
    description: &'static str,
    tags: &'static [&'static str],
}

const fn item(
    name: &'static str,
    cents: i64,
    category: usize,
    description: &'static str,
    tags: &'static [&'static str],
) -> DemoItem {
    DemoItem {
        name,
        cents,
        category,
        description,
        tags,
    }
}

const DEMO: [DemoTenant; 2] = [
    DemoTenant {
        domain: "pizza.localhost",
        name: "Pizza Palace",
        color: "#c8102e",
        font: Font::Georgia,
        trading: ("EUR", "it-IT", "Europe/Rome"),
        categories: &["Pizzas", "Sides", "Desserts"],
        groups: &[
            DemoGroup {
                name: "Size",
                min: 1,
                max: 1,
                options: &[("Regular (30 cm)", 0), ("Large (36 cm)", 350)],
            },
            DemoGroup {
                name: "Extra toppings",
                min: 0,
                max: 3,
                options: &[
                    ("Buffalo mozzarella", 250),
                    ("Mushrooms", 120),
                    ("Olives", 100),
                    ("Nduja", 200),
                ],
            },
        ],
        menu: &[
            item(
                "Margherita Pizza",
                1200,
                0,
                "San Marzano tomatoes, fior di latte, fresh basil.",
                &["vegetarian"],
            ),
            item(
                "Pepperoni Pizza",
                1450,
                0,
                "Tomato, mozzarella and spicy pepperoni.",
                &["spicy"],
            ),
            item(
                "Quattro Formaggi",
                1550,
                0,
                "Mozzarella, gorgonzola, fontina and parmigiano.",
                &["vegetarian"],
            ),
            item(
                "Garlic Bread",
                450,
                1,
                "Wood-fired, with garlic butter and parsley.",
                &["vegetarian"],
            ),
            item(
                "Tiramisu",
                650,
                2,
                "Espresso-soaked savoiardi, mascarpone, cocoa.",
                &["vegetarian"],
            ),
        ],
    },
    DemoTenant {
        domain: "burger.localhost",
        name: "Burger Barn",
        color: "#1f6feb",
        font: Font::TrebuchetMs,
        trading: ("USD", "en-US", "America/New_York"),
        categories: &["Burgers", "Sides", "Drinks"],
        groups: &[DemoGroup {
            name: "Extras",
            min: 0,
            max: 2,
            options: &[("Bacon", 150), ("Extra cheese", 100), ("Fried egg", 125)],
        }],
        menu: &[
            item(
                "Classic Burger",
                950,
                0,
                "Beef patty, lettuce, tomato, pickles, house sauce.",
                &[],
            ),
            item(
                "Cheeseburger",
                1050,
                0,
                "The classic with melted cheddar.",
                &[],
            ),
            item(
                "Veggie Burger",
                1000,
                0,
                "Black bean patty, avocado, chipotle mayo.",
                &["vegetarian", "spicy"],
            ),
            item(
                "Fries",
                400,
                1,
                "Hand-cut, twice-fried, sea salt.",
                &["vegan", "gluten-free"],
            ),
            item(
                "Chocolate Milkshake",
                550,
                2,
                "Vanilla ice cream blended with dark chocolate.",
                &["vegetarian"],
            ),
        ],
    },
];

pub async fn run(database: DatabaseArgs, args: DemoArgs) -> anyhow::Result<()> {
    let pool = super::connect(&database)?;
    let app = startup::service(pool, CacheSettings::default());
    let mut created = Vec::new();
    for demo in &DEMO {
        let key = super::new_manager_key()?;
        let new = NewTenant {
            domain: Domain::parse(demo.domain)?,
            name: TenantName::parse(demo.name)?,
            theme: Theme {
                primary_color: ThemeColor::parse(demo.color)?,
                font: demo.font,
            },
            settings: StoreSettings {
                currency: Currency::parse(demo.trading.0)?,
                locale: Locale::parse(demo.trading.1)?,
                timezone: TimeZoneName::parse(demo.trading.2)?,
                opening_hours: None,
                // A kitchen that takes ten orders a quarter of an hour, as a real one would.
                pickup: PickupSettings {
                    slot_capacity: Some(SlotCapacity::try_from(10)?),
                    ..PickupSettings::default()
                },
            },
            manager_key_hash: key.hash(),
        };
        let tenant = match app.tenancy.provision_tenant(new).await {
            Ok(tenant) => tenant,
            Err(ProvisionTenantError::DuplicateDomain(domain)) => {
                tracing::info!(%domain, "demo tenant already there");
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        let mut categories = Vec::new();
        for (n, name) in (1..).zip(demo.categories) {
            let new = NewCategory {
                name: CategoryName::parse(name)?,
                position: Position::try_from(n * 10)?,
                serving_hours: None,
            };
            categories.push(app.menu.create_category(&tenant, new).await?.id);
        }
        let mut groups = Vec::new();
        for group in demo.groups {
            let new = NewOptionGroup {
                name: OptionGroupName::parse(group.name)?,
                min: group.min,
                max: group.max,
                options: group
                    .options
                    .iter()
                    .map(|(name, delta)| {
                        Ok(OptionChoice {
                            id: OptionId::from_uuid(uuid::Uuid::now_v7()),
                            name: OptionName::parse(name)?,
                            price_delta: PriceDelta::try_from(*delta)?,
                            sold_out: None,
                        })
                    })
                    .collect::<anyhow::Result<_>>()?,
            };
            groups.push(app.menu.create_option_group(&tenant, new).await?.id);
        }
        for item in demo.menu {
            let new = NewMenuItem {
                option_groups: if item.category == 0 {
                    groups.clone()
                } else {
                    Vec::new()
                },
                category: Some(categories[item.category]),
                description: Some(Description::parse(item.description)?),
                tags: Tag::parse_set(item.tags.iter().copied())?,
                ..NewMenuItem::plain(
                    MenuItemName::parse(item.name)?,
                    PriceCents::try_from(item.cents)?,
                )
            };
            app.menu.create_menu_item(&tenant, new).await?;
        }
        tracing::info!(domain = demo.domain, tenant = %tenant.id, "demo tenant provisioned");
        created.push(json!({
            "domain": demo.domain,
            "tenant_id": tenant.id.as_uuid(),
            "manager_api_key": key.expose(),
        }));
    }
    if let (Some(path), false) = (&args.keys_file, created.is_empty()) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode_600()
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        for tenant in created {
            writeln!(file, "{tenant}")?;
        }
    }
    Ok(())
}

/// Creates files readable by their owner only: they hold manager API keys.
trait OwnerOnly {
    fn mode_600(&mut self) -> &mut Self;
}

impl OwnerOnly for std::fs::OpenOptions {
    fn mode_600(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }
}

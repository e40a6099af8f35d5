//! `chameleon demo`: two restaurants to look at, with different brands and menus.

use chameleon_core::hours::{Currency, Locale, StoreSettings, TimeZoneName};
use std::io::Write as _;

use crate::startup::{self, CacheSettings};
use anyhow::Context as _;
use chameleon_core::menu::{MenuItemName, NewMenuItem, PriceCents};
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
    menu: &'static [(&'static str, i64)],
    /// Currency, locale and time zone.
    trading: (&'static str, &'static str, &'static str),
}

const DEMO: [DemoTenant; 2] = [
    DemoTenant {
        domain: "pizza.localhost",
        name: "Pizza Palace",
        color: "#c8102e",
        font: Font::Georgia,
        trading: ("EUR", "it-IT", "Europe/Rome"),
        menu: &[
            ("Margherita Pizza", 1200),
            ("Pepperoni Pizza", 1450),
            ("Quattro Formaggi", 1550),
            ("Garlic Bread", 450),
            ("Tiramisu", 650),
        ],
    },
    DemoTenant {
        domain: "burger.localhost",
        name: "Burger Barn",
        color: "#1f6feb",
        font: Font::TrebuchetMs,
        trading: ("USD", "en-US", "America/New_York"),
        menu: &[
            ("Classic Burger", 950),
            ("Cheeseburger", 1050),
            ("Veggie Burger", 1000),
            ("Fries", 400),
            ("Chocolate Milkshake", 550),
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
            },
            manager_key_hash: key.hash(),
        };
        let tenant = match app.provision_tenant(new).await {
            Ok(tenant) => tenant,
            Err(ProvisionTenantError::DuplicateDomain(domain)) => {
                tracing::info!(%domain, "demo tenant already there");
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        for (name, cents) in demo.menu {
            app.create_menu_item(
                &tenant,
                NewMenuItem {
                    name: MenuItemName::parse(name)?,
                    price: PriceCents::try_from(*cents)?,
                    is_available: true,
                },
            )
            .await?;
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

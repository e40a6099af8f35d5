//! `chameleon provision`: one tenant from the command line. Prints the tenant and its manager
//! API key as JSON: like the HTTP endpoint, this is the only time the key is shown.

use crate::startup::{self, CacheSettings};
use anyhow::anyhow;
use chameleon_core::tenant::{Domain, NewTenant, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use serde_json::json;

use crate::config::{DatabaseArgs, ProvisionArgs};

pub async fn run(database: DatabaseArgs, args: ProvisionArgs) -> anyhow::Result<()> {
    let domain = Domain::parse(&args.domain).map_err(|e| anyhow!("--domain: {e}"))?;
    let name = TenantName::parse(args.name.as_deref().unwrap_or(domain.as_str()))
        .map_err(|e| anyhow!("--name: {e}"))?;
    let theme = Theme {
        primary_color: ThemeColor::parse(&args.primary_color)
            .map_err(|e| anyhow!("--primary-color: {e}"))?,
        font: Font::parse(&args.font).map_err(|e| anyhow!("--font: {e}"))?,
    };
    let pool = super::connect(&database)?;
    let app = startup::service(pool, CacheSettings::default());
    let key = super::new_manager_key()?;
    let tenant = app
        .tenancy
        .provision_tenant(NewTenant {
            domain,
            name,
            theme,
            settings: Default::default(),
            manager_key_hash: key.hash(),
        })
        .await?;
    println!(
        "{}",
        json!({
            "tenant_id": tenant.id.as_uuid(),
            "schema_name": tenant.schema.as_str(),
            "domain": tenant.domain.as_str(),
            "manager_api_key": key.expose(),
        })
    );
    Ok(())
}

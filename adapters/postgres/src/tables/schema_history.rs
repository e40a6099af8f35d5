//! `public.refinery_schema_history`: the control-plane migrations applied to this database
//! (refinery's own table; it writes it, we only read it).

use anyhow::Context as _;
use tokio_postgres::Client;

use crate::sqlstate::AtSeam as _;

const EXISTS: &str = "SELECT to_regclass('public.refinery_schema_history') IS NOT NULL";
const VERSIONS: &str = "SELECT version FROM public.refinery_schema_history";
const LATEST: &str = "SELECT max(version) FROM public.refinery_schema_history";

/// Every applied version; none before the first install.
pub async fn applied(client: &Client) -> anyhow::Result<Vec<i32>> {
    let exists: bool = client.query_one(EXISTS, &[]).await.at_seam()?.get(0);
    if !exists {
        return Ok(Vec::new());
    }
    Ok(client
        .query(VERSIONS, &[])
        .await
        .at_seam()
        .context("reading the control plane's history")?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// The latest applied version, if any.
pub async fn latest(client: &Client) -> anyhow::Result<Option<i32>> {
    let exists: bool = client.query_one(EXISTS, &[]).await.at_seam()?.get(0);
    if !exists {
        return Ok(None);
    }
    Ok(client
        .query_one(LATEST, &[])
        .await
        .at_seam()
        .context("reading the control plane's version")?
        .get(0))
}

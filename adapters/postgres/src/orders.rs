//! The order repository over a tenant's `orders`.
//!
//! Placing an order is one tenant-bound transaction: read the ordered items, hand them to the
//! core's pricing (the closure the port takes), insert what it returns, commit. Two round trips:
//! `BEGIN` rides with the `SELECT`, the `INSERT` with the `COMMIT`.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use chameleon_core::menu::{MenuItem, MenuItemId, MenuItemName, PriceCents};
use chameleon_core::order::{
    CustomerName, NewOrder, Order, OrderId, OrderItem, OrderRejection, OrderStatus, Quantity,
    StatusChangeRefused,
};
use chameleon_core::ports::{
    ChangeOrderStatusError, ListOrdersError, OrderRepository, PlaceOrderError,
};
use chameleon_core::tenant::Tenant;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::menu::{GET_MANY, item_from_row};
use crate::pool::PgPool;
use crate::tenant_tx::TenantTx;

macro_rules! order_columns {
    () => {
        "id, customer_name, status, total_amount, items, created_at"
    };
}
const INSERT: &str = "INSERT INTO orders (id, customer_name, status, total_amount, items) \
                      VALUES ($1, $2, 'PENDING', $3, $4) RETURNING created_at";
const LIST: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders ORDER BY created_at DESC, id DESC"
);
const LOCK: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE id = $1 FOR UPDATE"
);
const SET_STATUS: &str = "UPDATE orders SET status = $2 WHERE id = $1";

/// One line of the `items` snapshot, as stored in `orders.items`.
#[derive(Debug, Serialize, Deserialize)]
struct ItemSnapshot {
    id: Uuid,
    name: String,
    price: i64,
    qty: i64,
}

/// [`OrderRepository`] over each tenant's `orders`.
#[derive(Debug, Clone)]
pub struct PgOrders {
    pool: PgPool,
}

impl PgOrders {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl OrderRepository for PgOrders {
    async fn place<F>(
        &self,
        tenant: &Tenant,
        wanted: &[MenuItemId],
        price: F,
    ) -> Result<Order, PlaceOrderError>
    where
        F: FnOnce(&[MenuItem]) -> Result<NewOrder, OrderRejection> + Send,
    {
        let ids: Vec<Uuid> = wanted.iter().map(MenuItemId::as_uuid).collect();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(GET_MANY, &[&ids])
            .await
            .context("reading ordered items")?;
        let stored: Vec<MenuItem> = rows
            .iter()
            .map(item_from_row)
            .collect::<anyhow::Result<_>>()?;
        // A refusal drops `tx`, which rolls back: nothing was written anyway.
        let new = price(&stored)?;

        let id = Uuid::now_v7();
        let snapshot: Vec<ItemSnapshot> = new
            .items()
            .iter()
            .map(|item| ItemSnapshot {
                id: item.id.as_uuid(),
                name: item.name.as_str().to_owned(),
                price: i64::from(item.price.cents()),
                qty: i64::from(item.qty.get()),
            })
            .collect();
        let rows = tx
            .query_and_commit(
                INSERT,
                &[
                    &id,
                    &new.customer().as_str(),
                    &new.total_cents(),
                    &Json(&snapshot),
                ],
            )
            .await
            .context("inserting an order")?;
        let created_at: SystemTime = rows
            .first()
            .ok_or_else(|| anyhow!("INSERT .. RETURNING returned no row"))?
            .try_get("created_at")
            .context("reading the order's creation time")?;
        Ok(new.placed(OrderId::from_uuid(id), created_at))
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<Order>, ListOrdersError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(LIST, &[])
            .await
            .context("listing orders")?;
        Ok(rows
            .iter()
            .map(order_from_row)
            .collect::<anyhow::Result<_>>()?)
    }

    async fn change_status<F>(
        &self,
        tenant: &Tenant,
        id: OrderId,
        decide: F,
    ) -> Result<Order, ChangeOrderStatusError>
    where
        F: FnOnce(&Order) -> Result<OrderStatus, StatusChangeRefused> + Send,
    {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(LOCK, &[&id.as_uuid()])
            .await
            .context("locking an order")?;
        let mut order = order_from_row(rows.first().ok_or(ChangeOrderStatusError::NotFound(id))?)?;
        order.status = decide(&order)?;
        tx.query_and_commit(SET_STATUS, &[&id.as_uuid(), &order.status.as_str()])
            .await
            .context("changing an order's status")?;
        Ok(order)
    }
}

fn order_from_row(row: &Row) -> anyhow::Result<Order> {
    let id: Uuid = row.try_get("id")?;
    let Json(snapshot): Json<Vec<ItemSnapshot>> = row.try_get("items")?;
    let items = snapshot
        .into_iter()
        .map(|line| {
            Ok(OrderItem {
                id: MenuItemId::from_uuid(line.id),
                name: MenuItemName::parse(&line.name)?,
                price: PriceCents::try_from(line.price)?,
                qty: Quantity::try_from(line.qty)?,
            })
        })
        .collect::<anyhow::Result<_>>()
        .with_context(|| format!("order {id} has a malformed item snapshot"))?;
    Ok(Order {
        id: OrderId::from_uuid(id),
        customer: CustomerName::parse(row.try_get("customer_name")?)?,
        status: OrderStatus::parse(row.try_get("status")?)?,
        total_cents: row.try_get("total_amount")?,
        items,
        created_at: row.try_get("created_at")?,
    })
}

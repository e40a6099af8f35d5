//! The order repository over a tenant's `orders`.
//!
//! Placing an order is one tenant-bound transaction: read the ordered items' stored prices, price
//! the order with the core's rules, insert it, commit. Two round trips: `BEGIN` rides with the
//! `SELECT`, the `INSERT` with the `COMMIT`.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use chameleon_core::menu::{MenuItem, MenuItemId, MenuItemName, PriceCents};
use chameleon_core::order::{
    CustomerName, Order, OrderId, OrderItem, OrderRequest, OrderStatus, Quantity, price_order,
};
use chameleon_core::ports::{ConfirmOrderError, ListOrdersError, OrderRepository, PlaceOrderError};
use chameleon_core::tenant::Tenant;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::menu::{GET_MANY, item_from_row};
use crate::pool::PgPool;

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
    async fn place(
        &self,
        tenant: &Tenant,
        request: OrderRequest,
    ) -> Result<Order, PlaceOrderError> {
        let ids: Vec<Uuid> = request.lines.item_ids().map(|id| id.as_uuid()).collect();
        let mut tx = self.pool.begin_tenant(tenant).await?;
        let rows = tx
            .query(GET_MANY, &[&ids])
            .await
            .context("reading ordered items")?;
        let stored: Vec<MenuItem> = rows
            .iter()
            .map(item_from_row)
            .collect::<anyhow::Result<_>>()?;
        // Any refusal here drops `tx`, which rolls back: nothing was written anyway.
        let priced = price_order(&request.lines, |id| {
            stored.iter().find(|item| item.id == id)
        })?;

        let id = Uuid::now_v7();
        let snapshot: Vec<ItemSnapshot> = priced
            .items()
            .iter()
            .map(|item| ItemSnapshot {
                id: item.id.as_uuid(),
                name: item.name.as_str().to_owned(),
                price: i64::from(item.price.cents()),
                qty: i64::from(item.qty.get()),
            })
            .collect();
        let total = priced.total_cents();
        let rows = tx
            .query_and_commit(
                INSERT,
                &[&id, &request.customer.as_str(), &total, &Json(&snapshot)],
            )
            .await
            .context("inserting an order")?;
        let created_at: SystemTime = rows
            .first()
            .ok_or_else(|| anyhow!("INSERT .. RETURNING returned no row"))?
            .try_get("created_at")
            .context("reading the order's creation time")?;
        Ok(Order {
            id: OrderId::from_uuid(id),
            customer: request.customer,
            status: OrderStatus::Pending,
            total_cents: total,
            items: priced.into_items(),
            created_at,
        })
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<Order>, ListOrdersError> {
        let rows = self
            .pool
            .begin_tenant(tenant)
            .await?
            .query_and_commit(LIST, &[])
            .await
            .context("listing orders")?;
        Ok(rows
            .iter()
            .map(order_from_row)
            .collect::<anyhow::Result<_>>()?)
    }

    async fn confirm(&self, tenant: &Tenant, id: OrderId) -> Result<Order, ConfirmOrderError> {
        let mut tx = self.pool.begin_tenant(tenant).await?;
        let rows = tx
            .query(LOCK, &[&id.as_uuid()])
            .await
            .context("locking an order")?;
        let mut order = order_from_row(rows.first().ok_or(ConfirmOrderError::NotFound(id))?)?;
        order.status = order
            .status
            .confirm()
            .map_err(|status| ConfirmOrderError::NotPending { id, status })?;
        tx.query_and_commit(SET_STATUS, &[&id.as_uuid(), &order.status.as_str()])
            .await
            .context("confirming an order")?;
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

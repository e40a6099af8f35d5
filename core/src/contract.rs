//! The port contract: one suite of behaviour that every set of adapters must show, run against
//! the in-memory fakes and against PostgreSQL so the two cannot drift apart.
//!
//! Each case takes a fresh, empty [`Chameleon`] over the adapters under test. An adapter crate
//! instantiates the whole suite with [`port_contract_tests!`](crate::port_contract_tests), giving
//! it an expression that builds such a service (and anything that must outlive the test).

use futures_util::future::join_all;
use uuid::Uuid;

use crate::hours::{Currency, Locale, OpeningHours, StoreSettings, TimeZoneName};
use crate::idempotency::{IdempotencyKey, KeyReused};
use crate::menu::{
    Category, CategoryId, CategoryName, CategoryPatch, Description, ImageUrl, MenuItem, MenuItemId,
    MenuItemName, MenuItemPatch, NewCategory, NewMenuItem, Position, PriceCents, Tag,
};
use crate::options::{
    NewOptionGroup, OfferError, OptionChoice, OptionEdit, OptionGroup, OptionGroupError,
    OptionGroupId, OptionGroupName, OptionGroupPatch, OptionId, OptionName, OptionsChange,
    PriceDelta, SoldOut,
};
use crate::order::{
    CustomerName, Order, OrderCursor, OrderId, OrderLines, OrderPage, OrderRejection, OrderRequest,
    OrderSort, OrderStatus, PageLimit, PlaceOrderRequest, Quantity, StatusChangeRefused,
    TrackingToken,
};
use crate::pickup::{BusyMinutes, PickupPatch, PrepMinutes, SlotCapacity};
use crate::ports::{
    ChangeOrderStatusError, CreateCategoryError, CreateMenuItemError, DeleteCategoryError,
    DeleteMenuItemError, DeleteOptionGroupError, DeprovisionError, DomainChangeError, ExportSink,
    PlaceOrderError, Placement, Ports, ProvisionTenantError, SinkClosed, UpdateCategoryError,
    UpdateMenuItemError, UpdateOptionGroupError, UpdateTenantError,
};
use crate::service::{Chameleon, MenuLimits};
use crate::tenant::{
    ActiveTenant, Domain, ManagerApiKey, NewTenant, SchemaName, Tenant, TenantId, TenantName,
    TenantPatch, TenantStatus,
};
use crate::theme::{Font, Theme, ThemeColor};

/// Instantiates every case of the contract as a `#[tokio::test]`. `$fixture` is an expression
/// of type `impl Future<Output = (Chameleon<_>, Guard)>`, evaluated once per test; the guard is
/// dropped when the test ends.
#[macro_export]
macro_rules! port_contract_tests {
    ($fixture:expr) => {
        $crate::port_contract_tests!(@cases $fixture;
            provisioned_tenants_resolve_by_domain_and_id,
            a_taken_domain_is_a_duplicate,
            concurrent_provisioning_of_one_domain_has_one_winner,
            menu_items_round_trip,
            menus_are_isolated_between_tenants,
            the_store_menu_lists_every_item_and_the_groups_they_offer,
            option_groups_price_orders_and_refuse_what_would_break_them,
            random_carts_are_placed_as_the_reference_prices_them,
            sold_out_until_passes_by_itself_and_categories_serve_at_their_hours,
            a_partial_update_changes_only_what_it_names,
            deleting_an_item_removes_it_once,
            orders_are_priced_from_stored_prices,
            orders_naming_unknown_unavailable_or_foreign_items_store_nothing,
            orders_are_listed_newest_first,
            only_pending_orders_are_confirmed,
            an_order_keeps_its_snapshot_when_the_menu_changes,
            orders_are_isolated_between_tenants,
            a_rotated_manager_key_replaces_the_old_one_at_once,
            an_idempotency_key_places_once_and_replays_the_first_answer,
            a_key_used_for_another_order_is_refused_and_keys_are_per_tenant,
            concurrent_requests_under_one_key_place_one_order,
            a_retry_replays_even_when_the_order_would_now_be_refused,
            orders_are_paged_newest_first_with_a_cursor_and_a_status,
            a_tenant_s_settings_and_status_change_everywhere_at_once,
            domains_are_added_refused_when_taken_and_removed,
            a_removed_tenant_is_gone_whole_and_its_domain_is_free_again,
            an_export_hands_over_the_menu_then_every_order_oldest_first,
            orders_outside_the_opening_hours_are_refused_and_store_nothing,
            an_order_is_followed_with_its_own_token_and_moves_as_core_allows,
            categories_come_in_the_manager_s_order_and_are_isolated,
            items_carry_a_category_description_picture_and_tags,
            an_item_s_category_must_be_the_tenant_s_own,
            deleting_a_category_keeps_its_items_uncategorised,
            a_suspended_tenant_s_storefront_is_closed_by_core_and_its_manager_works,
            pickup_slots_take_their_capacity_and_a_cancelled_order_frees_its_place,
            concurrent_orders_never_overfill_a_slot,
            paused_refuses_every_order_and_busy_moves_every_quote,
        );
    };
    (@cases $fixture:expr; $($case:ident),* $(,)?) => {
        // Under small caps, so that filling a menu to its cap costs a few writes.
        #[tokio::test]
        async fn menus_are_capped_even_when_creations_race_for_the_last_place() {
            let (app, guard) = $fixture.await;
            let app = app.with_menu_limits($crate::contract::SMALL_MENU);
            $crate::contract::menus_are_capped_even_when_creations_race_for_the_last_place(&app)
                .await;
            drop(guard);
        }
        $(
            #[tokio::test]
            async fn $case() {
                let (app, guard) = $fixture.await;
                $crate::contract::$case(&app).await;
                drop(guard);
            }
        )*
    };
}

/// The caps [`menus_are_capped_even_when_creations_race_for_the_last_place`] runs under.
pub const SMALL_MENU: MenuLimits = MenuLimits {
    items: 4,
    categories: 3,
    option_groups: 2,
};

/// A tenant to provision under `domain`, for tests of any adapter.
pub fn new_tenant(domain: &str, name: &str) -> NewTenant {
    NewTenant {
        domain: Domain::parse(domain).expect("test domain"),
        name: TenantName::parse(name).expect("test name"),
        theme: Theme {
            primary_color: ThemeColor::parse("#ff0000").expect("test colour"),
            font: Font::SansSerif,
        },
        settings: crate::hours::StoreSettings::default(),
        manager_key_hash: ManagerApiKey::from_random_bytes([1; 32]).hash(),
    }
}

/// `tenant` as the storefront's use cases take it (panics if it is suspended).
pub fn open(tenant: &Tenant) -> ActiveTenant {
    ActiveTenant::check(std::sync::Arc::new(tenant.clone())).expect("an active tenant")
}

/// Provisions a fresh tenant on `domain` (panics if that fails).
pub async fn provision<P: Ports>(app: &Chameleon<P>, domain: &str) -> Tenant {
    app.tenancy
        .provision_tenant(new_tenant(domain, domain))
        .await
        .expect("provisioning a fresh domain")
}

/// Sets tenant `id`'s status and returns the tenant as stored (panics if that fails).
async fn set_status<P: Ports>(
    app: &Chameleon<P>,
    id: TenantId,
    status: TenantStatus,
) -> std::sync::Arc<Tenant> {
    app.tenancy
        .update_tenant(
            id,
            TenantPatch {
                status: Some(status),
                ..TenantPatch::default()
            },
        )
        .await
        .expect("changing a tenant's status")
}

/// Adds an available item to `tenant`'s menu (panics if that fails).
pub async fn add_item<P: Ports>(
    app: &Chameleon<P>,
    tenant: &Tenant,
    name: &str,
    cents: i64,
) -> MenuItem {
    app.menu
        .create_menu_item(
            tenant,
            NewMenuItem::plain(
                MenuItemName::parse(name).expect("test item name"),
                PriceCents::try_from(cents).expect("test price"),
            ),
        )
        .await
        .expect("creating a menu item")
}

fn order(lines: &[(MenuItemId, i64)]) -> PlaceOrderRequest {
    PlaceOrderRequest {
        order: OrderRequest {
            pickup_at: None,
            customer: CustomerName::parse("John Doe").expect("test customer"),
            lines: OrderLines::parse(
                lines
                    .iter()
                    .map(|(id, qty)| (*id, Quantity::try_from(*qty).expect("test quantity"))),
            )
            .expect("test lines"),
        },
        idempotency_key: None,
        // Tenants here have no opening hours: any instant is within them.
        placed_at: jiff::Timestamp::UNIX_EPOCH,
        tracking_token: TrackingToken::parse(&"A".repeat(43)).expect("test token"),
    }
}

fn keyed(lines: &[(MenuItemId, i64)], key: &str) -> PlaceOrderRequest {
    PlaceOrderRequest {
        placed_at: jiff::Timestamp::UNIX_EPOCH,
        tracking_token: TrackingToken::parse(&"A".repeat(43)).expect("test token"),
        idempotency_key: Some(IdempotencyKey::parse(key).expect("test key")),
        ..order(lines)
    }
}

/// Every order of `tenant`, newest first (one page of the largest size).
pub async fn all_orders<P: Ports>(app: &Chameleon<P>, tenant: &Tenant) -> Vec<Order> {
    let page = OrderPage {
        limit: PageLimit::try_from(100).expect("a page size"),
        ..OrderPage::default()
    };
    app.ordering
        .list_orders(tenant, page)
        .await
        .expect("listing orders")
        .items
}

fn names(items: &[MenuItem]) -> Vec<&str> {
    items.iter().map(|i| i.name.as_str()).collect()
}

pub async fn provisioned_tenants_resolve_by_domain_and_id<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "pizza.localhost").await;
    assert_eq!(tenant.schema, SchemaName::for_tenant(tenant.id));
    assert_eq!(tenant.domain.as_str(), "pizza.localhost");

    let by_host = app
        .tenancy
        .tenant_for_domain(&Domain::parse("PIZZA.localhost.:8080").unwrap())
        .await
        .unwrap()
        .expect("resolved by domain");
    assert_eq!(*by_host, tenant);
    let by_id = app
        .tenancy
        .tenant_by_id(tenant.id)
        .await
        .unwrap()
        .expect("resolved by id");
    assert_eq!(*by_id, tenant);

    let unknown = Domain::parse("burger.localhost").unwrap();
    assert!(
        app.tenancy
            .tenant_for_domain(&unknown)
            .await
            .unwrap()
            .is_none()
    );
    let stranger = TenantId::from_uuid(Uuid::from_u128(42));
    assert!(app.tenancy.tenant_by_id(stranger).await.unwrap().is_none());

    let listed = app.tenancy.list_tenants().await.unwrap();
    assert_eq!(listed, vec![tenant]);
}

pub async fn a_taken_domain_is_a_duplicate<P: Ports>(app: &Chameleon<P>) {
    let first = provision(app, "a.com").await;
    let again = app
        .tenancy
        .provision_tenant(new_tenant("A.com:80", "Other"))
        .await;
    assert!(
        matches!(&again, Err(ProvisionTenantError::DuplicateDomain(d)) if d.as_str() == "a.com"),
        "{again:?}"
    );
    let resolved = app
        .tenancy
        .tenant_for_domain(&first.domain)
        .await
        .unwrap()
        .expect("the first tenant keeps its domain");
    assert_eq!(resolved.id, first.id);
    assert_eq!(app.tenancy.list_tenants().await.unwrap().len(), 1);
}

pub async fn concurrent_provisioning_of_one_domain_has_one_winner<P: Ports>(app: &Chameleon<P>) {
    let attempts = join_all((0..6).map(|_| {
        app.tenancy
            .provision_tenant(new_tenant("race.localhost", "Race"))
    }))
    .await;
    let winners = attempts.iter().filter(|a| a.is_ok()).count();
    let duplicates = attempts
        .iter()
        .filter(|a| matches!(a, Err(ProvisionTenantError::DuplicateDomain(_))))
        .count();
    assert_eq!((winners, duplicates), (1, 5), "{attempts:?}");
    assert_eq!(app.tenancy.list_tenants().await.unwrap().len(), 1);
}

pub async fn menu_items_round_trip<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let pizza = add_item(app, &tenant, "Margherita Pizza", 1200).await;
    let pasta = add_item(app, &tenant, "Carbonara", 1100).await;
    assert_eq!(pizza.price.cents(), 1200);
    assert!(pizza.is_available);

    let got = app.menu.get_menu_item(&tenant, pizza.id).await.unwrap();
    assert_eq!(got, Some(pizza.clone()));
    let all = app.menu.list_menu_items(&tenant).await.unwrap();
    assert_eq!(all, vec![pasta, pizza], "ordered by name");
}

pub async fn menus_are_isolated_between_tenants<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    let burger = add_item(app, &a, "Burger", 900).await;
    let salad = add_item(app, &b, "Salad", 700).await;

    assert_eq!(
        names(&app.menu.list_menu_items(&a).await.unwrap()),
        ["Burger"]
    );
    assert_eq!(
        names(&app.menu.store_menu(&open(&a)).await.unwrap().items),
        ["Burger"]
    );
    assert_eq!(
        names(&app.menu.list_menu_items(&b).await.unwrap()),
        ["Salad"]
    );

    assert_eq!(app.menu.get_menu_item(&a, salad.id).await.unwrap(), None);
    let patch = MenuItemPatch {
        price: Some(PriceCents::try_from(1).unwrap()),
        ..MenuItemPatch::default()
    };
    assert!(matches!(
        app.menu.update_menu_item(&a, salad.id, patch).await,
        Err(UpdateMenuItemError::NotFound(id)) if id == salad.id
    ));
    assert!(matches!(
        app.menu.delete_menu_item(&a, salad.id).await,
        Err(DeleteMenuItemError::NotFound(_))
    ));
    let salad_now = app.menu.get_menu_item(&b, salad.id).await.unwrap();
    assert_eq!(salad_now, Some(salad), "B's item is untouched");
    assert_eq!(
        app.menu.get_menu_item(&a, burger.id).await.unwrap(),
        Some(burger)
    );
}

pub async fn the_store_menu_lists_every_item_and_the_groups_they_offer<P: Ports>(
    app: &Chameleon<P>,
) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let fries = add_item(app, &tenant, "Fries", 300).await;
    assert_eq!(
        names(&app.menu.store_menu(&open(&tenant)).await.unwrap().items),
        ["Burger", "Fries"]
    );

    let off = MenuItemPatch {
        is_available: Some(false),
        ..MenuItemPatch::default()
    };
    app.menu
        .update_menu_item(&tenant, fries.id, off)
        .await
        .unwrap();
    let menu = app.menu.store_menu(&open(&tenant)).await.unwrap();
    assert_eq!(
        names(&menu.items),
        ["Burger", "Fries"],
        "sold out, still shown"
    );
    assert_eq!(menu.items[1].sold_out(), Some(SoldOut::Indefinitely));
    assert!(menu.option_groups.is_empty());

    // A group shows once an item offers it, and is current at once when it changes.
    let size = add_group(app, &tenant, "Size", 1, 1, &[("Small", 0), ("Large", 250)]).await;
    add_group(app, &tenant, "Unused", 0, 1, &[("Nothing", 0)]).await;
    assert!(
        app.menu
            .store_menu(&open(&tenant))
            .await
            .unwrap()
            .option_groups
            .is_empty()
    );
    offer(app, &tenant, burger.id, &[size.id]).await;
    let menu = app.menu.store_menu(&open(&tenant)).await.unwrap();
    assert_eq!(menu.option_groups, vec![size.clone()]);
    assert_eq!(menu.items[0].option_groups, vec![size.id]);
    let renamed = app
        .menu
        .update_option_group(
            &tenant,
            size.id,
            OptionGroupPatch {
                name: Some(OptionGroupName::parse("Sizes").unwrap()),
                ..OptionGroupPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        app.menu
            .store_menu(&open(&tenant))
            .await
            .unwrap()
            .option_groups,
        vec![renamed]
    );
    assert_eq!(app.menu.list_menu_items(&tenant).await.unwrap().len(), 2);
}

/// Creates an option group of `options` (name, delta) on `tenant` (panics if that fails).
pub async fn add_group<P: Ports>(
    app: &Chameleon<P>,
    tenant: &Tenant,
    name: &str,
    min: u8,
    max: u8,
    options: &[(&str, i64)],
) -> OptionGroup {
    app.menu
        .create_option_group(
            tenant,
            NewOptionGroup {
                name: OptionGroupName::parse(name).expect("test group name"),
                min,
                max,
                options: options
                    .iter()
                    .map(|(name, delta)| OptionChoice {
                        id: fresh_option_id(),
                        name: OptionName::parse(name).expect("test option name"),
                        price_delta: PriceDelta::try_from(*delta).expect("test delta"),
                        sold_out: None,
                    })
                    .collect(),
            },
        )
        .await
        .expect("creating an option group")
}

/// An option id no other in this process has (core draws no randomness; the options of a
/// group come with their ids).
pub fn fresh_option_id() -> OptionId {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    OptionId::from_uuid(Uuid::from_u64_pair(0x0b71_0000_0000_0000, n))
}

/// Has item `id` offer `groups` (panics if that fails).
async fn offer<P: Ports>(
    app: &Chameleon<P>,
    tenant: &Tenant,
    id: MenuItemId,
    groups: &[OptionGroupId],
) -> MenuItem {
    app.menu
        .update_menu_item(
            tenant,
            id,
            MenuItemPatch {
                option_groups: Some(groups.to_vec()),
                ..MenuItemPatch::default()
            },
        )
        .await
        .expect("offering option groups")
}

/// An order of one line with options, placed at `at`.
fn order_with(item: MenuItemId, qty: i64, options: &[OptionId], at: &str) -> PlaceOrderRequest {
    PlaceOrderRequest {
        order: OrderRequest {
            pickup_at: None,
            customer: CustomerName::parse("Ann").expect("test customer"),
            lines: OrderLines::parse_with_options([(
                item,
                Quantity::try_from(qty).expect("test quantity"),
                options.to_vec(),
            )])
            .expect("test lines"),
        },
        idempotency_key: None,
        placed_at: at.parse().expect("test instant"),
        tracking_token: TrackingToken::parse(&"A".repeat(43)).expect("test token"),
    }
}

pub async fn option_groups_price_orders_and_refuse_what_would_break_them<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    let pizza = add_item(app, &a, "Pizza", 1000).await;
    let size = add_group(app, &a, "Size", 1, 1, &[("Small", -200), ("Large", 300)]).await;
    let toppings = add_group(
        app,
        &a,
        "Toppings",
        0,
        2,
        &[("Olives", 100), ("Basil", 0), ("Ham", 250)],
    )
    .await;
    assert_eq!(
        app.menu.list_option_groups(&a).await.unwrap(),
        vec![size.clone(), toppings.clone()],
        "by name"
    );
    // Another tenant sees none of it, and cannot offer it.
    assert!(app.menu.list_option_groups(&b).await.unwrap().is_empty());
    assert_eq!(app.menu.get_option_group(&b, size.id).await.unwrap(), None);
    let soup = add_item(app, &b, "Soup", 500).await;
    let foreign = app
        .menu
        .update_menu_item(
            &b,
            soup.id,
            MenuItemPatch {
                option_groups: Some(vec![size.id]),
                ..MenuItemPatch::default()
            },
        )
        .await;
    assert!(
        matches!(foreign, Err(UpdateMenuItemError::Offer(OfferError::UnknownGroup(id))) if id == size.id),
        "{foreign:?}"
    );
    assert!(matches!(
        app.menu.delete_option_group(&b, size.id).await,
        Err(DeleteOptionGroupError::NotFound(_))
    ));

    let pizza = offer(app, &a, pizza.id, &[size.id, toppings.id]).await;
    let (small, large) = (size.options[0].id, size.options[1].id);
    let (olives, ham) = (toppings.options[0].id, toppings.options[2].id);
    let shop = open(&a);
    let placed = app
        .ordering
        .place_order(
            &shop,
            order_with(pizza.id, 2, &[ham, large, olives], "2026-12-07T19:00:00Z"),
        )
        .await
        .unwrap()
        .into_order();
    assert_eq!(placed.total_cents, 2 * (1000 + 300 + 100 + 250));
    let line = &placed.items[0];
    assert_eq!(line.unit_price, 1650);
    let chosen: Vec<_> = line
        .options
        .iter()
        .map(|o| (o.group.as_str(), o.name.as_str(), o.price_delta.cents()))
        .collect();
    assert_eq!(
        chosen,
        [
            ("Size", "Large", 300),
            ("Toppings", "Olives", 100),
            ("Toppings", "Ham", 250)
        ],
        "in the item's group order, then the group's"
    );
    assert_eq!(all_orders(app, &a).await, vec![placed.clone()], "as stored");

    for (options, refused) in [
        (vec![], "below min"),
        (vec![small, large], "above max"),
        (vec![small, soup_option(&toppings)], "fine"),
    ] {
        let outcome = app
            .ordering
            .place_order(
                &shop,
                order_with(pizza.id, 1, &options, "2026-12-07T19:00:00Z"),
            )
            .await;
        match refused {
            "below min" => assert!(
                matches!(outcome, Err(PlaceOrderError::Rejected(OrderRejection::OptionsBelowMin { line: 0, group, .. })) if group == size.id),
                "{outcome:?}"
            ),
            "above max" => assert!(
                matches!(outcome, Err(PlaceOrderError::Rejected(OrderRejection::OptionsAboveMax { line: 0, group, .. })) if group == size.id),
                "{outcome:?}"
            ),
            _ => assert!(outcome.is_ok(), "{outcome:?}"),
        }
    }
    // An option of a group the item does not offer.
    let other = add_group(app, &a, "Other", 0, 1, &[("Foreign", 0)]).await;
    let outcome = app
        .ordering
        .place_order(
            &shop,
            order_with(
                pizza.id,
                1,
                &[small, other.options[0].id],
                "2026-12-07T19:00:00Z",
            ),
        )
        .await;
    assert!(
        matches!(
            outcome,
            Err(PlaceOrderError::Rejected(OrderRejection::UnknownOption {
                line: 0,
                ..
            }))
        ),
        "{outcome:?}"
    );
    assert_eq!(
        all_orders(app, &a).await.len(),
        2,
        "refusals stored nothing"
    );

    // No write may let a choice price the pizza below 0: not the item's price, not a group's
    // deltas, not its bounds; and the refused write stores nothing.
    let cheaper = app
        .menu
        .update_menu_item(
            &a,
            pizza.id,
            MenuItemPatch {
                price: Some(PriceCents::try_from(150).unwrap()),
                ..MenuItemPatch::default()
            },
        )
        .await;
    assert!(
        matches!(
            cheaper,
            Err(UpdateMenuItemError::Offer(OfferError::NegativePrice { .. }))
        ),
        "{cheaper:?}"
    );
    let discount = app
        .menu
        .update_option_group(
            &a,
            toppings.id,
            OptionGroupPatch {
                options: Some(OptionsChange::Replace(vec![
                    OptionEdit::Keep {
                        id: olives,
                        name: None,
                        price_delta: Some(PriceDelta::try_from(-500).unwrap()),
                        sold_out: None,
                    },
                    OptionEdit::Keep {
                        id: ham,
                        name: None,
                        price_delta: Some(PriceDelta::try_from(-400).unwrap()),
                        sold_out: None,
                    },
                ])),
                ..OptionGroupPatch::default()
            },
        )
        .await;
    assert!(
        matches!(discount, Err(UpdateOptionGroupError::Offer(OfferError::NegativePrice { item, .. })) if item == pizza.id),
        "{discount:?}"
    );
    assert_eq!(
        app.menu.get_option_group(&a, toppings.id).await.unwrap(),
        Some(toppings.clone()),
        "unchanged"
    );
    let too_few = app
        .menu
        .update_option_group(
            &a,
            size.id,
            OptionGroupPatch {
                min: Some(3),
                max: Some(3),
                ..OptionGroupPatch::default()
            },
        )
        .await;
    assert!(
        matches!(
            too_few,
            Err(UpdateOptionGroupError::Invalid(
                OptionGroupError::FewerOptionsThanMin { .. }
            ))
        ),
        "{too_few:?}"
    );
    let negative_item = app
        .menu
        .create_menu_item(
            &a,
            NewMenuItem {
                option_groups: vec![size.id],
                ..NewMenuItem::plain(
                    MenuItemName::parse("Mini").unwrap(),
                    PriceCents::try_from(100).unwrap(),
                )
            },
        )
        .await;
    assert!(
        matches!(
            negative_item,
            Err(CreateMenuItemError::Offer(OfferError::NegativePrice { .. }))
        ),
        "{negative_item:?}"
    );

    // A group an item offers stays; once no item offers it, it goes.
    assert!(matches!(
        app.menu.delete_option_group(&a, size.id).await,
        Err(DeleteOptionGroupError::InUse(id)) if id == size.id
    ));
    offer(app, &a, pizza.id, &[toppings.id]).await;
    app.menu.delete_option_group(&a, size.id).await.unwrap();
    assert_eq!(app.menu.get_option_group(&a, size.id).await.unwrap(), None);
    assert!(matches!(
        app.menu.delete_option_group(&a, size.id).await,
        Err(DeleteOptionGroupError::NotFound(_))
    ));
    // The orders keep their snapshot.
    assert_eq!(all_orders(app, &a).await.last(), Some(&placed));

    // An idempotent retry with the options in another order replays the first order.
    let keyed = |options: &[OptionId]| PlaceOrderRequest {
        idempotency_key: Some(IdempotencyKey::parse("options-1").unwrap()),
        ..order_with(pizza.id, 1, options, "2026-12-07T19:00:00Z")
    };
    let first = app
        .ordering
        .place_order(&shop, keyed(&[olives, ham]))
        .await
        .unwrap();
    let again = app
        .ordering
        .place_order(&shop, keyed(&[ham, olives]))
        .await
        .unwrap();
    assert!(matches!(again, Placement::Replayed(_)));
    assert_eq!(again.order().id, first.order().id);
    let other = app.ordering.place_order(&shop, keyed(&[ham])).await;
    assert!(
        matches!(other, Err(PlaceOrderError::KeyReused(_))),
        "{other:?}"
    );
}

/// An option of `group` (its second): for a line the group allows.
fn soup_option(group: &OptionGroup) -> OptionId {
    group.options[1].id
}

pub async fn random_carts_are_placed_as_the_reference_prices_them<P: Ports>(app: &Chameleon<P>) {
    use crate::carts::{
        CARTS_PER_MENU, CONTRACT_MENUS, Priced, Rng, SEED, cases_now, priced_lines, random_cart,
        random_menu, reference_price,
    };
    // The first menus and carts of core's property test (the same draws; the ids of items and
    // groups are the ones the adapter stores them under).
    let now = cases_now();
    let mut rng = Rng::new(SEED);
    let mut placed = 0;
    for n in 0..CONTRACT_MENUS {
        let tenant = provision(app, &format!("carts{n}.example")).await;
        // The random menu, stored: its groups first, then its items (under the ids stored).
        let (items, groups) = random_menu(&mut rng, now);
        let mut stored_groups = Vec::new();
        let mut renamed = std::collections::HashMap::new();
        for group in &groups {
            let created = app
                .menu
                .create_option_group(
                    &tenant,
                    NewOptionGroup {
                        name: group.name.clone(),
                        min: group.min,
                        max: group.max,
                        options: group.options.clone(),
                    },
                )
                .await
                .unwrap();
            renamed.insert(group.id, created.id);
            stored_groups.push(created);
        }
        let mut stored_items = Vec::new();
        for item in &items {
            let created = app
                .menu
                .create_menu_item(
                    &tenant,
                    NewMenuItem {
                        name: item.name.clone(),
                        price: item.price,
                        is_available: item.is_available,
                        sold_out_until: item.sold_out_until,
                        option_groups: item.option_groups.iter().map(|g| renamed[g]).collect(),
                        category: None,
                        description: None,
                        image_url: None,
                        tags: Vec::new(),
                    },
                )
                .await
                .unwrap();
            stored_items.push(created);
        }
        let shop = open(&tenant);
        let mut answered = Vec::new();
        for _ in 0..CARTS_PER_MENU {
            let cart = random_cart(&mut rng, &stored_items, &stored_groups);
            let expected = reference_price(&cart, &stored_items, &stored_groups, now);
            let Ok(order) = crate::carts::request(&cart) else {
                assert!(matches!(
                    expected,
                    Err(crate::carts::Refusal::DuplicateOption { .. })
                ));
                continue;
            };
            let outcome = app
                .ordering
                .place_order(
                    &shop,
                    PlaceOrderRequest {
                        order,
                        idempotency_key: None,
                        placed_at: now,
                        tracking_token: TrackingToken::parse(&"A".repeat(43)).unwrap(),
                    },
                )
                .await;
            match (outcome, expected) {
                (Ok(placement), Ok(priced)) => {
                    let order = placement.into_order();
                    assert_eq!(
                        Priced {
                            lines: priced_lines(&order.items),
                            total: order.total_cents,
                        },
                        priced,
                        "{cart:?}"
                    );
                    answered.push(order);
                    placed += 1;
                }
                (Err(PlaceOrderError::Rejected(rejection)), Err(refusal)) => {
                    assert_eq!(
                        crate::carts::refusal_of(&rejection),
                        Some(refusal),
                        "{cart:?}"
                    );
                }
                (outcome, expected) => panic!("{cart:?}: {outcome:?}, expected {expected:?}"),
            }
        }
        // What was placed is stored as it was answered.
        for order in all_orders(app, &tenant).await {
            let again = app
                .ordering
                .list_orders(&tenant, OrderPage::default())
                .await
                .unwrap();
            assert!(again.items.contains(&order));
        }
    }
    assert!(placed >= 20, "too few carts placed ({placed}) to say much");
}

pub async fn sold_out_until_passes_by_itself_and_categories_serve_at_their_hours<P: Ports>(
    app: &Chameleon<P>,
) {
    let tenant = provision(app, "a.com").await;
    let shop = open(&tenant);
    let breakfast = app
        .menu
        .create_category(
            &tenant,
            NewCategory {
                name: CategoryName::parse("Breakfast").unwrap(),
                position: Position::try_from(0).unwrap(),
                // Every day, 07:00 to 11:00 (the tenant's zone is UTC).
                serving_hours: Some(
                    OpeningHours::parse(
                        crate::hours::DAYS
                            .iter()
                            .map(|day| (*day, vec![("07:00", "11:00")])),
                    )
                    .unwrap(),
                ),
            },
        )
        .await
        .unwrap();
    let eggs = app
        .menu
        .create_menu_item(
            &tenant,
            NewMenuItem {
                category: Some(breakfast.id),
                ..NewMenuItem::plain(
                    MenuItemName::parse("Eggs").unwrap(),
                    PriceCents::try_from(700).unwrap(),
                )
            },
        )
        .await
        .unwrap();
    let place = |at: &str| {
        app.ordering
            .place_order(&shop, order_with(eggs.id, 1, &[], at))
    };
    assert!(place("2026-12-07T08:00:00Z").await.is_ok());
    let late = place("2026-12-07T11:30:00Z").await;
    assert!(
        matches!(late, Err(PlaceOrderError::Rejected(OrderRejection::UnavailableItem { line: 0, from: Some(from), .. })) if from.to_string() == "2026-12-08T07:00:00Z"),
        "{late:?}"
    );

    // Sold out until 09:00: refused before, taken after, with nothing run in between.
    let until: jiff::Timestamp = "2026-12-08T09:00:00Z".parse().unwrap();
    let marked = app
        .menu
        .update_menu_item(
            &tenant,
            eggs.id,
            MenuItemPatch {
                sold_out: Some(Some(SoldOut::Until(until))),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(marked.sold_out(), Some(SoldOut::Until(until)));
    assert!(marked.is_available);
    let early = place("2026-12-08T08:59:59Z").await;
    assert!(
        matches!(early, Err(PlaceOrderError::Rejected(OrderRejection::UnavailableItem { from: Some(from), .. })) if from == until),
        "{early:?}"
    );
    assert!(place("2026-12-08T09:00:00Z").await.is_ok());

    // An option sold out until a time; marking it is a change of availability only.
    let milk = add_group(app, &tenant, "Milk", 0, 1, &[("Oat", 50), ("Whole", 0)]).await;
    offer(app, &tenant, eggs.id, &[milk.id]).await;
    let oat = milk.options[0].id;
    let mark = OptionGroupPatch {
        options: Some(OptionsChange::Availability(vec![(
            oat,
            Some(SoldOut::Until(until)),
        )])),
        ..OptionGroupPatch::default()
    };
    assert_eq!(mark.permission(), crate::staff::Permission::MarkSoldOut);
    let marked = app
        .menu
        .update_option_group(&tenant, milk.id, mark)
        .await
        .unwrap();
    assert_eq!(marked.options.len(), 2);
    assert_eq!(marked.options[0].sold_out, Some(SoldOut::Until(until)));
    let refused = app
        .ordering
        .place_order(
            &shop,
            order_with(eggs.id, 1, &[oat], "2026-12-08T08:30:00Z"),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(PlaceOrderError::Rejected(
                OrderRejection::UnavailableItem { .. }
            ))
        ),
        "the item is still sold out then: {refused:?}"
    );
    app.menu
        .update_menu_item(
            &tenant,
            eggs.id,
            MenuItemPatch {
                sold_out: Some(None),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    let refused = app
        .ordering
        .place_order(
            &shop,
            order_with(eggs.id, 1, &[oat], "2026-12-08T08:30:00Z"),
        )
        .await;
    assert!(
        matches!(refused, Err(PlaceOrderError::Rejected(OrderRejection::UnavailableOption { line: 0, group, .. })) if group == milk.id),
        "{refused:?}"
    );
    assert!(
        app.ordering
            .place_order(
                &shop,
                order_with(eggs.id, 1, &[oat], "2026-12-08T09:30:00Z")
            )
            .await
            .is_ok()
    );
}

pub async fn a_partial_update_changes_only_what_it_names<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let renamed = app
        .menu
        .update_menu_item(
            &tenant,
            burger.id,
            MenuItemPatch {
                name: Some(MenuItemName::parse("Cheeseburger").unwrap()),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name.as_str(), "Cheeseburger");
    assert_eq!(renamed.price, burger.price);
    assert!(renamed.is_available);
    let unchanged = app
        .menu
        .update_menu_item(&tenant, burger.id, MenuItemPatch::default())
        .await
        .unwrap();
    assert_eq!(unchanged, renamed);
    assert_eq!(
        app.menu.get_menu_item(&tenant, burger.id).await.unwrap(),
        Some(renamed)
    );

    let ghost = MenuItemId::from_uuid(Uuid::from_u128(7));
    assert!(matches!(
        app.menu.update_menu_item(&tenant, ghost, MenuItemPatch::default()).await,
        Err(UpdateMenuItemError::NotFound(id)) if id == ghost
    ));
}

pub async fn deleting_an_item_removes_it_once<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    app.menu.delete_menu_item(&tenant, burger.id).await.unwrap();
    assert_eq!(
        app.menu.get_menu_item(&tenant, burger.id).await.unwrap(),
        None
    );
    assert!(app.menu.list_menu_items(&tenant).await.unwrap().is_empty());
    assert!(matches!(
        app.menu.delete_menu_item(&tenant, burger.id).await,
        Err(DeleteMenuItemError::NotFound(id)) if id == burger.id
    ));
}

pub async fn orders_are_priced_from_stored_prices<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let fries = add_item(app, &tenant, "Fries", 350).await;
    let placed = app
        .ordering
        .place_order(&open(&tenant), order(&[(burger.id, 2), (fries.id, 1)]))
        .await
        .unwrap()
        .into_order();
    assert_eq!(placed.status, OrderStatus::Pending);
    assert_eq!(placed.total_cents, 2 * 900 + 350);
    assert_eq!(placed.customer.as_str(), "John Doe");
    let lines: Vec<_> = placed
        .items
        .iter()
        .map(|i| (i.id, i.name.as_str(), i.unit_price, i.qty.get()))
        .collect();
    assert_eq!(
        lines,
        vec![(burger.id, "Burger", 900, 2), (fries.id, "Fries", 350, 1)]
    );
    assert_eq!(all_orders(app, &tenant).await, vec![placed]);
}

pub async fn orders_naming_unknown_unavailable_or_foreign_items_store_nothing<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    let burger = add_item(app, &a, "Burger", 900).await;
    let off = add_item(app, &a, "Sold out", 100).await;
    app.menu
        .update_menu_item(
            &a,
            off.id,
            MenuItemPatch {
                is_available: Some(false),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    let salad = add_item(app, &b, "Salad", 700).await;
    let ghost = MenuItemId::from_uuid(Uuid::from_u128(99));

    let foreign = app
        .ordering
        .place_order(&open(&a), order(&[(burger.id, 1), (salad.id, 1)]))
        .await;
    assert!(
        matches!(foreign, Err(PlaceOrderError::Rejected(OrderRejection::UnknownItem { item: id, .. })) if id == salad.id),
        "{foreign:?}"
    );
    let unknown = app
        .ordering
        .place_order(&open(&a), order(&[(ghost, 1)]))
        .await;
    assert!(matches!(
        unknown,
        Err(PlaceOrderError::Rejected(OrderRejection::UnknownItem { item: id, .. })) if id == ghost
    ));
    let unavailable = app
        .ordering
        .place_order(&open(&a), order(&[(burger.id, 1), (off.id, 1)]))
        .await;
    assert!(matches!(
        unavailable,
        Err(PlaceOrderError::Rejected(OrderRejection::UnavailableItem { item: id, .. })) if id == off.id
    ));

    assert!(all_orders(app, &a).await.is_empty());
    assert!(all_orders(app, &b).await.is_empty());
}

pub async fn orders_are_listed_newest_first<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let mut placed = Vec::new();
    for qty in 1..=4 {
        placed.push(
            app.ordering
                .place_order(&open(&tenant), order(&[(burger.id, qty)]))
                .await
                .unwrap()
                .into_order()
                .id,
        );
    }
    placed.reverse();
    let listed: Vec<OrderId> = all_orders(app, &tenant)
        .await
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(listed, placed);
}

pub async fn only_pending_orders_are_confirmed<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    let burger = add_item(app, &a, "Burger", 900).await;
    let placed = app
        .ordering
        .place_order(&open(&a), order(&[(burger.id, 1)]))
        .await
        .unwrap()
        .into_order();

    assert!(matches!(
        app.ordering.confirm_order(&b, placed.id, jiff::Timestamp::UNIX_EPOCH).await,
        Err(ChangeOrderStatusError::NotFound(id)) if id == placed.id
    ));
    let confirmed = app
        .ordering
        .confirm_order(&a, placed.id, jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(confirmed.status, OrderStatus::Confirmed);
    assert_eq!(confirmed.id, placed.id);
    assert_eq!(confirmed.total_cents, placed.total_cents);
    assert!(matches!(
        app.ordering
            .confirm_order(&a, placed.id, jiff::Timestamp::UNIX_EPOCH)
            .await,
        Err(ChangeOrderStatusError::Refused(StatusChangeRefused {
            from: OrderStatus::Confirmed,
            to: OrderStatus::Confirmed,
        }))
    ));
    let ghost = OrderId::from_uuid(Uuid::from_u128(5));
    assert!(matches!(
        app.ordering
            .confirm_order(&a, ghost, jiff::Timestamp::UNIX_EPOCH)
            .await,
        Err(ChangeOrderStatusError::NotFound(_))
    ));
    assert_eq!(all_orders(app, &a).await[0].status, OrderStatus::Confirmed);
}

pub async fn an_order_keeps_its_snapshot_when_the_menu_changes<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let placed = app
        .ordering
        .place_order(&open(&tenant), order(&[(burger.id, 1)]))
        .await
        .unwrap()
        .into_order();
    app.menu
        .update_menu_item(
            &tenant,
            burger.id,
            MenuItemPatch {
                name: Some(MenuItemName::parse("Big Burger").unwrap()),
                price: Some(PriceCents::try_from(1500).unwrap()),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    app.menu.delete_menu_item(&tenant, burger.id).await.unwrap();
    let stored = all_orders(app, &tenant).await;
    assert_eq!(stored, vec![placed]);
    assert_eq!(stored[0].items[0].name.as_str(), "Burger");
    assert_eq!(stored[0].total_cents, 900);
}

pub async fn orders_are_isolated_between_tenants<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    let burger = add_item(app, &a, "Burger", 900).await;
    add_item(app, &b, "Salad", 700).await;
    let placed = app
        .ordering
        .place_order(&open(&a), order(&[(burger.id, 1)]))
        .await
        .unwrap()
        .into_order();
    assert_eq!(all_orders(app, &a).await, vec![placed]);
    assert!(all_orders(app, &b).await.is_empty());
}

pub async fn a_rotated_manager_key_replaces_the_old_one_at_once<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    // Warm every lookup first, so a cache that kept the old key would show.
    app.tenancy.tenant_for_domain(&a.domain).await.unwrap();
    app.tenancy.tenant_by_id(a.id).await.unwrap();
    let new_key = ManagerApiKey::from_random_bytes([9; 32]);
    let rotated = app
        .tenancy
        .rotate_manager_key(&a, new_key.hash())
        .await
        .unwrap();
    assert!(rotated.manager_key_hash.verifies(new_key.expose()));
    let old_key = ManagerApiKey::from_random_bytes([1; 32]);
    for tenant in [
        app.tenancy.tenant_by_id(a.id).await.unwrap().unwrap(),
        app.tenancy
            .tenant_for_domain(&a.domain)
            .await
            .unwrap()
            .unwrap(),
    ] {
        assert!(tenant.manager_key_hash.verifies(new_key.expose()));
        assert!(!tenant.manager_key_hash.verifies(old_key.expose()));
    }
    let other = app.tenancy.tenant_by_id(b.id).await.unwrap().unwrap();
    assert!(
        other.manager_key_hash.verifies(old_key.expose()),
        "B keeps its key"
    );
    let ghost = TenantId::from_uuid(Uuid::from_u128(77));
    let mut nobody = a.clone();
    nobody.id = ghost;
    assert!(matches!(
        app.tenancy.rotate_manager_key(&nobody, new_key.hash()).await,
        Err(crate::ports::UpdateTenantError::NotFound(id)) if id == ghost
    ));
}

pub async fn an_idempotency_key_places_once_and_replays_the_first_answer<P: Ports>(
    app: &Chameleon<P>,
) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let first = app
        .ordering
        .place_order(&open(&tenant), keyed(&[(burger.id, 2)], "checkout-1"))
        .await
        .unwrap();
    let Placement::Placed(placed) = first else {
        panic!("the first request was not placed: {first:?}");
    };
    // The same order written another way is the same request.
    let again = app
        .ordering
        .place_order(
            &open(&tenant),
            keyed(&[(burger.id, 1), (burger.id, 1)], "checkout-1"),
        )
        .await
        .unwrap();
    assert_eq!(again, Placement::Replayed(placed.clone()));
    assert_eq!(all_orders(app, &tenant).await, vec![placed.clone()]);

    // Even once the order has moved on, a replay answers as the first answer did.
    app.ordering
        .confirm_order(&tenant, placed.id, jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    let later = app
        .ordering
        .place_order(&open(&tenant), keyed(&[(burger.id, 2)], "checkout-1"))
        .await
        .unwrap();
    assert_eq!(later, Placement::Replayed(placed));
    // Without a key, every request is an order of its own.
    app.ordering
        .place_order(&open(&tenant), order(&[(burger.id, 2)]))
        .await
        .unwrap();
    app.ordering
        .place_order(&open(&tenant), order(&[(burger.id, 2)]))
        .await
        .unwrap();
    assert_eq!(all_orders(app, &tenant).await.len(), 3);
}

pub async fn a_key_used_for_another_order_is_refused_and_keys_are_per_tenant<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "a.com").await;
    let b = provision(app, "b.com").await;
    let burger = add_item(app, &a, "Burger", 900).await;
    let salad = add_item(app, &b, "Salad", 700).await;
    app.ordering
        .place_order(&open(&a), keyed(&[(burger.id, 1)], "k"))
        .await
        .unwrap();
    let other = app
        .ordering
        .place_order(&open(&a), keyed(&[(burger.id, 3)], "k"))
        .await;
    assert!(
        matches!(other, Err(PlaceOrderError::KeyReused(KeyReused))),
        "{other:?}"
    );
    assert_eq!(
        all_orders(app, &a).await.len(),
        1,
        "nothing more was stored"
    );
    // A rejected order stores no key either.
    let ghost = MenuItemId::from_uuid(Uuid::from_u128(3));
    assert!(
        app.ordering
            .place_order(&open(&a), keyed(&[(ghost, 1)], "k2"))
            .await
            .is_err()
    );
    let fixed = app
        .ordering
        .place_order(&open(&a), keyed(&[(burger.id, 1)], "k2"))
        .await;
    assert!(matches!(fixed, Ok(Placement::Placed(_))), "{fixed:?}");
    // B's keys are B's own.
    let placed_b = app
        .ordering
        .place_order(&open(&b), keyed(&[(salad.id, 1)], "k"))
        .await;
    assert!(matches!(placed_b, Ok(Placement::Placed(_))), "{placed_b:?}");
}

pub async fn concurrent_requests_under_one_key_place_one_order<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let open = open(&tenant);
    let attempts = join_all((0..6).map(|_| {
        app.ordering
            .place_order(&open, keyed(&[(burger.id, 1)], "double-click"))
    }))
    .await;
    let placed = attempts
        .iter()
        .filter(|a| matches!(a, Ok(Placement::Placed(_))))
        .count();
    assert_eq!(placed, 1, "{attempts:?}");
    let stored = all_orders(app, &tenant).await;
    assert_eq!(stored.len(), 1);
    for attempt in attempts {
        assert_eq!(attempt.unwrap().into_order().id, stored[0].id);
    }
}

pub async fn a_retry_replays_even_when_the_order_would_now_be_refused<P: Ports>(
    app: &Chameleon<P>,
) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let placed = app
        .ordering
        .place_order(&open(&tenant), keyed(&[(burger.id, 1)], "last-burger"))
        .await
        .unwrap();
    let sold_out = MenuItemPatch {
        is_available: Some(false),
        ..MenuItemPatch::default()
    };
    app.menu
        .update_menu_item(&tenant, burger.id, sold_out)
        .await
        .unwrap();
    // The retry of the order placed before answers as it did...
    let retried = app
        .ordering
        .place_order(&open(&tenant), keyed(&[(burger.id, 1)], "last-burger"))
        .await;
    assert_eq!(retried.unwrap(), Placement::Replayed(placed.into_order()));
    // ...another order under the key is still another order...
    let other = app
        .ordering
        .place_order(&open(&tenant), keyed(&[(burger.id, 2)], "last-burger"))
        .await;
    assert!(
        matches!(other, Err(PlaceOrderError::KeyReused(KeyReused))),
        "{other:?}"
    );
    // ...and a fresh request is refused.
    let fresh = app
        .ordering
        .place_order(&open(&tenant), keyed(&[(burger.id, 1)], "next-burger"))
        .await;
    assert!(
        matches!(fresh, Err(PlaceOrderError::Rejected(OrderRejection::UnavailableItem { item: id, .. })) if id == burger.id),
        "{fresh:?}"
    );
    assert_eq!(all_orders(app, &tenant).await.len(), 1);
}

pub async fn orders_are_paged_newest_first_with_a_cursor_and_a_status<P: Ports>(
    app: &Chameleon<P>,
) {
    let tenant = provision(app, "a.com").await;
    let burger = add_item(app, &tenant, "Burger", 900).await;
    let mut placed = Vec::new();
    for qty in 1..=5 {
        placed.push(
            app.ordering
                .place_order(&open(&tenant), order(&[(burger.id, qty)]))
                .await
                .unwrap()
                .into_order(),
        );
    }
    app.ordering
        .confirm_order(&tenant, placed[1].id, jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    app.ordering
        .confirm_order(&tenant, placed[3].id, jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    let newest_first: Vec<OrderId> = placed.iter().rev().map(|o| o.id).collect();

    let mut seen = Vec::new();
    let mut after: Option<OrderCursor> = None;
    for expected_len in [2, 2, 1] {
        let page = app
            .ordering
            .list_orders(
                &tenant,
                OrderPage {
                    limit: PageLimit::try_from(2).unwrap(),
                    after,
                    ..OrderPage::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), expected_len);
        seen.extend(page.items.iter().map(|o| o.id));
        after = page.next;
    }
    assert_eq!(after, None, "the last page says so");
    assert_eq!(seen, newest_first);

    let confirmed = app
        .ordering
        .list_orders(
            &tenant,
            OrderPage {
                status: Some(OrderStatus::Confirmed),
                ..OrderPage::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<OrderId> = confirmed.items.iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![placed[3].id, placed[1].id]);
    assert_eq!(confirmed.next, None);
}

fn domain(raw: &str) -> Domain {
    Domain::parse(raw).expect("test domain")
}

/// The domains of tenant `id` as its details list them: (domain, primary), primary first.
async fn domains_of<P: Ports>(app: &Chameleon<P>, id: TenantId) -> Vec<(String, bool)> {
    app.tenancy
        .tenant_details(id)
        .await
        .unwrap()
        .expect("the tenant exists")
        .domains
        .iter()
        .map(|d| (d.domain.as_str().to_owned(), d.primary))
        .collect()
}

pub async fn a_tenant_s_settings_and_status_change_everywhere_at_once<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "settings-a.com").await;
    let b = provision(app, "settings-b.com").await;
    app.tenancy
        .add_domain(a.id, domain("settings-a2.com"), false)
        .await
        .unwrap();
    // Warm every lookup, so a cache that kept the old settings would show.
    for d in ["settings-a.com", "settings-a2.com"] {
        app.tenancy
            .tenant_for_domain(&domain(d))
            .await
            .unwrap()
            .unwrap();
    }
    app.tenancy.tenant_by_id(a.id).await.unwrap();
    let theme = Theme {
        primary_color: ThemeColor::parse("#123456").unwrap(),
        font: Font::Serif,
    };
    let hours = OpeningHours::parse([
        ("mon", vec![("11:00", "14:00"), ("18:00", "02:00")]),
        ("sun", vec![("00:00", "24:00")]),
    ])
    .unwrap();
    let renamed = app
        .tenancy
        .update_tenant(
            a.id,
            TenantPatch {
                name: Some(TenantName::parse("Renamed").unwrap()),
                theme: Some(theme.clone()),
                currency: Some(Currency::parse("JPY").unwrap()),
                locale: Some(Locale::parse("ja-JP").unwrap()),
                timezone: Some(TimeZoneName::parse("Asia/Tokyo").unwrap()),
                opening_hours: Some(Some(hours.clone())),
                ..TenantPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name.as_str(), "Renamed");
    let trading = StoreSettings {
        currency: Currency::parse("JPY").unwrap(),
        locale: Locale::parse("ja-JP").unwrap(),
        timezone: TimeZoneName::parse("Asia/Tokyo").unwrap(),
        opening_hours: Some(hours),
        pickup: Default::default(),
    };
    assert_eq!(renamed.settings, trading);
    assert_eq!(
        app.tenancy
            .tenant_by_id(a.id)
            .await
            .unwrap()
            .unwrap()
            .settings,
        trading,
        "as stored"
    );
    assert_eq!(renamed.theme, theme);
    assert_eq!(renamed.status, TenantStatus::Active);
    assert_eq!(
        renamed.manager_key_hash, a.manager_key_hash,
        "the key stays"
    );
    let suspended = set_status(app, a.id, TenantStatus::Suspended).await;
    assert_eq!(suspended.status, TenantStatus::Suspended);
    assert_eq!(
        suspended.name.as_str(),
        "Renamed",
        "only the status changed"
    );
    for seen in [
        app.tenancy.tenant_by_id(a.id).await.unwrap().unwrap(),
        app.tenancy
            .tenant_for_domain(&domain("settings-a.com"))
            .await
            .unwrap()
            .unwrap(),
        app.tenancy
            .tenant_for_domain(&domain("settings-a2.com"))
            .await
            .unwrap()
            .unwrap(),
    ] {
        assert_eq!(seen.name.as_str(), "Renamed");
        assert_eq!(seen.theme, theme);
        assert_eq!(seen.status, TenantStatus::Suspended);
    }
    let other = app.tenancy.tenant_by_id(b.id).await.unwrap().unwrap();
    assert_eq!(other.name.as_str(), "settings-b.com");
    assert_eq!(other.status, TenantStatus::Active);
    let ghost = TenantId::from_uuid(Uuid::from_u128(78));
    assert!(matches!(
        app.tenancy.update_tenant(ghost, TenantPatch::default()).await,
        Err(UpdateTenantError::NotFound(id)) if id == ghost
    ));
}

pub async fn domains_are_added_refused_when_taken_and_removed<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "dom-a.com").await;
    let b = provision(app, "dom-b.com").await;
    assert_eq!(
        domains_of(app, a.id).await,
        [("dom-a.com".to_owned(), true)]
    );
    let details = app
        .tenancy
        .add_domain(a.id, domain("dom-a2.com"), false)
        .await
        .unwrap();
    assert_eq!(details.tenant.domain.as_str(), "dom-a.com");
    let found = app
        .tenancy
        .tenant_for_domain(&domain("dom-a2.com"))
        .await
        .unwrap()
        .expect("a new domain resolves at once");
    assert_eq!(found.id, a.id);
    // Taken: by another tenant (primary or not), or by this one.
    for taken in ["dom-b.com", "dom-a.com", "dom-a2.com"] {
        assert!(matches!(
            app.tenancy.add_domain(a.id, domain(taken), false).await,
            Err(DomainChangeError::Taken(d)) if d.as_str() == taken
        ));
    }
    assert!(matches!(
        app.tenancy
            .add_domain(b.id, domain("dom-a2.com"), true)
            .await,
        Err(DomainChangeError::Taken(_))
    ));
    assert!(matches!(
        app.tenancy
            .provision_tenant(new_tenant("dom-a2.com", "x"))
            .await,
        Err(ProvisionTenantError::DuplicateDomain(_))
    ));
    // A new primary: the old one stays a domain.
    let details = app
        .tenancy
        .add_domain(a.id, domain("dom-a3.com"), true)
        .await
        .unwrap();
    assert_eq!(details.tenant.domain.as_str(), "dom-a3.com");
    assert_eq!(
        domains_of(app, a.id).await,
        [
            ("dom-a3.com".to_owned(), true),
            ("dom-a.com".to_owned(), false),
            ("dom-a2.com".to_owned(), false),
        ]
    );
    assert_eq!(
        app.tenancy
            .tenant_by_id(a.id)
            .await
            .unwrap()
            .unwrap()
            .domain
            .as_str(),
        "dom-a3.com"
    );
    // Removing the primary promotes the oldest remaining domain.
    app.tenancy
        .remove_domain(a.id, &domain("dom-a3.com"))
        .await
        .unwrap();
    assert_eq!(
        domains_of(app, a.id).await,
        [
            ("dom-a.com".to_owned(), true),
            ("dom-a2.com".to_owned(), false)
        ]
    );
    assert!(
        app.tenancy
            .tenant_for_domain(&domain("dom-a3.com"))
            .await
            .unwrap()
            .is_none(),
        "a removed domain resolves to nothing at once"
    );
    app.tenancy
        .remove_domain(a.id, &domain("dom-a2.com"))
        .await
        .unwrap();
    assert!(matches!(
        app.tenancy.remove_domain(a.id, &domain("dom-a.com")).await,
        Err(DomainChangeError::LastDomain(_))
    ));
    assert!(matches!(
        app.tenancy.remove_domain(a.id, &domain("dom-b.com")).await,
        Err(DomainChangeError::NoSuchDomain(_))
    ));
    assert_eq!(
        domains_of(app, b.id).await,
        [("dom-b.com".to_owned(), true)]
    );
    // At most DOMAINS_PER_TENANT domains; one removed makes room again.
    for n in 1..crate::rules::numbers::DOMAINS_PER_TENANT {
        app.tenancy
            .add_domain(b.id, domain(&format!("dom-b{n}.com")), false)
            .await
            .unwrap();
    }
    assert!(matches!(
        app.tenancy
            .add_domain(b.id, domain("dom-b-extra.com"), false)
            .await,
        Err(DomainChangeError::TooManyDomains)
    ));
    app.tenancy
        .remove_domain(b.id, &domain("dom-b1.com"))
        .await
        .unwrap();
    app.tenancy
        .add_domain(b.id, domain("dom-b-extra.com"), false)
        .await
        .unwrap();
    let ghost = TenantId::from_uuid(Uuid::from_u128(79));
    assert!(matches!(
        app.tenancy
            .add_domain(ghost, domain("dom-ghost.com"), false)
            .await,
        Err(DomainChangeError::NotFound(_))
    ));
    assert!(app.tenancy.tenant_details(ghost).await.unwrap().is_none());
}

pub async fn a_removed_tenant_is_gone_whole_and_its_domain_is_free_again<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "gone-a.com").await;
    let b = provision(app, "gone-b.com").await;
    app.tenancy
        .add_domain(a.id, domain("gone-a2.com"), false)
        .await
        .unwrap();
    let item = add_item(app, &a, "Soup", 500).await;
    app.ordering
        .place_order(&open(&a), order(&[(item.id, 1)]))
        .await
        .unwrap();
    app.tenancy
        .tenant_for_domain(&domain("gone-a2.com"))
        .await
        .unwrap();
    for wrong in ["gone-a2.com", "gone-b.com"] {
        assert!(matches!(
            app.tenancy.delete_tenant(a.id, &domain(wrong)).await,
            Err(DeprovisionError::WrongConfirmation)
        ));
    }
    assert!(
        app.tenancy.tenant_by_id(a.id).await.unwrap().is_some(),
        "still there"
    );
    assert_eq!(app.menu.list_menu_items(&a).await.unwrap().len(), 1);
    let removed = app
        .tenancy
        .delete_tenant(a.id, &domain("gone-a.com"))
        .await
        .unwrap();
    assert_eq!(removed.tenant.id, a.id);
    assert_eq!(removed.domains.len(), 2);
    assert!(app.tenancy.tenant_by_id(a.id).await.unwrap().is_none());
    assert!(app.tenancy.tenant_details(a.id).await.unwrap().is_none());
    for gone in ["gone-a.com", "gone-a2.com"] {
        assert!(
            app.tenancy
                .tenant_for_domain(&domain(gone))
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(
        app.menu.list_menu_items(&a).await.is_err(),
        "its storage is gone"
    );
    assert!(matches!(
        app.tenancy.delete_tenant(a.id, &domain("gone-a.com")).await,
        Err(DeprovisionError::NotFound(_))
    ));
    // Both domains are free again, and B never noticed.
    let again = provision(app, "gone-a.com").await;
    assert_ne!(again.id, a.id);
    assert!(app.menu.list_menu_items(&again).await.unwrap().is_empty());
    app.tenancy
        .add_domain(b.id, domain("gone-a2.com"), false)
        .await
        .unwrap();
    assert_eq!(
        app.tenancy.tenant_by_id(b.id).await.unwrap().unwrap().id,
        b.id
    );
}

/// An [`ExportSink`] that keeps what it is handed, or refuses after `limit` records.
#[derive(Debug, Default)]
struct Collect {
    categories: Vec<Category>,
    menu: Vec<MenuItem>,
    option_groups: Vec<OptionGroup>,
    orders: Vec<Order>,
    staff: Vec<crate::staff::StaffUser>,
    audit: Vec<crate::staff::AuditEntry>,
    limit: Option<usize>,
}

impl Collect {
    fn take(&mut self) -> Result<(), SinkClosed> {
        match &mut self.limit {
            Some(0) => Err(SinkClosed),
            Some(left) => {
                *left -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl ExportSink for Collect {
    async fn category(&mut self, category: Category) -> Result<(), SinkClosed> {
        assert!(
            self.menu.is_empty() && self.orders.is_empty(),
            "the categories come first"
        );
        self.take()?;
        self.categories.push(category);
        Ok(())
    }

    async fn menu_item(&mut self, item: MenuItem) -> Result<(), SinkClosed> {
        assert!(self.orders.is_empty(), "the menu comes before the orders");
        self.take()?;
        self.menu.push(item);
        Ok(())
    }

    async fn option_group(&mut self, group: OptionGroup) -> Result<(), SinkClosed> {
        assert!(self.orders.is_empty(), "the groups come before the orders");
        self.take()?;
        self.option_groups.push(group);
        Ok(())
    }

    async fn order(&mut self, order: Order) -> Result<(), SinkClosed> {
        self.take()?;
        self.orders.push(order);
        Ok(())
    }

    async fn staff_member(&mut self, member: crate::staff::StaffUser) -> Result<(), SinkClosed> {
        self.take()?;
        self.staff.push(member);
        Ok(())
    }

    async fn audit_entry(&mut self, entry: crate::staff::AuditEntry) -> Result<(), SinkClosed> {
        self.take()?;
        self.audit.push(entry);
        Ok(())
    }
}

pub async fn an_export_hands_over_the_menu_then_every_order_oldest_first<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "export-a.com").await;
    let b = provision(app, "export-b.com").await;
    let soup = add_item(app, &a, "Soup", 500).await;
    let bread = add_item(app, &a, "Bread", 300).await;
    let starters = add_category(app, &a, "Starters", 1).await;
    let size = add_group(app, &a, "Size", 0, 1, &[("Large", 100)]).await;
    add_category(app, &b, "Foreign", 1).await;
    add_item(app, &b, "Foreign", 100).await;
    add_group(app, &b, "Foreign", 0, 1, &[("Foreign", 0)]).await;
    let mut placed = Vec::new();
    for qty in 1..=3 {
        let order = app
            .ordering
            .place_order(&open(&a), order(&[(soup.id, qty), (bread.id, 1)]))
            .await
            .unwrap()
            .into_order();
        placed.push(order);
    }
    let mut sink = Collect::default();
    app.tenancy.export_tenant(&a, &mut sink).await.unwrap();
    assert_eq!(sink.categories, [starters]);
    assert_eq!(names(&sink.menu), ["Bread", "Soup"]);
    assert_eq!(sink.option_groups, [size]);
    assert_eq!(sink.orders, placed, "every order, oldest first, as stored");
    let mut sink = Collect::default();
    app.tenancy.export_tenant(&b, &mut sink).await.unwrap();
    assert_eq!(names(&sink.menu), ["Foreign"]);
    assert_eq!(sink.option_groups.len(), 1, "its own group only");
    assert!(sink.orders.is_empty(), "another tenant's orders never");
    // A sink that stops taking records stops the export, and the tenant stays usable.
    let mut sink = Collect {
        limit: Some(5),
        ..Collect::default()
    };
    assert!(matches!(
        app.tenancy.export_tenant(&a, &mut sink).await,
        Err(crate::ports::ExportError::SinkClosed(_))
    ));
    assert_eq!(sink.orders.len(), 1);
    assert_eq!(all_orders(app, &a).await.len(), 3);
}

pub async fn orders_outside_the_opening_hours_are_refused_and_store_nothing<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "hours-a.com").await;
    let item = add_item(app, &a, "Soup", 500).await;
    // Mondays 11:00-14:00 in Paris (UTC+1 in winter).
    let hours = OpeningHours::parse([("mon", vec![("11:00", "14:00")])]).unwrap();
    let a = app
        .tenancy
        .update_tenant(
            a.id,
            TenantPatch {
                timezone: Some(TimeZoneName::parse("Europe/Paris").unwrap()),
                opening_hours: Some(Some(hours)),
                ..TenantPatch::default()
            },
        )
        .await
        .unwrap();
    let at = |text: &str| -> jiff::Timestamp { text.parse().unwrap() };
    let mut request = order(&[(item.id, 1)]);
    // Monday 2026-11-30 09:00 Paris: closed until 11:00 Paris (10:00 UTC).
    request.placed_at = at("2026-11-30T08:00:00Z");
    match app.ordering.place_order(&open(&a), request.clone()).await {
        Err(PlaceOrderError::Rejected(OrderRejection::Closed { opens, opens_local })) => {
            assert_eq!(opens, Some(at("2026-11-30T10:00:00Z")));
            assert_eq!(opens_local.as_deref(), Some("Mon 11:00 (Europe/Paris)"));
        }
        other => panic!("expected Closed, got {other:?}"),
    }
    assert!(all_orders(app, &a).await.is_empty(), "nothing stored");
    request.placed_at = at("2026-11-30T12:00:00Z");
    app.ordering.place_order(&open(&a), request).await.unwrap();
    assert_eq!(all_orders(app, &a).await.len(), 1);
    // Placed under a key while open; its retry after closing time replays it.
    let mut keyed_request = keyed(&[(item.id, 2)], "hours-retry-1");
    keyed_request.placed_at = at("2026-11-30T12:30:00Z");
    let first = app
        .ordering
        .place_order(&open(&a), keyed_request.clone())
        .await
        .unwrap()
        .into_order();
    keyed_request.placed_at = at("2026-11-30T20:00:00Z");
    match app
        .ordering
        .place_order(&open(&a), keyed_request)
        .await
        .unwrap()
    {
        Placement::Replayed(order) => assert_eq!(order.id, first.id),
        other => panic!("expected a replay, got {other:?}"),
    }
    assert_eq!(all_orders(app, &a).await.len(), 2);
    // Always open again.
    let a = app
        .tenancy
        .update_tenant(
            a.id,
            TenantPatch {
                opening_hours: Some(None),
                ..TenantPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(a.settings.opening_hours, None);
    app.ordering
        .place_order(&open(&a), order(&[(item.id, 1)]))
        .await
        .unwrap();
}

pub async fn an_order_is_followed_with_its_own_token_and_moves_as_core_allows<P: Ports>(
    app: &Chameleon<P>,
) {
    use OrderStatus::{Cancelled, Completed, Confirmed, Ready};
    let a = provision(app, "track-a.com").await;
    let b = provision(app, "track-b.com").await;
    let item = add_item(app, &a, "Soup", 500).await;
    let token = "T".repeat(43);
    let mut request = order(&[(item.id, 1)]);
    request.tracking_token = TrackingToken::parse(&token).unwrap();
    let placed = app
        .ordering
        .place_order(&open(&a), request)
        .await
        .unwrap()
        .into_order();
    assert_eq!(
        placed.tracking_token.as_ref().map(TrackingToken::expose),
        Some(token.as_str())
    );
    let followed = app
        .ordering
        .track_order(&open(&a), placed.id, &token)
        .await
        .unwrap();
    assert_eq!(followed.as_ref(), Some(&placed));
    // Another token, another tenant, another id: nothing, all alike.
    for (tenant, id, presented) in [
        (&a, placed.id, "U".repeat(43)),
        (&a, placed.id, String::new()),
        (&b, placed.id, token.clone()),
        (&a, OrderId::from_uuid(Uuid::from_u128(5)), token.clone()),
    ] {
        assert!(
            app.ordering
                .track_order(&open(tenant), id, &presented)
                .await
                .unwrap()
                .is_none()
        );
    }
    // PENDING → CONFIRMED → READY → COMPLETED, nothing skipped, nothing after.
    assert!(matches!(
        app.ordering
            .change_order_status(&a, placed.id, Ready, jiff::Timestamp::UNIX_EPOCH)
            .await,
        Err(ChangeOrderStatusError::Refused(_))
    ));
    for next in [Confirmed, Ready] {
        assert_eq!(
            app.ordering
                .change_order_status(&a, placed.id, next, jiff::Timestamp::UNIX_EPOCH)
                .await
                .unwrap()
                .status,
            next
        );
    }
    let seen = app
        .ordering
        .track_order(&open(&a), placed.id, &token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.status, Ready, "the customer sees the change");
    app.ordering
        .change_order_status(&a, placed.id, Completed, jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    for next in [Cancelled, Confirmed] {
        assert!(matches!(
            app.ordering
                .change_order_status(&a, placed.id, next, jiff::Timestamp::UNIX_EPOCH)
                .await,
            Err(ChangeOrderStatusError::Refused(_))
        ));
    }
    let other = app
        .ordering
        .place_order(&open(&a), order(&[(item.id, 2)]))
        .await
        .unwrap()
        .into_order();
    app.ordering
        .change_order_status(&a, other.id, Cancelled, jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    assert!(matches!(
        app.ordering
            .change_order_status(&b, other.id, Cancelled, jiff::Timestamp::UNIX_EPOCH)
            .await,
        Err(ChangeOrderStatusError::NotFound(_))
    ));
}

/// Adds a category to `tenant`'s menu (panics if that fails).
pub async fn add_category<P: Ports>(
    app: &Chameleon<P>,
    tenant: &Tenant,
    name: &str,
    position: i64,
) -> Category {
    app.menu
        .create_category(
            tenant,
            NewCategory {
                name: CategoryName::parse(name).expect("test category name"),
                position: Position::try_from(position).expect("test position"),
                serving_hours: None,
            },
        )
        .await
        .expect("creating a category")
}

fn category_names(categories: &[Category]) -> Vec<&str> {
    categories.iter().map(|c| c.name.as_str()).collect()
}

pub async fn categories_come_in_the_manager_s_order_and_are_isolated<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "cat-a.com").await;
    let b = provision(app, "cat-b.com").await;
    let drinks = add_category(app, &a, "Drinks", 30).await;
    add_category(app, &a, "Pizzas", 10).await;
    add_category(app, &a, "Desserts", 30).await;
    let foreign = add_category(app, &b, "Starters", 0).await;
    let order = ["Pizzas", "Desserts", "Drinks"];
    assert_eq!(
        category_names(&app.menu.list_categories(&a).await.unwrap()),
        order
    );
    assert_eq!(
        category_names(&app.menu.store_menu(&open(&a)).await.unwrap().categories),
        order,
        "the storefront shows every category, items or not"
    );
    // Moving a category first shows at once on the storefront.
    let moved = app
        .menu
        .update_category(
            &a,
            drinks.id,
            CategoryPatch {
                position: Some(Position::try_from(0).unwrap()),
                ..CategoryPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.name.as_str(), "Drinks", "only the position changed");
    assert_eq!(
        category_names(&app.menu.store_menu(&open(&a)).await.unwrap().categories),
        ["Drinks", "Pizzas", "Desserts"]
    );
    // Another tenant's category is nowhere to be found.
    assert_eq!(
        category_names(&app.menu.list_categories(&b).await.unwrap()),
        ["Starters"]
    );
    assert!(matches!(
        app.menu.update_category(&a, foreign.id, CategoryPatch::default()).await,
        Err(UpdateCategoryError::NotFound(id)) if id == foreign.id
    ));
    assert!(matches!(
        app.menu.delete_category(&a, foreign.id).await,
        Err(DeleteCategoryError::NotFound(_))
    ));
    assert_eq!(app.menu.list_categories(&b).await.unwrap(), [foreign]);
}

pub async fn items_carry_a_category_description_picture_and_tags<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "dressed.com").await;
    let pizzas = add_category(app, &tenant, "Pizzas", 1).await;
    let new = NewMenuItem {
        category: Some(pizzas.id),
        description: Some(Description::parse("Tomato,\nmozzarella").unwrap()),
        image_url: Some(ImageUrl::parse("https://img.example/m.jpg").unwrap()),
        tags: Tag::parse_set(["vegetarian", "spicy"]).unwrap(),
        ..NewMenuItem::plain(
            MenuItemName::parse("Margherita").unwrap(),
            PriceCents::try_from(1100).unwrap(),
        )
    };
    let stored = app
        .menu
        .create_menu_item(&tenant, new.clone())
        .await
        .unwrap();
    assert_eq!(stored, new.with_id(stored.id));
    assert_eq!(
        app.menu.get_menu_item(&tenant, stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        app.menu.store_menu(&open(&tenant)).await.unwrap().items,
        std::slice::from_ref(&stored)
    );
    // Clearing the optional fields; the rest stays.
    let cleared = app
        .menu
        .update_menu_item(
            &tenant,
            stored.id,
            MenuItemPatch {
                category: Some(None),
                description: Some(None),
                image_url: Some(None),
                tags: Some(Vec::new()),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    let plain = NewMenuItem::plain(stored.name.clone(), stored.price).with_id(stored.id);
    assert_eq!(cleared, plain);
    assert_eq!(
        app.menu.get_menu_item(&tenant, stored.id).await.unwrap(),
        Some(plain)
    );
}

pub async fn an_item_s_category_must_be_the_tenant_s_own<P: Ports>(app: &Chameleon<P>) {
    let a = provision(app, "own-a.com").await;
    let b = provision(app, "own-b.com").await;
    let foreign = add_category(app, &b, "Starters", 0).await;
    let nowhere = CategoryId::from_uuid(Uuid::from_u128(0x5eed));
    for category in [foreign.id, nowhere] {
        let new = NewMenuItem {
            category: Some(category),
            ..NewMenuItem::plain(
                MenuItemName::parse("Soup").unwrap(),
                PriceCents::try_from(500).unwrap(),
            )
        };
        assert!(matches!(
            app.menu.create_menu_item(&a, new).await,
            Err(CreateMenuItemError::UnknownCategory(id)) if id == category
        ));
    }
    assert!(
        app.menu.list_menu_items(&a).await.unwrap().is_empty(),
        "nothing stored"
    );
    let soup = add_item(app, &a, "Soup", 500).await;
    let patch = MenuItemPatch {
        category: Some(Some(foreign.id)),
        price: Some(PriceCents::try_from(1).unwrap()),
        ..MenuItemPatch::default()
    };
    assert!(matches!(
        app.menu.update_menu_item(&a, soup.id, patch).await,
        Err(UpdateMenuItemError::UnknownCategory(id)) if id == foreign.id
    ));
    assert_eq!(
        app.menu.get_menu_item(&a, soup.id).await.unwrap(),
        Some(soup),
        "nothing changed"
    );
}

pub async fn deleting_a_category_keeps_its_items_uncategorised<P: Ports>(app: &Chameleon<P>) {
    let tenant = provision(app, "uncat.com").await;
    let pizzas = add_category(app, &tenant, "Pizzas", 1).await;
    let drinks = add_category(app, &tenant, "Drinks", 2).await;
    let in_category = |name: &str, category: CategoryId| NewMenuItem {
        category: Some(category),
        ..NewMenuItem::plain(
            MenuItemName::parse(name).unwrap(),
            PriceCents::try_from(100).unwrap(),
        )
    };
    let pizza = app
        .menu
        .create_menu_item(&tenant, in_category("Margherita", pizzas.id))
        .await
        .unwrap();
    let cola = app
        .menu
        .create_menu_item(&tenant, in_category("Cola", drinks.id))
        .await
        .unwrap();
    app.menu.delete_category(&tenant, pizzas.id).await.unwrap();
    assert!(matches!(
        app.menu.delete_category(&tenant, pizzas.id).await,
        Err(DeleteCategoryError::NotFound(_))
    ));
    let menu = app.menu.store_menu(&open(&tenant)).await.unwrap();
    assert_eq!(menu.categories, [drinks]);
    let by_id = |id: MenuItemId| menu.items.iter().find(|item| item.id == id).cloned();
    assert_eq!(by_id(pizza.id).unwrap().category, None, "still on the menu");
    assert_eq!(by_id(cola.id), Some(cola));
}

pub async fn a_suspended_tenant_s_storefront_is_closed_by_core_and_its_manager_works<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = provision(app, "a.com").await;
    let burger = add_item(app, &a, "Burger", 900).await;
    let suspended = set_status(app, a.id, TenantStatus::Suspended).await;
    // However the driver found it, a suspended tenant does not open: no storefront use case
    // (menu, order, tracking, config) can be called for it.
    let found = app
        .tenancy
        .tenant_for_domain(&a.domain)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, TenantStatus::Suspended);
    let refused = ActiveTenant::check(found).unwrap_err();
    assert_eq!(refused.name, a.name);
    assert!(ActiveTenant::check(suspended).is_err());
    // Its manager goes on: the menu, the orders, its settings.
    assert_eq!(
        app.menu.list_menu_items(&a).await.unwrap(),
        vec![burger.clone()]
    );
    assert!(all_orders(app, &a).await.is_empty());
    let config = app.tenancy.config(&a, jiff::Timestamp::UNIX_EPOCH);
    assert_eq!(config.tenant_id, a.id);
    // Back to active, the storefront opens again, with the same menu.
    let active = set_status(app, a.id, TenantStatus::Active).await;
    let open_again = ActiveTenant::check(active).unwrap();
    assert_eq!(
        app.menu.store_menu(&open_again).await.unwrap().items,
        vec![burger]
    );
}

pub async fn menus_are_capped_even_when_creations_race_for_the_last_place<P: Ports>(
    app: &Chameleon<P>,
) {
    let limits = app.menu.limits();
    let a = provision(app, "capped-a.com").await;
    let b = provision(app, "capped-b.com").await;
    for n in 1..limits.items {
        add_item(app, &a, &format!("Dish {n}"), 100).await;
    }
    // Six creations race for the one place left: one wins, the others store nothing.
    let racers = join_all((0..6).map(|n| {
        app.menu.create_menu_item(
            &a,
            NewMenuItem::plain(
                MenuItemName::parse(&format!("Racer {n}")).unwrap(),
                PriceCents::try_from(100).unwrap(),
            ),
        )
    }))
    .await;
    let won = racers.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one racer takes the last place");
    assert!(racers.iter().all(
        |r| matches!(r, Ok(_) | Err(CreateMenuItemError::LimitReached(_)))
            && !matches!(r, Err(CreateMenuItemError::LimitReached(n)) if *n != limits.items
            )
    ));
    let items = app.menu.list_menu_items(&a).await.unwrap();
    assert_eq!(items.len(), limits.items, "full, never over");
    // Another restaurant's menu is its own; one item removed makes room again.
    add_item(app, &b, "Elsewhere", 100).await;
    app.menu.delete_menu_item(&a, items[0].id).await.unwrap();
    add_item(app, &a, "Again", 100).await;

    for n in 1..limits.categories {
        add_category(app, &a, &format!("Section {n}"), 0).await;
    }
    let racers = join_all((0..5).map(|n| {
        app.menu.create_category(
            &a,
            NewCategory {
                name: CategoryName::parse(&format!("Racer {n}")).unwrap(),
                position: Position::try_from(0).unwrap(),
                serving_hours: None,
            },
        )
    }))
    .await;
    assert_eq!(racers.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(racers.iter().all(
        |r| matches!(r, Ok(_) | Err(CreateCategoryError::LimitReached(_)))
            && !matches!(r, Err(CreateCategoryError::LimitReached(n)) if *n != limits.categories
            )
    ));
    assert_eq!(
        app.menu.list_categories(&a).await.unwrap().len(),
        limits.categories
    );
    add_category(app, &b, "Elsewhere", 0).await;
}

/// Mondays 11:00-14:00 UTC, prep 0, slots of 15 minutes taking `capacity` orders each.
async fn slotted<P: Ports>(app: &Chameleon<P>, domain: &str, capacity: i64) -> Tenant {
    let a = provision(app, domain).await;
    let hours = OpeningHours::parse([("mon", vec![("11:00", "14:00")])]).unwrap();
    let pickup = PickupPatch {
        prep_minutes: Some(PrepMinutes::try_from(0).unwrap()),
        slot_capacity: Some(Some(SlotCapacity::try_from(capacity).unwrap())),
        ..PickupPatch::default()
    };
    let a = app
        .tenancy
        .update_tenant(
            a.id,
            TenantPatch {
                opening_hours: Some(Some(hours)),
                pickup: pickup.clone(),
                ..TenantPatch::default()
            },
        )
        .await
        .unwrap();
    let stored = app.tenancy.tenant_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(stored.settings.pickup, pickup.apply(&Default::default()));
    (*a).clone()
}

fn instant(text: &str) -> jiff::Timestamp {
    text.parse().expect("test instant")
}

/// An order of one `item` placed at `now` for `pickup` (`None`: as soon as possible).
fn for_pickup(item: MenuItemId, now: &str, pickup: Option<&str>) -> PlaceOrderRequest {
    let mut request = order(&[(item, 1)]);
    request.placed_at = instant(now);
    request.order.pickup_at = pickup.map(instant);
    request
}

pub async fn pickup_slots_take_their_capacity_and_a_cancelled_order_frees_its_place<P: Ports>(
    app: &Chameleon<P>,
) {
    let a = slotted(app, "slots-a.com", 2).await;
    let b = slotted(app, "slots-b.com", 2).await;
    let soup = add_item(app, &a, "Soup", 500).await;
    let other = add_item(app, &b, "Soup", 500).await;
    // Sunday night: closed, but Monday's slots can be scheduled.
    let night = "2026-12-06T22:00:00Z";
    let noon = Some("2026-12-07T12:00:00Z");
    let mut placed = Vec::new();
    for _ in 0..2 {
        let order = app
            .ordering
            .place_order(&open(&a), for_pickup(soup.id, night, noon))
            .await
            .unwrap()
            .into_order();
        assert_eq!(order.pickup_at, Some(instant("2026-12-07T12:00:00Z")));
        assert_eq!(order.ready_at, Some(instant("2026-12-07T12:00:00Z")));
        placed.push(order);
    }
    match app
        .ordering
        .place_order(&open(&a), for_pickup(soup.id, night, noon))
        .await
    {
        Err(PlaceOrderError::Rejected(OrderRejection::SlotFull { next_available })) => {
            assert_eq!(next_available, Some(instant("2026-12-07T12:15:00Z")));
        }
        other => panic!("expected SlotFull, got {other:?}"),
    }
    // Another tenant's slot at the same instant is its own.
    app.ordering
        .place_order(&open(&b), for_pickup(other.id, night, noon))
        .await
        .unwrap();
    assert_eq!(all_orders(app, &a).await.len(), 2, "nothing stored");
    let counts = app
        .ordering
        .slots(
            &open(&a),
            jiff::civil::Date::new(2026, 12, 7).ok(),
            instant(night),
        )
        .await
        .unwrap();
    let noon_slot = counts
        .slots
        .iter()
        .find(|v| v.slot.start == instant("2026-12-07T12:00:00Z"))
        .unwrap();
    assert_eq!((noon_slot.available, noon_slot.remaining), (false, Some(0)));
    // A cancelled order frees its place; a completed one does not.
    app.ordering
        .change_order_status(&a, placed[0].id, OrderStatus::Cancelled, instant(night))
        .await
        .unwrap();
    let counts = app
        .ordering
        .slots(
            &open(&a),
            jiff::civil::Date::new(2026, 12, 7).ok(),
            instant(night),
        )
        .await
        .unwrap();
    assert!(
        counts
            .slots
            .iter()
            .any(|v| v.slot.start == instant("2026-12-07T12:00:00Z")
                && v.available
                && v.remaining == Some(1))
    );
    // A keyed order takes the last place; its retry replays at the full slot.
    let mut keyed_request = for_pickup(soup.id, night, noon);
    keyed_request.idempotency_key = Some(IdempotencyKey::parse("slot-retry-1").unwrap());
    let first = app
        .ordering
        .place_order(&open(&a), keyed_request.clone())
        .await
        .unwrap()
        .into_order();
    match app
        .ordering
        .place_order(&open(&a), keyed_request.clone())
        .await
        .unwrap()
    {
        Placement::Replayed(order) => assert_eq!(order.id, first.id),
        other => panic!("expected a replay, got {other:?}"),
    }
    // The same key for another slot is another request.
    keyed_request.order.pickup_at = Some(instant("2026-12-07T12:30:00Z"));
    assert!(matches!(
        app.ordering.place_order(&open(&a), keyed_request).await,
        Err(PlaceOrderError::KeyReused(_))
    ));
    // As soon as possible at 12:05 Monday: the 12:00 slot is full, so 12:15, ready 12:15.
    let asap = app
        .ordering
        .place_order(&open(&a), for_pickup(soup.id, "2026-12-07T12:05:00Z", None))
        .await
        .unwrap()
        .into_order();
    assert_eq!(asap.pickup_at, None);
    assert_eq!(asap.ready_at, Some(instant("2026-12-07T12:15:00Z")));
    // Accepting sets ready_at to the later of the pickup time and now plus the prep time.
    let accepted = app
        .ordering
        .confirm_order(&a, first.id, instant("2026-12-07T11:00:00Z"))
        .await
        .unwrap();
    assert_eq!(accepted.ready_at, Some(instant("2026-12-07T12:00:00Z")));
    let accepted = app
        .ordering
        .confirm_order(&a, asap.id, instant("2026-12-07T12:30:00Z"))
        .await
        .unwrap();
    assert_eq!(accepted.ready_at, Some(instant("2026-12-07T12:30:00Z")));
    // The kitchen's view: by ready_at, within a window, a page at a time.
    let page = |after, from: Option<&str>, to: Option<&str>| OrderPage {
        limit: PageLimit::try_from(2).unwrap(),
        after,
        sort: OrderSort::Pickup,
        pickup_from: from.map(instant),
        pickup_to: to.map(instant),
        ..OrderPage::default()
    };
    let first_page = app
        .ordering
        .list_orders(&a, page(None, Some("2026-12-07T00:00:00Z"), None))
        .await
        .unwrap();
    let ready: Vec<_> = first_page.items.iter().map(|o| o.ready_at).collect();
    assert_eq!(
        ready,
        [
            Some(instant("2026-12-07T12:00:00Z")),
            Some(instant("2026-12-07T12:00:00Z"))
        ]
    );
    let rest = app
        .ordering
        .list_orders(
            &a,
            page(first_page.next, Some("2026-12-07T00:00:00Z"), None),
        )
        .await
        .unwrap();
    // Three at noon (one of them cancelled), then the one accepted for 12:30.
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.items[1].id, asap.id);
    assert_eq!(rest.next, None);
    let window = app
        .ordering
        .list_orders(
            &a,
            page(
                None,
                Some("2026-12-07T12:10:00Z"),
                Some("2026-12-07T13:00:00Z"),
            ),
        )
        .await
        .unwrap();
    assert_eq!(window.items.len(), 1);
    assert_eq!(window.items[0].id, asap.id);
}

pub async fn concurrent_orders_never_overfill_a_slot<P: Ports>(app: &Chameleon<P>) {
    let a = slotted(app, "rush-a.com", 5).await;
    let soup = add_item(app, &a, "Soup", 500).await;
    let tenant = open(&a);
    let attempts = (0..50).map(|_| {
        app.ordering.place_order(
            &tenant,
            for_pickup(
                soup.id,
                "2026-12-07T11:00:00Z",
                Some("2026-12-07T12:00:00Z"),
            ),
        )
    });
    let outcomes = join_all(attempts).await;
    let placed = outcomes.iter().filter(|o| o.is_ok()).count();
    let full = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Err(PlaceOrderError::Rejected(OrderRejection::SlotFull { .. }))
            )
        })
        .count();
    assert_eq!((placed, full), (5, 45), "{outcomes:?}");
    assert_eq!(all_orders(app, &a).await.len(), 5);
}

pub async fn paused_refuses_every_order_and_busy_moves_every_quote<P: Ports>(app: &Chameleon<P>) {
    let a = slotted(app, "paused-a.com", 100).await;
    let soup = add_item(app, &a, "Soup", 500).await;
    let now = "2026-12-07T11:02:00Z";
    let board = app
        .ordering
        .slots(&open(&a), None, instant(now))
        .await
        .unwrap();
    assert_eq!(board.asap, Some(instant(now)));
    let busy = |patch: PickupPatch| TenantPatch {
        pickup: patch,
        ..TenantPatch::default()
    };
    let a = app
        .tenancy
        .update_tenant(
            a.id,
            busy(PickupPatch {
                busy_extra_minutes: Some(BusyMinutes::try_from(20).unwrap()),
                ..PickupPatch::default()
            }),
        )
        .await
        .unwrap();
    let board = app
        .ordering
        .slots(&open(&a), None, instant(now))
        .await
        .unwrap();
    assert_eq!(board.asap, Some(instant("2026-12-07T11:22:00Z")));
    let quoted = app
        .ordering
        .place_order(&open(&a), for_pickup(soup.id, now, None))
        .await
        .unwrap()
        .into_order();
    assert_eq!(quoted.ready_at, Some(instant("2026-12-07T11:22:00Z")));
    let a = app
        .tenancy
        .update_tenant(
            a.id,
            busy(PickupPatch {
                accepting_orders: Some(false),
                ..PickupPatch::default()
            }),
        )
        .await
        .unwrap();
    for pickup in [None, Some("2026-12-07T12:00:00Z")] {
        assert!(matches!(
            app.ordering
                .place_order(&open(&a), for_pickup(soup.id, now, pickup))
                .await,
            Err(PlaceOrderError::Rejected(OrderRejection::NotAccepting))
        ));
    }
    assert_eq!(all_orders(app, &a).await.len(), 1);
    // Following and moving orders go on.
    app.ordering
        .change_order_status(&a, quoted.id, OrderStatus::Cancelled, instant(now))
        .await
        .unwrap();
}

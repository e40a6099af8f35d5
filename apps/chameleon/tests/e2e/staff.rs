//! Staff accounts through nginx (issue 22): an owner set up from the provisioning answer's
//! link, staff invited and limited to their role, sessions bound to their restaurant's host,
//! cross-site writes refused, sign-in throttled, sessions ended by a password change, and every
//! manager write in the audit trail.

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use super::stack::Stack;

const PASSWORD: &str = "correct horse battery";

/// The token of a setup URL (`.../manage/setup?token=<hex>`).
fn token_of(url: &str) -> String {
    assert!(url.contains("/manage/setup?token="), "{url}");
    url.rsplit_once("token=").unwrap().1.to_owned()
}

/// The `chameleon_session` value a response set, with the cookie's attributes checked.
fn session_of(res: &Response) -> String {
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let value = cookie
        .strip_prefix("chameleon_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(value.len(), 64, "{cookie}");
    value.to_owned()
}

struct Shop<'a> {
    stack: &'a Stack,
    host: String,
}

impl Shop<'_> {
    fn origin(&self) -> String {
        format!("http://{}:{}", self.host, self.stack.port)
    }

    /// A request on the shop's own host (port included, as a browser sends it).
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.stack
            .request(method, &format!("{}:{}", self.host, self.stack.port), path)
    }

    /// A same-origin request with `session`.
    fn with(&self, session: &str, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path)
            .header("Cookie", format!("chameleon_session={session}"))
            .header("Origin", self.origin())
    }

    async fn set_up(&self, setup_url: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/v1/manager/setup")
            .json(&json!({"token": token_of(setup_url), "password": password}))
            .send()
            .await
            .unwrap()
    }

    async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/v1/manager/session")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    async fn audit(&self, session: &str) -> Vec<Value> {
        let res = self
            .with(session, Method::GET, "/api/v1/manager/audit?limit=200")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }
}

async fn problem(res: Response, status: StatusCode, code: &str) {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
}

async fn provision_with_owner(stack: &Stack, domain: &str, email: &str) -> (Value, String) {
    let res = stack
        .admin(Method::POST, "/api/v1/sys/provision")
        .json(&json!({
            "domain": domain,
            "theme": {"primary_color": "#aa0000", "font": "serif"},
            "owner_email": email,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    let url = body["owner_setup_url"].as_str().unwrap().to_owned();
    // The admin's request named no port (`Host: localhost`): neither does the link.
    assert!(
        url.starts_with(&format!("http://{domain}/manage/setup?token=")),
        "{url}"
    );
    (body, url)
}

#[tokio::test]
async fn an_owner_sets_up_invites_staff_and_each_role_does_only_its_job() {
    let stack = Stack::start(None).await;
    let (tenant, owner_url) =
        provision_with_owner(&stack, "pizza.localhost", "Owner@Pizza.example").await;
    let shop = Shop {
        stack: &stack,
        host: "pizza.localhost".into(),
    };
    // No owner_email: no setup URL.
    let plain = stack.provision("plain.localhost", "#000000").await;
    let _ = plain;

    // A bad password is refused; the link still works after.
    problem(
        shop.set_up(&owner_url, "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let res = shop.set_up(&owner_url, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let owner = session_of(&res);
    // Used once only.
    problem(
        shop.set_up(&owner_url, PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_setup_token",
    )
    .await;

    let me: Value = shop
        .with(&owner, Method::GET, "/api/v1/manager/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "owner@pizza.example");
    assert_eq!(me["role"], "owner");
    // The API key acts as an owner.
    let key_me: Value = stack
        .request(Method::GET, "localhost", "/api/v1/manager/me")
        .header("X-Tenant-ID", tenant["tenant_id"].as_str().unwrap())
        .bearer_auth(tenant["manager_api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        key_me,
        json!({"id": null, "email": null, "name": null, "role": "owner"})
    );

    // The owner invites a manager and a member of staff.
    let mut sessions = Vec::new();
    for (email, role) in [
        ("mia@pizza.example", "manager"),
        ("sam@pizza.example", "staff"),
    ] {
        let res = shop
            .with(&owner, Method::POST, "/api/v1/manager/staff")
            .json(&json!({"email": email, "name": email, "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let member: Value = res.json().await.unwrap();
        assert_eq!(member["role"], role);
        let res = shop
            .set_up(member["setup_url"].as_str().unwrap(), PASSWORD)
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = shop.sign_in(email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        sessions.push((session_of(&res), member["id"].as_str().unwrap().to_owned()));
    }
    let (manager, manager_id) = sessions[0].clone();
    let (staff, staff_id) = sessions[1].clone();
    // The same email twice.
    problem(
        shop.with(&owner, Method::POST, "/api/v1/manager/staff")
            .json(&json!({"email": "MIA@pizza.example", "name": "Mia", "role": "staff"}))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;

    // The manager runs the menu; staff may not.
    let res = shop
        .with(&manager, Method::POST, "/api/v1/manager/menu")
        .json(&json!({"name": "Margherita", "price": 900}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let item: Value = res.json().await.unwrap();
    let item_path = format!("/api/v1/manager/menu/{}", item["id"].as_str().unwrap());
    problem(
        shop.with(&staff, Method::POST, "/api/v1/manager/menu")
            .json(&json!({"name": "Calzone", "price": 900}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        shop.with(&staff, Method::PATCH, &item_path)
            .json(&json!({"price": 1}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Staff may mark it sold out, and read orders.
    let res = shop
        .with(&staff, Method::PATCH, &item_path)
        .json(&json!({"is_available": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = shop
        .with(&staff, Method::GET, "/api/v1/manager/orders")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Sold out until a time, too; not the item's option groups.
    let res = shop
        .with(&staff, Method::PATCH, &item_path)
        .json(&json!({"sold_out_until": "2030-01-01T11:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Option groups are the manager's; staff may only mark their options sold out or back.
    let res = shop
        .with(&manager, Method::POST, "/api/v1/manager/option-groups")
        .json(&json!({"name": "Size", "min": 1, "max": 1, "options": [
            {"name": "Small", "price_delta": 0}, {"name": "Large", "price_delta": 250}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let group: Value = res.json().await.unwrap();
    let group_path = format!(
        "/api/v1/manager/option-groups/{}",
        group["id"].as_str().unwrap()
    );
    let large = group["options"][1]["id"].as_str().unwrap().to_owned();
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/manager/option-groups".to_owned(),
            json!({"name": "Extras", "min": 0, "max": 1, "options": [{"name": "Egg", "price_delta": 100}]}),
        ),
        (Method::PATCH, group_path.clone(), json!({"name": "Sizes"})),
        (
            Method::PATCH,
            group_path.clone(),
            json!({"options": [{"id": large, "price_delta": 1}]}),
        ),
        (Method::DELETE, group_path.clone(), json!({})),
        (
            Method::PATCH,
            item_path.clone(),
            json!({"option_group_ids": [group["id"]]}),
        ),
    ] {
        let mut request = shop.with(&staff, method.clone(), &path);
        if method != Method::DELETE {
            request = request.json(&body);
        }
        problem(
            request.send().await.unwrap(),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let res = shop
        .with(&staff, Method::PATCH, &group_path)
        .json(&json!({"options": [{"id": large, "sold_out_until": "indefinitely"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let marked: Value = res.json().await.unwrap();
    assert_eq!(marked["name"], "Size", "nothing else changed");
    assert_eq!(marked["options"][1]["sold_out_until"], "indefinitely");
    assert_eq!(marked["options"][0]["sold_out_until"], Value::Null);
    // Nor staff nor managers manage staff, see the audit trail (staff) or rotate the key.
    for (session, path, method) in [
        (&staff, "/api/v1/manager/staff", Method::GET),
        (&manager, "/api/v1/manager/staff", Method::GET),
        (&staff, "/api/v1/manager/audit", Method::GET),
        (&manager, "/api/v1/manager/key", Method::POST),
        (&staff, "/api/v1/manager/settings", Method::PATCH),
    ] {
        let mut request = shop.with(session, method.clone(), path);
        if method == Method::PATCH {
            request = request.json(&json!({"currency": "EUR"}));
        }
        problem(
            request.send().await.unwrap(),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // The manager may change the trading settings.
    let res = shop
        .with(&manager, Method::PATCH, "/api/v1/manager/settings")
        .json(&json!({"currency": "EUR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Service staff read every setting, and set busy and paused with one tap; nothing else,
    // not even beside them.
    let res = shop
        .with(&staff, Method::GET, "/api/v1/manager/settings")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let settings: Value = res.json().await.unwrap();
    assert_eq!(settings["currency"], "EUR");
    let res = shop
        .with(&staff, Method::PATCH, "/api/v1/manager/settings")
        .json(&json!({"busy_extra_minutes": 20, "accepting_orders": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let busy: Value = res.json().await.unwrap();
    assert_eq!(
        (&busy["busy_extra_minutes"], &busy["accepting_orders"]),
        (&json!(20), &json!(false))
    );
    for refused in [
        json!({"prep_minutes": 5}),
        json!({"busy_extra_minutes": 0, "slot_capacity": 3}),
        json!({"accepting_orders": true, "closures": []}),
    ] {
        problem(
            shop.with(&staff, Method::PATCH, "/api/v1/manager/settings")
                .json(&refused)
                .send()
                .await
                .unwrap(),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let res = shop
        .with(&staff, Method::PATCH, "/api/v1/manager/settings")
        .json(&json!({"busy_extra_minutes": 0, "accepting_orders": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Demoting the manager ends their sessions at once.
    let res = shop
        .with(
            &owner,
            Method::PATCH,
            &format!("/api/v1/manager/staff/{manager_id}"),
        )
        .json(&json!({"role": "staff"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        shop.with(&manager, Method::GET, "/api/v1/manager/me")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // The last owner can be neither demoted, disabled nor removed.
    let owner_id = me["id"].as_str().unwrap();
    for (method, body) in [
        (Method::PATCH, json!({"role": "manager"})),
        (Method::PATCH, json!({"disabled": true})),
        (Method::DELETE, Value::Null),
    ] {
        let mut request = shop.with(&owner, method, &format!("/api/v1/manager/staff/{owner_id}"));
        if !body.is_null() {
            request = request.json(&body);
        }
        problem(
            request.send().await.unwrap(),
            StatusCode::CONFLICT,
            "last_owner",
        )
        .await;
    }

    // The audit trail: newest first, who, what, on what, which request.
    let audit = shop.audit(&owner).await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "staff.update",
            "settings.update",
            "settings.update",
            "settings.update",
            "option_group.update",
            "option_group.create",
            "menu_item.update",
            "menu_item.update",
            "menu_item.create",
            "staff.invite",
            "staff.invite",
            "staff.invite",
        ]
    );
    assert_eq!(audit[0]["actor"], format!("staff:{owner_id}"));
    assert_eq!(audit[0]["target"], manager_id);
    // Service staff setting busy and paused, then back: their own lines (the refused tries
    // left none); the manager's change of currency before them.
    assert_eq!(audit[1]["actor"], format!("staff:{staff_id}"));
    assert_eq!(audit[2]["actor"], format!("staff:{staff_id}"));
    assert_eq!(audit[3]["actor"], format!("staff:{manager_id}"));
    // Staff marking an option sold out: their own line, on the group.
    assert_eq!(audit[4]["actor"], format!("staff:{staff_id}"));
    assert_eq!(audit[4]["target"], group["id"]);
    assert_eq!(audit[5]["actor"], format!("staff:{manager_id}"));
    assert_eq!(audit[8]["actor"], format!("staff:{manager_id}"));
    assert_eq!(audit[11]["actor"], "platform");
    assert!(audit.iter().all(|e| e["request_id"].is_string()));
    // Writes with the API key are audited as such.
    let res = stack
        .manager(
            Method::POST,
            &serde_json::from_value(tenant.clone()).unwrap(),
            "/api/v1/manager/categories",
        )
        .json(&json!({"name": "Pizza", "position": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let audit = shop.audit(&owner).await;
    assert_eq!(audit[0]["action"], "category.create");
    assert_eq!(audit[0]["actor"], "api_key");
    // Paging.
    let page: Value = shop
        .with(&owner, Method::GET, "/api/v1/manager/audit?limit=3")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let next: Value = shop
        .with(
            &owner,
            Method::GET,
            &format!(
                "/api/v1/manager/audit?limit=100&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"].as_array().unwrap().len(), audit.len() - 3);
    assert!(next["next_cursor"].is_null());
    assert_eq!(next["items"][0], audit[3]);
    // Nobody can change or remove it through the API.
    for method in [Method::DELETE, Method::PATCH, Method::PUT] {
        let res = shop
            .with(&owner, method, "/api/v1/manager/audit")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    // The export carries the staff (no hashes) and the whole trail, oldest first.
    let export: Value = stack
        .admin(
            Method::GET,
            &format!(
                "/api/v1/sys/tenants/{}/export",
                tenant["tenant_id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = export["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "mia@pizza.example",
            "owner@pizza.example",
            "sam@pizza.example"
        ]
    );
    assert!(!export.to_string().contains("argon2"));
    let exported: Vec<&Value> = export["audit"].as_array().unwrap().iter().rev().collect();
    assert_eq!(exported.len(), audit.len());
    assert_eq!(exported[0]["action"], audit[0]["action"]);
    // Not even the tenant's own database role can.
    let schema = tenant["schema_name"].as_str().unwrap();
    let db = stack.db.inspect().await;
    let denied = db
        .batch_execute(&format!(
            "BEGIN; SET LOCAL ROLE {schema}; DELETE FROM {schema}.audit_log; COMMIT;"
        ))
        .await
        .unwrap_err();
    assert!(
        format!("{denied:?}").contains("permission denied"),
        "{denied:?}"
    );
    db.batch_execute("ROLLBACK").await.ok();
}

#[tokio::test]
async fn a_session_is_worth_nothing_on_another_host_or_from_another_site() {
    let stack = Stack::start(None).await;
    let (_, pizza_url) = provision_with_owner(&stack, "pizza.localhost", "ann@pizza.example").await;
    let (_, _burger_url) =
        provision_with_owner(&stack, "burger.localhost", "bob@burger.example").await;
    let pizza = Shop {
        stack: &stack,
        host: "pizza.localhost".into(),
    };
    let burger = Shop {
        stack: &stack,
        host: "burger.localhost".into(),
    };
    // A setup link of one restaurant is refused on another's host.
    problem(
        burger.set_up(&pizza_url, PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_setup_token",
    )
    .await;
    let session = session_of(&pizza.set_up(&pizza_url, PASSWORD).await);

    // The cookie replayed on the other restaurant's host finds nothing there.
    for (method, path) in [
        (Method::GET, "/api/v1/manager/me"),
        (Method::GET, "/api/v1/manager/menu"),
        (Method::GET, "/api/v1/manager/orders"),
        (Method::POST, "/api/v1/manager/menu"),
    ] {
        let mut request = burger.with(&session, method.clone(), path);
        if method == Method::POST {
            request = request.json(&json!({"name": "Stolen", "price": 1}));
        }
        problem(
            request.send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }

    // A cross-site write (another origin, or none) is refused before anything is read.
    let forged = |origin: Option<&str>, referer: Option<&str>| {
        let mut request = pizza
            .request(Method::POST, "/api/v1/manager/menu")
            .header("Cookie", format!("chameleon_session={session}"))
            .json(&json!({"name": "Forged", "price": 1}));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(referer) = referer {
            request = request.header("Referer", referer);
        }
        request
    };
    let other_port = format!("http://pizza.localhost:{}", stack.port + 1);
    let https = format!("https://pizza.localhost:{}", stack.port);
    let burger_origin = burger.origin();
    for (origin, referer) in [
        (Some("http://evil.example"), None),
        (Some(burger_origin.as_str()), None),
        (Some(other_port.as_str()), None),
        (Some(https.as_str()), None),
        (Some("null"), None),
        (None, Some("http://evil.example/pizza.localhost")),
        (None, None),
    ] {
        problem(
            forged(origin, referer).send().await.unwrap(),
            StatusCode::FORBIDDEN,
            "csrf_rejected",
        )
        .await;
    }
    // Sign-out is a write too.
    problem(
        pizza
            .request(Method::DELETE, "/api/v1/manager/session")
            .header("Cookie", format!("chameleon_session={session}"))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "csrf_rejected",
    )
    .await;
    // The same origin, by Origin or by Referer, is let through.
    let referer = format!("{}/manage/menu", pizza.origin());
    let res = forged(None, Some(&referer)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // GET needs no Origin.
    let res = pizza
        .request(Method::GET, "/api/v1/manager/menu")
        .header("Cookie", format!("chameleon_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // No credentials at all: 401.
    problem(
        pizza
            .request(Method::GET, "/api/v1/manager/menu")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // Signing out ends the session.
    let res = pizza
        .with(&session, Method::DELETE, "/api/v1/manager/session")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("chameleon_session=;") && cleared.contains("Max-Age=0"));
    problem(
        pizza
            .with(&session, Method::GET, "/api/v1/manager/me")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_brute_force_is_throttled() {
    let stack = Stack::start(None).await;
    let (tenant, url) = provision_with_owner(&stack, "pizza.localhost", "ann@pizza.example").await;
    let shop = Shop {
        stack: &stack,
        host: "pizza.localhost".into(),
    };
    let first = session_of(&shop.set_up(&url, PASSWORD).await);
    let second = session_of(&shop.sign_in("ANN@pizza.example", PASSWORD).await);
    let third = session_of(&shop.sign_in("ann@pizza.example", PASSWORD).await);

    // A wrong current password changes nothing.
    problem(
        shop.with(&first, Method::POST, "/api/v1/manager/password")
            .json(&json!({"current_password": "not the password", "new_password": "another fine password"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let res = shop
        .with(&first, Method::POST, "/api/v1/manager/password")
        .json(&json!({"current_password": PASSWORD, "new_password": "another fine password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for ended in [&second, &third] {
        problem(
            shop.with(ended, Method::GET, "/api/v1/manager/me")
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    let me = shop
        .with(&first, Method::GET, "/api/v1/manager/me")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    problem(
        shop.sign_in("ann@pizza.example", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // `?all=true` ends every session of the member, this one too.
    let fourth = session_of(
        &shop
            .sign_in("ann@pizza.example", "another fine password")
            .await,
    );
    let res = shop
        .with(&fourth, Method::DELETE, "/api/v1/manager/session?all=true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for ended in [&first, &fourth] {
        problem(
            shop.with(ended, Method::GET, "/api/v1/manager/me")
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }

    // Brute force on the account (the last success forgot its earlier failure): 5 failures,
    // then 429, even with the right password, with Retry-After.
    for _ in 0..5 {
        problem(
            shop.sign_in("ann@pizza.example", "guess guess guess").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let res = shop
        .sign_in("ann@pizza.example", "another fine password")
        .await;
    assert!(res.headers().contains_key("retry-after"));
    problem(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    // The platform resets a locked-out owner: a new link, the old sessions end.
    let res = stack
        .admin(
            Method::POST,
            &format!(
                "/api/v1/sys/tenants/{}/owner-setup-link",
                tenant["tenant_id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let link: Value = res.json().await.unwrap();
    let res = shop
        .set_up(link["setup_url"].as_str().unwrap(), "a third good password")
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // The new password signs in at once: the reset forgot the account's failures.
    assert_eq!(
        shop.sign_in("ann@pizza.example", "a third good password")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    // From one address: 20 failures across accounts (6 so far: the throttled attempt and the
    // successes count none), then 429 for any account.
    for n in 0..14 {
        problem(
            shop.sign_in(&format!("nobody{n}@pizza.example"), "guess guess guess")
                .await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    problem(
        shop.sign_in("someone@pizza.example", "guess guess guess")
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_email_takes_as_long_as_a_wrong_password() {
    let stack = Stack::start(None).await;
    let (_, url) = provision_with_owner(&stack, "pizza.localhost", "ann@pizza.example").await;
    let shop = Shop {
        stack: &stack,
        host: "pizza.localhost".into(),
    };
    assert_eq!(
        shop.set_up(&url, PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    // Alternating, 4 of each (under both limits); the median of each.
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for n in 0..4 {
        let started = Instant::now();
        let a = shop
            .sign_in(&format!("ghost{n}@pizza.example"), "wrong password!")
            .await;
        unknown.push(started.elapsed());
        let started = Instant::now();
        let b = shop.sign_in("ann@pizza.example", "wrong password!").await;
        wrong.push(started.elapsed());
        assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(b.status(), StatusCode::UNAUTHORIZED);
        let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
        assert_eq!(a, b, "the same answer");
    }
    unknown.sort();
    wrong.sort();
    let (u, w) = (unknown[2], wrong[2]);
    // Both run one argon2id check (tens of milliseconds); no check at all would be ~1 ms.
    assert!(
        u > Duration::from_millis(5) && w > Duration::from_millis(5),
        "{u:?} {w:?}"
    );
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    assert!((0.33..3.0).contains(&ratio), "unknown {u:?} vs wrong {w:?}");
}

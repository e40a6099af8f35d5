//! The storefront in a real browser: headless Chromium, through nginx, on two tenants'
//! `*.localhost` domains. Screenshots are saved under `target/screenshots/` for people to look at.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chameleon_wire::ProvisionedTenant;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::lossy_proxy::LossyProxy;
use super::stack::{Stack, free_port, repo_root};

/// Headless Chromium driven through chromedriver; both stop when this is dropped.
struct Browser {
    client: Client,
    driver: Child,
    driver_url: String,
    profile: PathBuf,
}

impl Browser {
    async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so the browser it starts can be stopped with it.
            .process_group(0)
            .spawn()
            .expect("starting chromedriver (apt install chromium-driver; `make test` does)");
        let profile =
            std::env::temp_dir().join(format!("chameleon-chromium-{}", Uuid::new_v4().simple()));
        let capabilities = json!({
            // The console, so a test can tell the page broke no Content-Security-Policy rule.
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1280,900",
                    "--disable-breakpad", "--disable-crash-reporter",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        driver_url: url,
                        profile,
                    };
                }
                Err(err) => last_error = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last_error:?}");
    }
}

impl Browser {
    /// What the page printed to the console since the last call (chromedriver's log endpoint).
    /// An endpoint that does not answer with entries fails the test: an empty list must mean
    /// "nothing was printed", never "the log could not be read".
    async fn console(&self) -> Vec<String> {
        let session = self.client.session_id().await.unwrap().expect("a session");
        let entries: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        entries["value"]
            .as_array()
            .unwrap_or_else(|| panic!("chromedriver's log endpoint answered {entries}"))
            .iter()
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// No Content-Security-Policy violation on the page so far; then a positive control: an
    /// inline script the policy must refuse is added, and the console must report it (proof
    /// that the check above could have seen a violation).
    async fn assert_no_csp_violation(&self, page: &str) {
        let is_violation =
            |line: &String| line.contains("Content Security Policy") || line.contains("Refused to");
        let violations: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(is_violation)
            .collect();
        assert!(
            violations.is_empty(),
            "{page} broke the Content-Security-Policy: {violations:#?}"
        );
        let ran: Value = self
            .client
            .execute(
                "const probe = document.createElement('script'); \
                 probe.textContent = 'window.__cspProbe = true'; \
                 document.head.appendChild(probe); probe.remove(); \
                 return window.__cspProbe === true;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            ran,
            json!(false),
            "{page}: an inline script ran despite the policy"
        );
        let mut seen = Vec::new();
        for _ in 0..50 {
            seen.extend(self.console().await);
            if seen.iter().any(is_violation) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{page}: the console never reported the probe's violation, so it cannot be trusted to report one: {seen:#?}"
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver alone would leave Chromium running: stop the whole process
        // group, then anything still using this run's profile.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", &self.profile.display().to_string()])
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// axe-core (npm, installed by `make test` into web/node_modules) run on the page as it is:
/// fails on any serious or critical violation.
async fn assert_accessible(browser: &Client, page: &str) {
    let axe = std::fs::read_to_string(repo_root().join("web/node_modules/axe-core/axe.min.js"))
        .expect("axe-core is installed (make test: deploy/scripts/setup.sh)");
    browser
        .execute(&format!("{axe}\nwindow.axe = axe;"), vec![])
        .await
        .unwrap();
    let violations = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               window.axe.run(document, {resultTypes: ['violations']})
                 .then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                 .catch(e => done(['axe did not run: ' + e]));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(violations, Value::Array(vec![]), "{page}: {violations}");
}

async fn text_of(browser: &Client, css: &str) -> String {
    wait_for(browser, css).await.text().await.unwrap()
}

async fn js(browser: &Client, script: &str) -> Value {
    browser.execute(script, vec![]).await.unwrap()
}

async fn menu_names(browser: &Client) -> Vec<String> {
    wait_for(browser, "[data-testid=menu-item]").await;
    let mut names = Vec::new();
    for item in browser
        .find_all(Locator::Css(
            "[data-testid=menu-item] [data-testid=menu-item-name]",
        ))
        .await
        .unwrap()
    {
        names.push(item.text().await.unwrap());
    }
    names
}

struct Shop {
    tenant: ProvisionedTenant,
    name: &'static str,
    rgb: &'static str,
    dishes: Vec<(&'static str, i64)>,
}

async fn open_shop(
    stack: &Stack,
    name: &'static str,
    domain: &str,
    color: &str,
    rgb: &'static str,
    dishes: Vec<(&'static str, i64)>,
) -> Shop {
    let res = stack
        .admin(Method::POST, "/api/v1/sys/provision")
        .json(&json!({"domain": domain, "name": name, "theme": {"primary_color": color, "font": "Georgia"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let tenant: ProvisionedTenant = res.json().await.unwrap();
    for (dish, price) in &dishes {
        stack.add_item(&tenant, dish, *price).await;
    }
    Shop {
        tenant,
        name,
        rgb,
        dishes,
    }
}

#[tokio::test]
async fn each_storefront_shows_its_own_brand_and_menu_and_takes_an_order() {
    let dist = repo_root().join("web/dist");
    assert!(
        dist.join("index.html").exists(),
        "the storefront is not built: run `make test` (or deploy/scripts/build-web.sh)"
    );
    let stack = Stack::start(Some(&dist)).await;
    let alpha = open_shop(
        &stack,
        "Trattoria Alpha",
        "alpha.localhost",
        "#c8102e",
        "rgb(200, 16, 46)",
        vec![
            ("Margherita Pizza", 1200),
            ("Lasagne", 1350),
            ("Tiramisu", 650),
        ],
    )
    .await;
    let beta = open_shop(
        &stack,
        "Beta Burgers",
        "beta.localhost",
        "#1f6feb",
        "rgb(31, 111, 235)",
        vec![("Classic Burger", 950), ("Fries", 400)],
    )
    .await;
    let browser = Browser::start().await;
    let b = &browser.client;

    for shop in [&alpha, &beta] {
        b.goto(&format!("http://{}:{}/", shop.tenant.domain, stack.port))
            .await
            .unwrap();
        assert_eq!(text_of(b, "[data-testid=tenant-name]").await, shop.name);
        assert_accessible(b, &format!("the menu of {}", shop.name)).await;
        assert_eq!(b.title().await.unwrap(), shop.name);

        let mut expected: Vec<String> = shop.dishes.iter().map(|(n, _)| n.to_string()).collect();
        expected.sort();
        assert_eq!(
            menu_names(b).await,
            expected,
            "{} shows exactly its own menu",
            shop.name
        );

        let primary = js(b, "return getComputedStyle(document.documentElement).getPropertyValue('--primary').trim()").await;
        assert_eq!(primary, json!(shop.tenant.theme.primary_color));
        let header = js(b, "return getComputedStyle(document.querySelector('[data-testid=store-header]')).backgroundColor").await;
        assert_eq!(
            header,
            json!(shop.rgb),
            "{}'s header wears its colour",
            shop.name
        );
        let button = js(b, "return getComputedStyle(document.querySelector('[data-testid=add-to-cart]')).backgroundColor").await;
        assert_eq!(button, json!(shop.rgb));
        let font = js(b, "return getComputedStyle(document.querySelector('[data-testid=tenant-name]')).fontFamily").await;
        assert!(font.as_str().unwrap().contains("Georgia"), "{font}");
        browser.assert_no_csp_violation(&shop.tenant.domain).await;

        let slug = shop.tenant.domain.split('.').next().unwrap().to_owned();
        std::fs::write(
            screenshots_dir().join(format!("{slug}-desktop.png")),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        b.set_window_size(375, 812).await.unwrap();
        wait_for(b, "[data-testid=menu-item]").await;
        let overflow = js(
            b,
            "return document.documentElement.scrollWidth > window.innerWidth",
        )
        .await;
        assert_eq!(
            overflow,
            json!(false),
            "nothing overflows a 375 px phone screen"
        );
        std::fs::write(
            screenshots_dir().join(format!("{slug}-phone.png")),
            b.screenshot().await.unwrap(),
        )
        .unwrap();
        b.set_window_size(1280, 900).await.unwrap();
    }

    // Order on Alpha through the UI: 2 × Lasagne, 1 × Tiramisu.
    b.goto(&format!("http://alpha.localhost:{}/", stack.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=menu-item]").await;
    let add_buttons = b
        .find_all(Locator::Css("[data-testid=add-to-cart]"))
        .await
        .unwrap();
    // Sorted by name: Lasagne, Margherita Pizza, Tiramisu.
    add_buttons[0].click().await.unwrap();
    add_buttons[0].click().await.unwrap();
    add_buttons[2].click().await.unwrap();
    assert_eq!(text_of(b, "[data-testid=cart-total]").await, "$33.50");
    assert_eq!(text_of(b, "[data-testid=cart-count]").await, "3");
    assert_accessible(b, "the cart").await;

    // Without a name the order is not sent, and the customer is told why.
    wait_for(b, "[data-testid=place-order]")
        .await
        .click()
        .await
        .unwrap();
    assert!(
        text_of(b, "[data-testid=error]")
            .await
            .contains("enter your name")
    );

    wait_for(b, "[data-testid=customer-name]")
        .await
        .send_keys("Ada Lovelace")
        .await
        .unwrap();
    std::fs::write(
        screenshots_dir().join("alpha-cart.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    wait_for(b, "[data-testid=place-order]")
        .await
        .click()
        .await
        .unwrap();
    let confirmation = text_of(b, "[data-testid=order-confirmation]").await;
    assert!(confirmation.contains("Ada Lovelace"), "{confirmation}");
    assert!(confirmation.contains("$33.50"), "{confirmation}");
    assert_accessible(b, "the confirmation").await;
    let order_id: Uuid = text_of(b, "[data-testid=order-id]")
        .await
        .parse()
        .expect("an order id");
    std::fs::write(
        screenshots_dir().join("alpha-confirmation.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();

    let db = stack.db.inspect().await;
    let row = db
        .query_one(
            &format!(
                "SELECT customer_name, total_amount, status FROM \"{}\".orders WHERE id = $1",
                alpha.tenant.schema_name
            ),
            &[&order_id],
        )
        .await
        .expect("the order is in Alpha's schema");
    assert_eq!(row.get::<_, String>(0), "Ada Lovelace");
    assert_eq!(row.get::<_, i64>(1), 2 * 1350 + 650);
    assert_eq!(row.get::<_, String>(2), "PENDING");
    assert_eq!(stack.count(&alpha.tenant.schema_name, "orders").await, 1);
    assert_eq!(
        stack.count(&beta.tenant.schema_name, "orders").await,
        0,
        "nothing in Beta's schema"
    );
}

#[tokio::test]
async fn refusals_and_unknown_domains_are_explained() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Gamma Grill",
        "gamma.localhost",
        "#f59e0b",
        "rgb(245, 158, 11)",
        vec![("Steak", 2400)],
    )
    .await;
    let browser = Browser::start().await;
    let b = &browser.client;

    b.goto(&format!("http://nobody.localhost:{}/", stack.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=no-restaurant]").await;
    assert!(
        text_of(b, "[data-testid=error]")
            .await
            .contains("no restaurant")
    );
    assert_eq!(b.title().await.unwrap(), "No restaurant here");
    std::fs::write(
        screenshots_dir().join("unknown-domain.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();

    // The steak sells out between loading the menu and ordering: the API's explanation shows.
    b.goto(&format!("http://gamma.localhost:{}/", stack.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=add-to-cart]")
        .await
        .click()
        .await
        .unwrap();
    let steak = stack
        .manager(Method::GET, &shop.tenant, "/api/v1/manager/menu")
        .send()
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sold_out = stack
        .manager(
            Method::PATCH,
            &shop.tenant,
            &format!("/api/v1/manager/menu/{steak}"),
        )
        .json(&json!({"is_available": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(sold_out.status(), 200);
    wait_for(b, "[data-testid=customer-name]")
        .await
        .send_keys("Grace")
        .await
        .unwrap();
    wait_for(b, "[data-testid=place-order]")
        .await
        .click()
        .await
        .unwrap();
    assert!(
        text_of(b, "[data-testid=error]")
            .await
            .contains("not available")
    );
    assert_eq!(stack.count(&shop.tenant.schema_name, "orders").await, 0);
    // A light brand colour gets dark text.
    let header = js(b, "return getComputedStyle(document.querySelector('[data-testid=store-header]')).backgroundColor").await;
    assert_eq!(header, json!(shop.rgb));
    let on_primary = js(
        b,
        "return getComputedStyle(document.querySelector('[data-testid=store-header]')).color",
    )
    .await;
    assert_eq!(on_primary, json!("rgb(17, 24, 39)"));
}

#[tokio::test]
async fn swagger_ui_authorizes_and_tries_an_operation_out_through_nginx() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    stack.provision("a.com", "#ff0000").await;
    let browser = Browser::start().await;
    let b = &browser.client;
    b.goto(&format!("http://localhost:{}/docs/", stack.port))
        .await
        .unwrap();

    // "Authorize" with the admin token.
    wait_for(b, "button.authorize").await.click().await.unwrap();
    let admin = "//div[contains(@class,'auth-container')][.//code[text()='admin_token']]";
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&format!("{admin}//input")))
        .await
        .unwrap()
        .send_keys(super::stack::ADMIN_TOKEN)
        .await
        .unwrap();
    b.find(Locator::XPath(&format!("{admin}//button[@type='submit']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(b, "button.btn-done").await.click().await.unwrap();

    // "Try it out" on the tenant list: the request goes through nginx with the token.
    let operation = "#operations-system-list_tenants";
    wait_for(b, &format!("{operation} .opblock-summary-control"))
        .await
        .click()
        .await
        .unwrap();
    wait_for(b, &format!("{operation} .try-out__btn"))
        .await
        .click()
        .await
        .unwrap();
    wait_for(b, &format!("{operation} .execute"))
        .await
        .click()
        .await
        .unwrap();
    let status = text_of(
        b,
        &format!("{operation} .live-responses-table tr.response .response-col_status"),
    )
    .await;
    assert_eq!(status.trim(), "200");
    let body = text_of(b, &format!("{operation} .live-responses-table .microlight")).await;
    assert!(body.contains("a.com"), "{body}");
    std::fs::write(
        screenshots_dir().join("swagger-try-it-out.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.assert_no_csp_violation("Swagger UI").await;
}

#[tokio::test]
async fn an_order_whose_answer_was_lost_is_retried_and_placed_once() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Delta Diner",
        "delta.localhost",
        "#2f855a",
        "rgb(47, 133, 90)",
        vec![("Pancakes", 800)],
    )
    .await;
    let proxy = LossyProxy::start(stack.port).await;
    let browser = Browser::start().await;
    let b = &browser.client;
    b.goto(&format!("http://delta.localhost:{}/", proxy.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=add-to-cart]")
        .await
        .click()
        .await
        .unwrap();
    wait_for(b, "[data-testid=customer-name]")
        .await
        .send_keys("Grace Hopper")
        .await
        .unwrap();
    wait_for(b, "[data-testid=place-order]")
        .await
        .click()
        .await
        .unwrap();
    // The first try's answer is lost; the storefront tries again under the same key and shows
    // the order the first try placed.
    let order_id: Uuid = text_of(b, "[data-testid=order-id]")
        .await
        .parse()
        .expect("an order id");
    let keys = proxy.seen.lock().unwrap().order_keys.clone();
    assert!(keys.len() >= 2, "the order was tried again: {keys:?}");
    assert!(!keys[0].is_empty(), "an Idempotency-Key was sent");
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "every try of one checkout has the same key: {keys:?}"
    );
    let stored: Vec<Uuid> = stack
        .db
        .inspect()
        .await
        .query(
            &format!("SELECT id FROM \"{}\".orders", shop.tenant.schema_name),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(stored, vec![order_id], "one click, one order");
    browser
        .assert_no_csp_violation("the retried checkout")
        .await;
}

#[tokio::test]
async fn a_rename_shows_on_the_next_load_and_a_suspended_restaurant_is_closed() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Delta Diner",
        "delta.localhost",
        "#7c3aed",
        "rgb(124, 58, 237)",
        vec![("Pancakes", 900)],
    )
    .await;
    let browser = Browser::start().await;
    let b = &browser.client;
    let page = format!("http://delta.localhost:{}/", stack.port);
    let sys = format!("/api/v1/sys/tenants/{}", shop.tenant.tenant_id);

    let res = stack
        .admin(Method::PATCH, &sys)
        .json(&json!({"name": "Delta Dinner House", "theme": {"primary_color": "#059669", "font": "Georgia"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.goto(&page).await.unwrap();
    wait_for(b, "[data-testid=menu-item]").await;
    assert_eq!(
        text_of(b, "[data-testid=tenant-name]").await,
        "Delta Dinner House"
    );
    let header = js(b, "return getComputedStyle(document.querySelector('[data-testid=store-header]')).backgroundColor").await;
    assert_eq!(header, "rgb(5, 150, 105)", "the new colour");

    let res = stack
        .admin(Method::PATCH, &sys)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.goto(&page).await.unwrap();
    wait_for(b, "[data-testid=closed]").await;
    assert!(
        text_of(b, "[data-testid=closed]")
            .await
            .to_lowercase()
            .contains("temporarily closed")
    );
    assert_eq!(b.title().await.unwrap(), "Temporarily closed");
    assert!(
        b.find(Locator::Css("[data-testid=menu-item]"))
            .await
            .is_err(),
        "no menu while closed"
    );
    assert_accessible(b, "the closed page").await;
    std::fs::write(
        screenshots_dir().join("storefront-closed.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.assert_no_csp_violation("the closed page").await;

    let res = stack
        .admin(Method::PATCH, &sys)
        .json(&json!({"status": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.goto(&page).await.unwrap();
    wait_for(b, "[data-testid=menu-item]").await;
}

#[tokio::test]
async fn prices_read_in_the_restaurant_s_currency_and_a_closed_restaurant_says_so() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let res = stack
        .admin(Method::POST, "/api/v1/sys/provision")
        .json(&json!({
            "domain": "euro.localhost", "name": "Bistro Euro",
            "theme": {"primary_color": "#1d4ed8", "font": "Georgia"},
            "currency": "EUR", "locale": "fr-FR", "timezone": "Europe/Paris"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let euro: ProvisionedTenant = res.json().await.unwrap();
    stack.add_item(&euro, "Soupe", 1350).await;
    let res = stack
        .admin(Method::POST, "/api/v1/sys/provision")
        .json(&json!({
            "domain": "yen.localhost", "name": "Ramen Ya",
            "theme": {"primary_color": "#b91c1c", "font": "Georgia"},
            "currency": "JPY", "locale": "ja-JP", "timezone": "Asia/Tokyo",
            // Open one minute a week, on the day that is not today: closed now.
            "opening_hours": {"mon": [["03:00", "03:01"]], "thu": [["03:00", "03:01"]]}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let yen: ProvisionedTenant = res.json().await.unwrap();
    let ramen = stack.add_item(&yen, "Ramen", 1350).await;
    let config: Value = stack
        .request(Method::GET, "yen.localhost", "/api/v1/store/config")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["currency"], "JPY");
    assert_eq!(config["timezone"], "Asia/Tokyo");
    let open_now = config["open_now"].as_bool().unwrap();

    let browser = Browser::start().await;
    let b = &browser.client;
    b.goto(&format!("http://euro.localhost:{}/", stack.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=menu-item]").await;
    let price = text_of(b, "[data-testid=price]").await;
    // fr-FR writes a narrow no-break space before the sign.
    assert_eq!(price.replace(['\u{a0}', '\u{202f}'], " "), "13,50 €");
    assert_eq!(text_of(b, "[data-testid=open-status]").await, "Open now");

    b.goto(&format!("http://yen.localhost:{}/", stack.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=menu-item]").await;
    let price = text_of(b, "[data-testid=price]").await;
    assert!(price.contains("1,350") || price.contains("1350"), "{price}");
    assert!(!price.contains('.'), "no minor unit for yen: {price}");
    if !open_now {
        let status = text_of(b, "[data-testid=open-status]").await;
        assert!(status.starts_with("Closed · opens "), "{status}");
        let res = stack
            .request(Method::POST, "yen.localhost", "/api/v1/store/orders")
            .json(&json!({"items": [{"id": ramen.id, "qty": 1}], "customer": "Ann"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "restaurant_closed");
        assert!(
            problem["detail"].as_str().unwrap().contains("(Asia/Tokyo)"),
            "{problem}"
        );
    }
    std::fs::write(
        screenshots_dir().join("yen-closed.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.assert_no_csp_violation("prices and hours").await;
}

/// The `data-status` of the tracking page's status, waiting up to `limit` for `want`.
async fn status_becomes(b: &Client, want: &str, limit: Duration) -> String {
    let started = std::time::Instant::now();
    loop {
        let status = wait_for(b, "[data-testid=order-status]")
            .await
            .attr("data-status")
            .await
            .unwrap()
            .unwrap_or_default();
        if status == want || started.elapsed() > limit {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_customer_follows_the_order_as_the_manager_moves_it_without_reloading() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Epsilon Eatery",
        "epsilon.localhost",
        "#0f766e",
        "rgb(15, 118, 110)",
        vec![("Noodles", 1100)],
    )
    .await;
    let other = open_shop(
        &stack,
        "Zeta Zone",
        "zeta.localhost",
        "#9333ea",
        "rgb(147, 51, 234)",
        vec![("Tea", 300)],
    )
    .await;
    let browser = Browser::start().await;
    let b = &browser.client;
    b.goto(&format!("http://epsilon.localhost:{}/", stack.port))
        .await
        .unwrap();
    wait_for(b, "[data-testid=add-to-cart]")
        .await
        .click()
        .await
        .unwrap();
    wait_for(b, "[data-testid=customer-name]")
        .await
        .send_keys("Grace")
        .await
        .unwrap();
    wait_for(b, "[data-testid=place-order]")
        .await
        .click()
        .await
        .unwrap();
    let link = wait_for(b, "[data-testid=tracking-link]").await;
    let href = link.attr("href").await.unwrap().unwrap();
    let (path, token) = href.split_once("?t=").expect("a link with its token");
    let order_id = path.strip_prefix("/orders/").unwrap().to_owned();
    assert_eq!(token.len(), 43);
    link.click().await.unwrap();
    assert_eq!(
        status_becomes(b, "PENDING", Duration::from_secs(10)).await,
        "PENDING"
    );
    let page = b.current_url().await.unwrap();
    let moved_at = std::time::Instant::now();
    for next in ["CONFIRMED", "READY"] {
        let res = stack
            .manager(
                Method::POST,
                &shop.tenant,
                &format!("/api/v1/manager/orders/{order_id}/status"),
            )
            .json(&json!({"status": next}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            status_becomes(b, next, Duration::from_secs(10)).await,
            next,
            "the page shows {next} by itself"
        );
    }
    assert_eq!(
        b.current_url().await.unwrap(),
        page,
        "no navigation, no reload"
    );
    assert_accessible(b, "the tracking page").await;
    assert!(moved_at.elapsed() < Duration::from_secs(20));
    std::fs::write(
        screenshots_dir().join("epsilon-tracking.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.assert_no_csp_violation("the tracking page").await;

    // Only the right token on the right restaurant's host.
    let track = |host: &str, t: &str| {
        stack
            .request(
                Method::GET,
                host,
                &format!("/api/v1/store/orders/{order_id}?t={t}"),
            )
            .send()
    };
    let res = track("epsilon.localhost", token).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "READY");
    for (host, t) in [
        ("zeta.localhost", token.to_owned()),
        ("epsilon.localhost", "A".repeat(43)),
        ("epsilon.localhost", String::new()),
    ] {
        let res = track(host, &t).await.unwrap();
        assert_eq!(res.status(), 404, "{host} {t:?}");
    }
    let _ = other;
    // An illegal move is refused and changes nothing.
    let res = stack
        .manager(
            Method::POST,
            &shop.tenant,
            &format!("/api/v1/manager/orders/{order_id}/status"),
        )
        .json(&json!({"status": "PENDING"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn the_menu_is_grouped_by_category_in_the_manager_s_order_with_a_bar_that_stays() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Sections Bistro",
        "sections.localhost",
        "#0f766e",
        "rgb(15, 118, 110)",
        vec![],
    )
    .await;
    let tenant = &shop.tenant;
    let mut categories = Vec::new();
    for (name, position) in [("Drinks", 30), ("Mains", 10), ("Desserts", 20)] {
        let res = stack
            .manager(Method::POST, tenant, "/api/v1/manager/categories")
            .json(&json!({"name": name, "position": position}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let category: Value = res.json().await.unwrap();
        categories.push(category["id"].as_str().unwrap().to_owned());
    }
    let (drinks, mains, desserts) = (&categories[0], &categories[1], &categories[2]);
    // Enough dishes that the page scrolls well past the bar.
    for n in 0..8 {
        let res = stack
            .manager(Method::POST, tenant, "/api/v1/manager/menu")
            .json(&json!({
                "name": format!("Dish {n}"), "price": 1000 + n, "category_id": mains,
                "description": "Slow-cooked,\nserved with bread.",
                // Nothing answers here: the picture's frame keeps its place, empty.
                "image_url": format!("https://images.invalid/dish-{n}.jpg"),
                "tags": ["vegan", "contains-nuts"],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    for (name, category) in [("Lemonade", drinks), ("Sorbet", desserts)] {
        let res = stack
            .manager(Method::POST, tenant, "/api/v1/manager/menu")
            .json(&json!({"name": name, "price": 400, "category_id": category}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    stack.add_item(tenant, "Bread", 200).await;

    let browser = Browser::start().await;
    let b = &browser.client;
    let page = format!("http://sections.localhost:{}/", stack.port);
    b.goto(&page).await.unwrap();
    let headings = || async {
        wait_for(b, "[data-testid=category]").await;
        let mut names = Vec::new();
        for heading in b
            .find_all(Locator::Css("[data-testid=category]"))
            .await
            .unwrap()
        {
            names.push(heading.text().await.unwrap());
        }
        names
    };
    assert_eq!(headings().await, ["Mains", "Desserts", "Drinks"]);
    // The uncategorised bread comes last, in a section of its own.
    let last = js(
        b,
        "const items = document.querySelectorAll('[data-testid=menu-item-name]');
         return items[items.length - 1].textContent",
    )
    .await;
    assert_eq!(last, "Bread");
    assert_eq!(
        text_of(b, "[data-testid=menu-item-description]").await,
        "Slow-cooked,\nserved with bread."
    );
    let tags = js(
        b,
        "return [...document.querySelectorAll('[data-testid=menu-item]')][0]
           .querySelectorAll('[data-testid=tag]').length",
    )
    .await;
    assert_eq!(tags, 2);
    // The picture is lazy, and its frame is 4:3 whether or not it ever loads.
    let image = js(
        b,
        "const img = document.querySelector('[data-testid=menu-item] img');
         const frame = img ? img.parentElement.getBoundingClientRect() : null;
         return img ? [img.getAttribute('loading'), frame.width / frame.height] : null",
    )
    .await;
    assert_eq!(image[0], "lazy", "{image}");
    let ratio = image[1].as_f64().unwrap();
    assert!((ratio - 4.0 / 3.0).abs() < 0.02, "frame ratio {ratio}");

    // Scrolled far down, the bar is still at the top of the window.
    js(
        b,
        "window.scrollTo(0, document.body.scrollHeight); return null",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let bar = js(
        b,
        "const bar = document.querySelector('[data-testid=category-bar]');
         return [window.scrollY > 300, Math.round(bar.getBoundingClientRect().top),
                 bar.textContent]",
    )
    .await;
    assert_eq!(bar[0], true, "the page scrolled: {bar}");
    assert_eq!(bar[1], 0, "the bar stays at the top: {bar}");
    assert!(bar[2].as_str().unwrap().contains("Desserts"), "{bar}");
    std::fs::write(
        screenshots_dir().join("storefront-categories-scrolled.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    assert_accessible(b, "the menu by category").await;

    // The manager moves Drinks first: the next load shows it first.
    let res = stack
        .manager(
            Method::PATCH,
            tenant,
            &format!("/api/v1/manager/categories/{drinks}"),
        )
        .json(&json!({"position": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.goto(&page).await.unwrap();
    assert_eq!(headings().await, ["Drinks", "Mains", "Desserts"]);
    std::fs::write(
        screenshots_dir().join("storefront-categories.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser
        .assert_no_csp_violation("the menu by category")
        .await;
}

/// Presses `keys` one after the other on whatever has the focus, as a keyboard does (WebDriver
/// key actions: the driver targets, clicks and focuses no element), with `held` (Shift) down
/// throughout when given.
async fn press(b: &Client, held: Option<Key>, keys: &[Key]) {
    let mut keyboard = KeyActions::new("keyboard".to_owned());
    if let Some(held) = held {
        keyboard = keyboard.then(KeyAction::Down { value: held.into() });
    }
    for key in keys {
        let value = char::from(*key);
        keyboard = keyboard
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
    }
    if let Some(held) = held {
        keyboard = keyboard.then(KeyAction::Up { value: held.into() });
    }
    b.perform_actions(keyboard).await.unwrap();
}

/// Types `text` on the focused field, key by key.
async fn type_keys(b: &Client, text: &str) {
    let mut keyboard = KeyActions::new("keyboard".to_owned());
    for value in text.chars() {
        keyboard = keyboard
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
    }
    b.perform_actions(keyboard).await.unwrap();
}

/// What has the focus: its id, else its test id, else its tag.
async fn focused(b: &Client) -> String {
    js(
        b,
        "const a = document.activeElement;
         return a ? (a.id || a.dataset.testid || a.tagName) : ''",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Whether the focused element matches `css`.
async fn focus_matches(b: &Client, css: &str) -> bool {
    js(
        b,
        &format!(
            "const a = document.activeElement; return !!a && a.matches({})",
            json!(css)
        ),
    )
    .await
        == json!(true)
}

/// Presses Tab until the focused element matches `css`, at most `max` times, as a keyboard user
/// gets somewhere; returns what had the focus on the way.
async fn tab_to(b: &Client, css: &str, max: usize) -> Vec<String> {
    let mut passed = Vec::new();
    for _ in 0..max {
        press(b, None, &[Key::Tab]).await;
        if focus_matches(b, css).await {
            return passed;
        }
        passed.push(focused(b).await);
    }
    panic!("{max} presses of Tab never reached {css}: {passed:?}");
}

/// Waits up to 10 s for the JavaScript expression `condition` to hold on the page (a render
/// after a key press happens on the page's own schedule).
async fn until(b: &Client, condition: &str, what: &str) {
    for _ in 0..200 {
        if js(b, &format!("return !!({condition})")).await == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: `{condition}` never held");
}

#[tokio::test]
async fn a_dish_s_options_are_chosen_by_keyboard_alone_and_a_sold_out_dish_cannot_be_added() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Options Osteria",
        "options.localhost",
        "#0f766e",
        "rgb(15, 118, 110)",
        vec![("Soup", 500)],
    )
    .await;
    let tenant = &shop.tenant;
    let res = stack
        .manager(Method::POST, tenant, "/api/v1/manager/option-groups")
        .json(&json!({"name": "Size", "min": 1, "max": 1, "options": [
            {"name": "Small", "price_delta": 0}, {"name": "Large", "price_delta": 250}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let size: Value = res.json().await.unwrap();
    let size_id = size["id"].as_str().expect("the group's id").to_owned();
    let option_id = |n: usize| {
        size["options"][n]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("option {n} has an id: {size}"))
            .to_owned()
    };
    let (small_id, large_id) = (option_id(0), option_id(1));
    let res = stack
        .manager(Method::POST, tenant, "/api/v1/manager/menu")
        .json(&json!({"name": "Pizza", "price": 900, "option_group_ids": [size_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let pizza: Value = res.json().await.unwrap();
    let pizza_id = pizza["id"].as_str().unwrap().to_owned();

    // The tart is sold out for the next two hours (now as the database tells it).
    let tart = stack.add_item(tenant, "Tart", 450).await;
    let until_then: String = stack
        .db
        .inspect()
        .await
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC' + interval '2 hours', \
             'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let res = stack
        .manager(
            Method::PATCH,
            tenant,
            &format!("/api/v1/manager/menu/{}", tart.id),
        )
        .json(&json!({"sold_out_until": until_then}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The API refuses it too, naming the line: what the storefront words for the customer.
    let res = stack
        .request(Method::POST, "options.localhost", "/api/v1/store/orders")
        .json(&json!({"items": [{"id": tart.id, "qty": 1}], "customer": "Ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "item_unavailable", "{problem}");
    assert_eq!(problem["line"], 0, "{problem}");

    let browser = Browser::start().await;
    let b = &browser.client;
    b.goto(&format!("http://options.localhost:{}/", stack.port))
        .await
        .unwrap();
    assert_eq!(menu_names(b).await, ["Pizza", "Soup", "Tart"]);

    // The sold-out tart: greyed, marked, when it is back, and its button disabled.
    let tart_card = format!("[data-testid=menu-item]:has(#add-{})", tart.id);
    assert_eq!(
        b.find_all(Locator::Css("[data-testid=sold-out]"))
            .await
            .unwrap()
            .len(),
        1,
        "only the tart is sold out"
    );
    wait_for(b, &format!("{tart_card} [data-testid=sold-out]")).await;
    let back = text_of(b, &format!("{tart_card} [data-testid=back-at]")).await;
    assert!(back.starts_with("Back "), "{back}");
    let tart_button = wait_for(b, &format!("#add-{}", tart.id)).await;
    assert!(!tart_button.is_enabled().await.unwrap());
    // A click on it (the one thing here done with a mouse: there is no key to press on a
    // disabled button) adds nothing.
    let _ = tart_button.click().await;
    assert_eq!(text_of(b, "[data-testid=cart-count]").await, "0");
    std::fs::write(
        screenshots_dir().join("options-sold-out.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();

    // From the top of the page, by keyboard: Tab to the pizza's button; the tart's is never
    // on the way (a disabled button takes no focus).
    let pizza_button = format!("#add-{pizza_id}");
    let passed = tab_to(b, &pizza_button, 20).await;
    assert!(
        !passed.iter().any(|id| *id == format!("add-{}", tart.id)),
        "{passed:?}"
    );
    press(b, None, &[Key::Enter]).await;
    let dialog = "[data-testid=option-dialog]";
    wait_for(b, dialog).await;
    let shape = js(
        b,
        "const d = document.querySelector('[data-testid=option-dialog]');
         const title = document.getElementById(d.getAttribute('aria-labelledby'));
         const legend = d.querySelector('fieldset legend');
         const inputs = [...d.querySelectorAll('[data-testid=option]')];
         return [d.getAttribute('role'), d.getAttribute('aria-modal'), title && title.textContent,
                 legend && legend.textContent, inputs.map(i => i.type),
                 inputs.map(i => i.labels[0] && i.labels[0].textContent.trim().replace(/\\s+/g, ' '))]",
    )
    .await;
    assert_eq!(
        shape,
        json!([
            "dialog",
            "true",
            "Pizza",
            "Size: choose 1",
            ["radio", "radio"],
            ["Small", "Large +$2.50"]
        ])
    );
    until(
        b,
        "document.activeElement && document.activeElement.closest('[data-testid=option-dialog]')",
        "focus moves into the dialog",
    )
    .await;
    let add = wait_for(b, "[data-testid=dialog-add]").await;
    assert!(!add.is_enabled().await.unwrap(), "nothing chosen yet");
    let reason = js(
        b,
        "const add = document.querySelector('[data-testid=dialog-add]');
         const why = document.getElementById(add.getAttribute('aria-describedby'));
         return why && why.textContent",
    )
    .await;
    assert_eq!(reason, "Choose a Size");
    assert_eq!(text_of(b, "[data-testid=dialog-price]").await, "$9.00");
    assert_accessible(b, "the options dialog").await;

    // Tab and Shift+Tab go round inside the dialog, never to the page behind.
    for held in [None, Some(Key::Shift)] {
        for _ in 0..6 {
            press(b, held, &[Key::Tab]).await;
            let inside = js(
                b,
                "return !!document.activeElement.closest('[data-testid=option-dialog]')",
            )
            .await;
            let at = focused(b).await;
            assert_eq!(
                inside,
                json!(true),
                "focus left the dialog ({held:?}): {at}"
            );
        }
    }
    // Esc closes it and gives the focus back to the pizza's button.
    press(b, None, &[Key::Escape]).await;
    until(
        b,
        "!document.querySelector('[data-testid=option-dialog]')",
        "Esc closes the dialog",
    )
    .await;
    until(
        b,
        &format!("document.activeElement.id === 'add-{pizza_id}'"),
        "focus returns to the button that opened the dialog",
    )
    .await;

    // Again: the first choice has the focus; the arrow key moves to Large and chooses it.
    press(b, None, &[Key::Enter]).await;
    wait_for(b, dialog).await;
    until(
        b,
        &format!(
            "document.activeElement.matches('[data-testid=option]') && document.activeElement.value === '{small_id}'"
        ),
        "focus is on the first option",
    )
    .await;
    press(b, None, &[Key::Down]).await;
    until(
        b,
        &format!(
            "(document.querySelector('[data-testid=option]:checked') || {{}}).value === '{large_id}'"
        ),
        "Large is chosen",
    )
    .await;
    until(
        b,
        "document.querySelector('[data-testid=dialog-price]').textContent === '$11.50'",
        "the price follows the choice",
    )
    .await;
    assert!(
        wait_for(b, "[data-testid=dialog-add]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );
    // One more, then add: 2 × Pizza (Large).
    tab_to(b, "[aria-label='One more']", 5).await;
    press(b, None, &[Key::Enter]).await;
    until(
        b,
        "document.querySelector('[data-testid=dialog-price]').textContent === '$23.00'",
        "the price is the unit price times the quantity",
    )
    .await;
    std::fs::write(
        screenshots_dir().join("options-dialog.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    tab_to(b, "[data-testid=dialog-add]", 5).await;
    press(b, None, &[Key::Enter]).await;
    until(
        b,
        "!document.querySelector('[data-testid=option-dialog]')",
        "adding closes the dialog",
    )
    .await;
    until(
        b,
        &format!("document.activeElement.id === 'add-{pizza_id}'"),
        "focus returns to the pizza after adding",
    )
    .await;
    assert_eq!(text_of(b, "[data-testid=cart-line-options]").await, "Large");
    assert_eq!(text_of(b, "[data-testid=cart-total]").await, "$23.00");
    assert_eq!(text_of(b, "[data-testid=cart-count]").await, "2");
    // Both sizes are kept apart: one Small is a line of its own.
    press(b, None, &[Key::Enter]).await;
    wait_for(b, dialog).await;
    until(
        b,
        "document.activeElement.matches('[data-testid=option]')",
        "focus is on the first option",
    )
    .await;
    press(b, None, &[Key::Space]).await;
    until(
        b,
        &format!(
            "(document.querySelector('[data-testid=option]:checked') || {{}}).value === '{small_id}'"
        ),
        "Space chooses Small",
    )
    .await;
    tab_to(b, "[data-testid=dialog-add]", 5).await;
    press(b, None, &[Key::Enter]).await;
    until(
        b,
        "document.querySelectorAll('[data-testid=cart-line]').length === 2",
        "another size, another line",
    )
    .await;
    assert_eq!(text_of(b, "[data-testid=cart-total]").await, "$32.00");
    assert_accessible(b, "the cart with options").await;

    // A phone: the bar at the bottom counts the order and leads to the cart; nothing is
    // hidden under it. On a desktop there is no bar.
    assert!(
        !wait_for(b, "[data-testid=cart-bar]")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "no bar on a desktop"
    );
    b.set_window_size(375, 812).await.unwrap();
    until(
        b,
        "document.querySelector('[data-testid=cart-bar]').getBoundingClientRect().height > 0",
        "the bar shows on a phone",
    )
    .await;
    let bar = text_of(b, "[data-testid=cart-bar]").await;
    assert!(bar.contains("View order (3)"), "{bar}");
    assert!(bar.contains("$32.00"), "{bar}");
    let covered = js(
        b,
        "window.scrollTo(0, document.documentElement.scrollHeight);
         const bar = document.querySelector('[data-testid=cart-bar]').getBoundingClientRect();
         const last = document.querySelector('[data-testid=place-order]').getBoundingClientRect();
         return [last.bottom, bar.top]",
    )
    .await;
    assert!(
        covered[0].as_f64().unwrap() <= covered[1].as_f64().unwrap(),
        "the bar covers the end of the page: {covered}"
    );
    assert_accessible(b, "the phone's cart bar").await;
    std::fs::write(
        screenshots_dir().join("options-phone-bar.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    tab_to(b, "[data-testid=cart-bar] button", 40).await;
    press(b, None, &[Key::Enter]).await;
    until(
        b,
        "document.activeElement.id === 'cart-title'",
        "the bar takes the focus to the cart",
    )
    .await;
    let title_top = js(
        b,
        "return document.getElementById('cart-title').getBoundingClientRect().top",
    )
    .await;
    let title_top = title_top.as_f64().unwrap();
    assert!(
        (0.0..400.0).contains(&title_top),
        "the cart is in view: {title_top}"
    );

    // The name and "Place order", by keyboard.
    tab_to(b, "[data-testid=customer-name]", 20).await;
    type_keys(b, "Ada").await;
    tab_to(b, "[data-testid=place-order]", 5).await;
    press(b, None, &[Key::Enter]).await;
    let confirmation = text_of(b, "[data-testid=order-confirmation]").await;
    assert!(confirmation.contains("Large"), "{confirmation}");
    assert!(confirmation.contains("Small"), "{confirmation}");
    assert_eq!(text_of(b, "[data-testid=order-total]").await, "$32.00");
    assert!(
        b.find(Locator::Css("[data-testid=cart-bar]"))
            .await
            .is_err(),
        "no bar once the order is placed"
    );
    let order_id: Uuid = text_of(b, "[data-testid=order-id]")
        .await
        .parse()
        .expect("an order id");
    let total: i64 = stack
        .db
        .inspect()
        .await
        .query_one(
            &format!(
                "SELECT total_amount FROM \"{}\".orders WHERE id = $1",
                tenant.schema_name
            ),
            &[&order_id],
        )
        .await
        .expect("the order is in the restaurant's schema")
        .get(0);
    assert_eq!(total, 2 * (900 + 250) + 900);
    assert_accessible(b, "the confirmation with options").await;
    std::fs::write(
        screenshots_dir().join("options-confirmation.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser
        .assert_no_csp_violation("options and sold-out dishes")
        .await;
}

/// Chooses the pickup day at `index` in the day picker, then waits for that day's times (or for
/// its "no pickup times").
async fn show_day(b: &Client, index: usize) {
    wait_for(b, "[data-testid=pickup-day]")
        .await
        .select_by_index(index)
        .await
        .unwrap();
    until(
        b,
        &format!(
            "(day => {{
                const slot = document.querySelector('[data-testid=pickup-slot]');
                return day.selectedIndex === {index} && (slot ? slot.value.startsWith(day.value)
                    : !!document.querySelector('[data-testid=no-slots]'));
             }})(document.querySelector('[data-testid=pickup-day]'))"
        ),
        "the day's pickup times show",
    )
    .await;
}

/// Puts a dish in the cart, chooses "Schedule" and shows tomorrow's pickup times: a whole day
/// of a restaurant that is always open, none of them too soon, whatever the time of the run.
async fn schedule_for_tomorrow(b: &Client, page: &str) {
    b.goto(page).await.unwrap();
    wait_for(b, "[data-testid=add-to-cart]")
        .await
        .click()
        .await
        .unwrap();
    wait_for(b, "[data-testid=pickup-schedule]")
        .await
        .click()
        .await
        .unwrap();
    until(
        b,
        "document.querySelector('[data-testid=pickup-slot]') || document.querySelector('[data-testid=no-slots]')",
        "today's pickup times show",
    )
    .await;
    show_day(b, 1).await;
}

#[tokio::test]
async fn a_customer_schedules_a_pickup_slot_that_then_shows_full_and_a_paused_kitchen_takes_no_order()
 {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    let shop = open_shop(
        &stack,
        "Slot Kitchen",
        "slots.localhost",
        "#0f766e",
        "rgb(15, 118, 110)",
        vec![("Bowl", 1100)],
    )
    .await;
    let tenant = &shop.tenant;
    // Always open (no hours), one order per slot.
    let res = stack
        .manager(Method::PATCH, tenant, "/api/v1/manager/settings")
        .json(&json!({"slot_capacity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let config: Value = stack
        .request(Method::GET, "slots.localhost", "/api/v1/store/config")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["accepting_orders"], true, "{config}");
    let days_ahead = config["schedule_days_ahead"].as_u64().expect("days ahead");
    assert!(days_ahead >= 2, "{config}");

    let browser = Browser::start().await;
    let b = &browser.client;
    let page = format!("http://slots.localhost:{}/", stack.port);
    b.goto(&page).await.unwrap();
    wait_for(b, "[data-testid=add-to-cart]")
        .await
        .click()
        .await
        .unwrap();
    // Always open: as soon as possible is chosen, with the time it would be ready.
    until(
        b,
        "document.querySelector('[data-testid=pickup-asap]').closest('label').textContent.includes('ready about')",
        "the quote for as soon as possible shows",
    )
    .await;
    let asap = js(
        b,
        "const asap = document.querySelector('[data-testid=pickup-asap]');
         return [asap.checked, asap.disabled, !!document.querySelector('[data-testid=pickup-day]')]",
    )
    .await;
    assert_eq!(
        asap,
        json!([true, false, false]),
        "no day picker for as soon as possible"
    );
    schedule_for_tomorrow(b, &page).await;

    // The day picker: today, tomorrow, then weekdays, as far as orders may be scheduled.
    let days = js(
        b,
        "return [...document.querySelectorAll('[data-testid=pickup-day] option')]
           .map(o => [o.value, o.textContent.trim()])",
    )
    .await;
    let days = days.as_array().unwrap();
    assert_eq!(days.len() as u64, days_ahead + 1, "{days:?}");
    assert_eq!(days[0][1], "Today");
    assert_eq!(days[1][1], "Tomorrow");
    let date = days[1][0].as_str().unwrap().to_owned();

    // One time per slot the API offers that day, in its order, all free.
    let shown = js(
        b,
        "return [...document.querySelectorAll('[data-testid=pickup-slot]')]
           .map(i => [i.value, !i.disabled])",
    )
    .await;
    let offered: Value = stack
        .request(
            Method::GET,
            "slots.localhost",
            &format!("/api/v1/store/slots?date={date}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected: Vec<Value> = offered["slots"]
        .as_array()
        .unwrap_or_else(|| panic!("slots: {offered}"))
        .iter()
        .map(|slot| json!([slot["start"], slot["available"]]))
        .collect();
    assert!(!expected.is_empty(), "{offered}");
    assert_eq!(
        shown,
        Value::Array(expected),
        "the page offers the API's slots"
    );

    // Schedule without a time: the order cannot be placed yet, and the page says why.
    wait_for(b, "[data-testid=customer-name]")
        .await
        .send_keys("Ada")
        .await
        .unwrap();
    let place = wait_for(b, "[data-testid=place-order]").await;
    assert!(!place.is_enabled().await.unwrap(), "no time chosen yet");
    assert!(
        text_of(b, "[data-testid=place-order-reason]")
            .await
            .contains("pickup time")
    );
    let checked = js(
        b,
        "return document.querySelector('[data-testid=pickup-schedule]').checked",
    )
    .await;
    assert_eq!(checked, json!(true));

    // The first free time, clicked on its tile.
    let slot = wait_for(b, "[data-testid=pickup-slot]:not(:disabled)").await;
    let start = slot.attr("value").await.unwrap().expect("a slot's start");
    assert!(start.starts_with(&date), "{start} is on {date}");
    let time = js(
        b,
        "return document.querySelector('[data-testid=pickup-slot]:not(:disabled)')
           .closest('label').textContent.trim()",
    )
    .await
    .as_str()
    .unwrap()
    .to_owned();
    assert!(
        !time.is_empty() && !time.contains('T'),
        "a time of day: {time}"
    );
    wait_for(b, "label:has(> [data-testid=pickup-slot]:not(:disabled))")
        .await
        .click()
        .await
        .unwrap();
    until(
        b,
        &format!(
            "(document.querySelector('[data-testid=pickup-slot]:checked') || {{}}).value === {}",
            json!(start)
        ),
        "the slot is chosen",
    )
    .await;
    assert!(place.is_enabled().await.unwrap(), "a time is chosen");
    assert_accessible(b, "the checkout with a pickup time chosen").await;
    std::fs::write(
        screenshots_dir().join("pickup-schedule.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    b.set_window_size(375, 812).await.unwrap();
    until(
        b,
        "document.documentElement.scrollWidth <= window.innerWidth",
        "the pickup times fit a 375 px phone screen",
    )
    .await;
    js(
        b,
        "document.querySelector('[data-testid=pickup-choice]').scrollIntoView(); return null",
    )
    .await;
    std::fs::write(
        screenshots_dir().join("pickup-schedule-phone.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    b.set_window_size(1280, 900).await.unwrap();

    place.click().await.unwrap();
    let pickup = text_of(
        b,
        "[data-testid=order-confirmation] [data-testid=pickup-time]",
    )
    .await;
    assert_eq!(pickup, format!("Pickup tomorrow at {time}"));
    assert_accessible(b, "the confirmation of a scheduled order").await;
    let href = wait_for(b, "[data-testid=tracking-link]")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (path, token) = href.split_once("?t=").unwrap();
    let order_id = path.strip_prefix("/orders/").unwrap();
    let order: Value = stack
        .request(
            Method::GET,
            "slots.localhost",
            &format!("/api/v1/store/orders/{order_id}?t={token}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        order["pickup_at"],
        json!(start),
        "the slot was sent: {order}"
    );

    // The tracking page says it too.
    b.goto(&format!("http://slots.localhost:{}{href}", stack.port))
        .await
        .unwrap();
    let tracked = text_of(b, "[data-testid=pickup-time]").await;
    assert_eq!(tracked, pickup);

    // The slots read again: the one taken is full, shown but not to be chosen.
    schedule_for_tomorrow(b, &page).await;
    let taken = format!("[data-testid=pickup-slot][value={}]", json!(start));
    let taken_slot = wait_for(b, &taken).await;
    assert!(
        !taken_slot.is_enabled().await.unwrap(),
        "the slot taken is disabled"
    );
    let label = js(
        b,
        &format!(
            "return document.querySelector({}).closest('label').textContent",
            json!(taken)
        ),
    )
    .await;
    assert!(label.as_str().unwrap().contains("full"), "{label}");
    assert_accessible(b, "the pickup times with a full slot").await;

    // The kitchen pauses orders: the menu still shows and fills the cart, no order is taken.
    let res = stack
        .manager(Method::PATCH, tenant, "/api/v1/manager/settings")
        .json(&json!({"accepting_orders": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.goto(&page).await.unwrap();
    let notice = text_of(b, "[data-testid=not-accepting]").await;
    assert!(
        notice.contains("Slot Kitchen is not taking orders right now"),
        "{notice}"
    );
    assert!(
        wait_for(b, "[data-testid=not-accepting]")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    wait_for(b, "[data-testid=add-to-cart]")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(b, "[data-testid=cart-count]").await, "1");
    wait_for(b, "[data-testid=customer-name]")
        .await
        .send_keys("Ada")
        .await
        .unwrap();
    assert!(
        !wait_for(b, "[data-testid=place-order]")
            .await
            .is_enabled()
            .await
            .unwrap(),
        "no order while paused"
    );
    assert!(
        b.find(Locator::Css("[data-testid=pickup-choice]"))
            .await
            .is_err(),
        "no pickup choice while paused"
    );
    assert_accessible(b, "a paused kitchen").await;
    std::fs::write(
        screenshots_dir().join("pickup-paused.png"),
        b.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.assert_no_csp_violation("pickup times").await;
}
